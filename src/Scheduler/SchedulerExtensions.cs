namespace Edsos.Scheduler;

/// <summary>Delayed and periodic Tells on top of <see cref="IScheduler"/>.</summary>
public static class SchedulerExtensions
{
    /// <summary>Tells <paramref name="message"/> to <paramref name="receiver"/> once, after <paramref name="delay"/>.</summary>
    public static ICancelable ScheduleTellOnce(this IScheduler scheduler, TimeSpan delay, IActorRef receiver, object message, IActorRef? sender = null)
    {
        ArgumentNullException.ThrowIfNull(receiver);
        ArgumentNullException.ThrowIfNull(message);
        return scheduler.ScheduleOnce(delay, () => receiver.Tell(message, sender));
    }

    /// <summary>Tells <paramref name="message"/> to <paramref name="receiver"/> after <paramref name="initialDelay"/>, then every <paramref name="interval"/>.</summary>
    public static ICancelable ScheduleTellRepeatedly(this IScheduler scheduler, TimeSpan initialDelay, TimeSpan interval, IActorRef receiver, object message, IActorRef? sender = null)
    {
        ArgumentNullException.ThrowIfNull(receiver);
        ArgumentNullException.ThrowIfNull(message);
        return scheduler.ScheduleRepeatedly(initialDelay, interval, () => receiver.Tell(message, sender));
    }
}
