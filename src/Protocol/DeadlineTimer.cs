using Akka.Actor;

namespace Edsos.Protocol;

/// <summary>
/// One keyed actor timer kept at a state machine's earliest deadline, re-armed only when that deadline
/// moves earlier (or after the timer fired): a deadline that moves later, or goes away because nothing
/// is due any more, leaves the armed timer alone; it fires early, the owner finds nothing due, and the
/// tick re-schedules. Each re-arm costs Akka's scheduler a cancel and an insert (a timer record, a
/// cancelable and a registration allocated), and a worker that armed on every datagram and cancelled
/// when its table emptied (reassembly per fragmented datagram, TCP per acknowledged flight) paid that
/// twice per message; now a steady flow arms once per timeout period.
/// </summary>
/// <param name="key">The timer's key in the actor's <see cref="ITimerScheduler"/>.</param>
/// <param name="tick">The message the timer delivers.</param>
public sealed class DeadlineTimer(object key, object tick)
{
    private DateTimeOffset? _armed;

    /// <summary>The deadline the timer is armed for, or null.</summary>
    public DateTimeOffset? Armed => _armed;

    /// <summary>Call when the tick arrives: the timer is no longer armed.</summary>
    public void Fired() => _armed = null;

    /// <summary>
    /// Keeps the timer at or before <paramref name="deadline"/>: arms it when it is not armed or armed later.
    /// Null (nothing due) leaves an armed timer to fire harmlessly rather than pay a cancel now and an arm
    /// with the next deadline; <see cref="Cancel"/> is for an owner that must hear no more ticks.
    /// </summary>
    public void Schedule(ITimerScheduler timers, DateTimeOffset? deadline, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(timers);
        if (deadline is not { } due || (_armed is { } armed && armed <= due))
        {
            return;
        }

        TimeSpan delay = due - now;
        timers.StartSingleTimer(key, tick, delay > TimeSpan.Zero ? delay : TimeSpan.Zero);
        _armed = due;
    }

    /// <summary>Cancels the timer: no tick arrives after this (the owner quiesces or stops).</summary>
    public void Cancel(ITimerScheduler timers)
    {
        ArgumentNullException.ThrowIfNull(timers);
        if (_armed is not null)
        {
            timers.Cancel(key);
            _armed = null;
        }
    }
}
