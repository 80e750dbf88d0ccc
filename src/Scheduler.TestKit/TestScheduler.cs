using Edsos.Scheduler.Internal;

namespace Edsos.Scheduler.TestKit;

/// <summary>
/// A manual <see cref="IScheduler"/>: time stands still until <see cref="Advance"/> moves it, and the timers
/// that fall due run on the advancing thread in due-time order, a periodic timer once per elapsed interval.
/// Advancing only sends the timer messages; their handling is still asynchronous, so follow with an
/// expectation. Make sure the actor has started its timer (have it reply) before advancing.
/// </summary>
public sealed class TestScheduler : IScheduler
{
    private readonly TimerQueue _queue = new();
    private readonly object _advanceLock = new();
    private readonly DateTimeOffset _start;
    private long _nowTicks;

    /// <summary>Creates a scheduler whose clock starts at <paramref name="start"/> (default: 2000-01-01 UTC).</summary>
    public TestScheduler(DateTimeOffset? start = null)
    {
        _start = start ?? new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);
    }

    /// <inheritdoc />
    public DateTimeOffset Now => _start + TimeSpan.FromTicks(Volatile.Read(ref _nowTicks));

    /// <summary>Virtual time elapsed since the start.</summary>
    public TimeSpan Elapsed => TimeSpan.FromTicks(Volatile.Read(ref _nowTicks));

    /// <inheritdoc />
    public ICancelable ScheduleOnce(TimeSpan delay, Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        return _queue.Add(Volatile.Read(ref _nowTicks) + Math.Max(0, delay.Ticks), 0, action);
    }

    /// <inheritdoc />
    public ICancelable ScheduleRepeatedly(TimeSpan initialDelay, TimeSpan interval, Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        if (interval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(interval), interval, "the interval must be positive");
        }

        return _queue.Add(Volatile.Read(ref _nowTicks) + Math.Max(0, initialDelay.Ticks), interval.Ticks, action);
    }

    /// <summary>Moves time forward by <paramref name="by"/>, running every timer that falls due, in order.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="by"/> is negative.</exception>
    public void Advance(TimeSpan by)
    {
        if (by < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(by), by, "time does not go backwards");
        }

        lock (_advanceLock)
        {
            long target = Volatile.Read(ref _nowTicks) + by.Ticks;
            while (_queue.TryTakeDue(target, out var item, out long due))
            {
                // The clock reads the item's due time while it runs, as it would under real time.
                Volatile.Write(ref _nowTicks, Math.Max(Volatile.Read(ref _nowTicks), due));
                _queue.Fire(item, due);
            }

            Volatile.Write(ref _nowTicks, target);
        }
    }

    /// <summary>Moves time forward to <paramref name="time"/> (no-op if it is not in the future).</summary>
    public void AdvanceTo(DateTimeOffset time)
    {
        var by = time - Now;
        if (by > TimeSpan.Zero)
        {
            Advance(by);
        }
    }
}
