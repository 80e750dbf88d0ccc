using Akka.Actor;

namespace Edsos.Protocol;

/// <summary>
/// One keyed actor timer kept at a state machine's earliest deadline, re-armed only when that deadline
/// moves earlier (or after the timer fired): a deadline that moves later lets the armed timer fire
/// early, and the tick re-schedules. Each re-arm costs the scheduler a cancel and an insert, and a
/// worker re-arming on every fragment or every ARP request paid that per frame.
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

    /// <summary>Keeps the timer at <paramref name="deadline"/> (null: nothing due, cancel it).</summary>
    public void Schedule(ITimerScheduler timers, DateTimeOffset? deadline, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(timers);
        if (deadline is not { } due)
        {
            Cancel(timers);
            return;
        }

        if (_armed is { } armed && armed <= due)
        {
            return;
        }

        TimeSpan delay = due - now;
        timers.StartSingleTimer(key, tick, delay > TimeSpan.Zero ? delay : TimeSpan.Zero);
        _armed = due;
    }

    /// <summary>Cancels the timer.</summary>
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
