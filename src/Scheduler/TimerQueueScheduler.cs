using System.Diagnostics;
using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Event;

namespace Edsos.Scheduler;

/// <summary>
/// EDSRT's Akka scheduler: every scheduled tell, action or runnable is one .NET <see cref="Timer"/>, so the
/// runtime's timer queue sleeps until the earliest one is due and nothing runs while nothing is. Akka's
/// default (<c>HashedWheelTimerScheduler</c>) ticks a <see cref="PeriodicTimer"/> every 10 ms from its first
/// use until the system stops; each tick woke a thread-pool worker, which then spun in <c>sched_yield</c>, so
/// a host that had armed one timer used about 2 % of a core doing nothing (README, "bench idle").
/// </summary>
/// <remarks>
/// A cancelled entry's timer is disposed at once (a registration on the cancelable's token), so an actor that
/// re-arms often leaves nothing behind. Callbacks run on the thread pool without the scheduling code's
/// execution context (no trace context or async-local leaks into a tick), as Akka's own scheduler does.
/// Failure contract: an action that throws is logged and does not stop the scheduler; a repeating entry whose
/// action throws keeps repeating. After <see cref="Dispose"/> nothing more runs.
/// </remarks>
public sealed class TimerQueueScheduler : SchedulerBase, IDisposable
{
    private static readonly long s_start = Stopwatch.GetTimestamp();
    private static readonly TimeSpan s_longest = TimeSpan.FromMilliseconds(uint.MaxValue - 1);
    private readonly long _tickTicks;
    private volatile bool _disposed;

    /// <summary>
    /// Akka calls this with <c>akka.scheduler</c>'s configuration and its log. Due times are rounded up to the
    /// next multiple of <c>tick-duration</c> (default 10 ms) on one clock, as Akka's wheel fires at its ticks:
    /// timers keep the granularity the protocols were tuned on (TCP's loss probe and RTO, measured against a
    /// peer whose ACK a loaded machine delays), and timers due close together share one wake-up.
    /// </summary>
    public TimerQueueScheduler(Config scheduler, ILoggingAdapter log)
        : base(scheduler, log)
    {
        var tick = scheduler?.GetTimeSpan("tick-duration", TimeSpan.FromMilliseconds(10), allowInfinite: false) ?? TimeSpan.FromMilliseconds(10);
        _tickTicks = Math.Max(1, tick.Ticks);
    }

    /// <inheritdoc />
    protected override DateTimeOffset TimeNow => DateTimeOffset.UtcNow;

    /// <inheritdoc />
    public override TimeSpan MonotonicClock => Stopwatch.GetElapsedTime(s_start);

    /// <inheritdoc />
    public override TimeSpan HighResMonotonicClock => Stopwatch.GetElapsedTime(s_start);

    /// <summary>Stops every entry: timers still pending fire into nothing.</summary>
    public void Dispose() => _disposed = true;

    /// <inheritdoc />
    protected override void InternalScheduleTellOnce(TimeSpan delay, ICanTell receiver, object message, IActorRef sender, ICancelable cancelable) =>
        Start(new Entry(this, receiver, message, sender, null, null, cancelable), delay, Timeout.InfiniteTimeSpan);

    /// <inheritdoc />
    protected override void InternalScheduleTellRepeatedly(TimeSpan initialDelay, TimeSpan interval, ICanTell receiver, object message, IActorRef sender, ICancelable cancelable) =>
        Start(new Entry(this, receiver, message, sender, null, null, cancelable), initialDelay, interval);

    /// <inheritdoc />
    protected override void InternalScheduleOnce(TimeSpan delay, Action action, ICancelable cancelable) =>
        Start(new Entry(this, null, null, null, action, null, cancelable), delay, Timeout.InfiniteTimeSpan);

    /// <inheritdoc />
    protected override void InternalScheduleOnce(TimeSpan delay, IRunnable action, ICancelable cancelable) =>
        Start(new Entry(this, null, null, null, null, action, cancelable), delay, Timeout.InfiniteTimeSpan);

    /// <inheritdoc />
    protected override void InternalScheduleRepeatedly(TimeSpan initialDelay, TimeSpan interval, Action action, ICancelable cancelable) =>
        Start(new Entry(this, null, null, null, action, null, cancelable), initialDelay, interval);

    /// <inheritdoc />
    protected override void InternalScheduleRepeatedly(TimeSpan initialDelay, TimeSpan interval, IRunnable action, ICancelable cancelable) =>
        Start(new Entry(this, null, null, null, null, action, cancelable), initialDelay, interval);

    private static TimeSpan Clamp(TimeSpan span) =>
        span < TimeSpan.Zero ? TimeSpan.Zero : span > s_longest ? s_longest : span;

    private void Start(Entry entry, TimeSpan delay, TimeSpan period)
    {
        if (_disposed || entry.Cancelable?.IsCancellationRequested == true)
        {
            return;
        }

        TimeSpan due = Clamp(delay);
        long now = Stopwatch.GetElapsedTime(s_start).Ticks;
        long at = now + due.Ticks;
        long aligned = (at + _tickTicks - 1) / _tickTicks * _tickTicks;
        due = due.Ticks == 0 ? due : Clamp(TimeSpan.FromTicks(aligned - now));
        TimeSpan every = period == Timeout.InfiniteTimeSpan ? period : Clamp(period) is { Ticks: > 0 } p ? p : TimeSpan.FromMilliseconds(1);
        bool suppress = !ExecutionContext.IsFlowSuppressed();
        AsyncFlowControl flow = suppress ? ExecutionContext.SuppressFlow() : default;
        try
        {
            entry.Timer = new Timer(static state => ((Entry)state!).Fire(), entry, due, every);
        }
        finally
        {
            if (suppress)
            {
                flow.Undo();
            }
        }

        entry.Cancelable?.Token.Register(static state => ((Entry)state!).Timer?.Dispose(), entry);
    }

    private sealed class Entry(TimerQueueScheduler owner, ICanTell? receiver, object? message, IActorRef? sender, Action? action, IRunnable? runnable, ICancelable? cancelable)
    {
        public ICancelable? Cancelable { get; } = cancelable;

        public Timer? Timer { get; set; }

        public void Fire()
        {
            if (owner._disposed || Cancelable?.IsCancellationRequested == true)
            {
                Timer?.Dispose();
                return;
            }

            try
            {
                if (receiver is not null)
                {
                    receiver.Tell(message!, sender ?? ActorRefs.NoSender);
                }
                else if (action is not null)
                {
                    action();
                }
                else
                {
                    runnable!.Run();
                }
            }
            catch (Exception ex)
            {
                owner.Log.Error(ex, "A scheduled action failed");
            }
        }
    }
}
