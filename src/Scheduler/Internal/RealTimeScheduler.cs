using System.Diagnostics;

namespace Edsos.Scheduler.Internal;

/// <summary>
/// The default <see cref="IScheduler"/>: wall-clock time, one dedicated thread started on first use that
/// sleeps until the next due item. Actions run on that thread.
/// </summary>
internal sealed class RealTimeScheduler : IScheduler, IDisposable
{
    private readonly TimerQueue _queue = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly DateTimeOffset _start = DateTimeOffset.UtcNow;
    private readonly AutoResetEvent _wake = new(false);
    private readonly object _startLock = new();
    private readonly string _name;
    private Thread? _thread;
    private volatile bool _stopping;

    public RealTimeScheduler(string name)
    {
        _name = name;
    }

    public DateTimeOffset Now => _start + _clock.Elapsed;

    public ICancelable ScheduleOnce(TimeSpan delay, Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        return Add(delay, 0, action);
    }

    public ICancelable ScheduleRepeatedly(TimeSpan initialDelay, TimeSpan interval, Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        if (interval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(interval), interval, "the interval must be positive");
        }

        return Add(initialDelay, interval.Ticks, action);
    }

    public void Dispose()
    {
        _stopping = true;
        _wake.Set();
        var thread = _thread;
        if (thread is not null && !ReferenceEquals(thread, Thread.CurrentThread))
        {
            thread.Join(TimeSpan.FromSeconds(5));
        }
    }

    private TimerQueue.Item Add(TimeSpan delay, long intervalTicks, Action action)
    {
        long due = _clock.Elapsed.Ticks + Math.Max(0, delay.Ticks);
        var item = _queue.Add(due, intervalTicks, action);
        EnsureStarted();

        // Wake the thread so it recomputes its sleep: the new item may be due before the one it waits for.
        _wake.Set();
        return item;
    }

    private void EnsureStarted()
    {
        if (_thread is not null)
        {
            return;
        }

        lock (_startLock)
        {
            if (_thread is null && !_stopping)
            {
                var thread = new Thread(Loop) { IsBackground = true, Name = _name + "-timers" };
                thread.Start();
                _thread = thread;
            }
        }
    }

    private void Loop()
    {
        while (!_stopping)
        {
            long now = _clock.Elapsed.Ticks;
            while (_queue.TryTakeDue(now, out var item, out long due))
            {
                _queue.Fire(item, due);
            }

            long? next = _queue.NextDue;
            if (next is null)
            {
                _wake.WaitOne();
                continue;
            }

            long waitTicks = next.Value - _clock.Elapsed.Ticks;
            if (waitTicks > 0)
            {
                // Round up so the thread does not wake a hair early and spin.
                int waitMs = (int)Math.Min(int.MaxValue, (waitTicks + TimeSpan.TicksPerMillisecond - 1) / TimeSpan.TicksPerMillisecond);
                _wake.WaitOne(waitMs);
            }
        }
    }
}
