namespace Edsos.Scheduler.Internal;

/// <summary>
/// What a keyed timer actually sends: the user message tagged with its timer's generation, so the cell can
/// drop messages of a timer that was cancelled or replaced after it fired. One instance per started timer,
/// reused for every tick.
/// </summary>
internal sealed class TimerMessage
{
    public TimerMessage(TimerScheduler owner, object key, int generation, object message)
    {
        Owner = owner;
        Key = key;
        Generation = generation;
        Message = message;
    }

    public TimerScheduler Owner { get; }

    public object Key { get; }

    public int Generation { get; }

    public object Message { get; }
}
