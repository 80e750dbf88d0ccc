namespace Edsos.Scheduler.Internal;

/// <summary>An actor's keyed timers. Touched only from the actor's own processing, so it needs no lock.</summary>
internal sealed class TimerScheduler : ITimerScheduler
{
    private readonly ActorCell _cell;
    private readonly Dictionary<object, Timer> _timers = new();
    private int _generation;

    public TimerScheduler(ActorCell cell)
    {
        _cell = cell;
    }

    public void StartSingleTimer(object key, object message, TimeSpan delay) => Start(key, message, delay, TimeSpan.Zero);

    public void StartPeriodicTimer(object key, object message, TimeSpan interval) => StartPeriodicTimer(key, message, interval, interval);

    public void StartPeriodicTimer(object key, object message, TimeSpan initialDelay, TimeSpan interval)
    {
        if (interval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(interval), interval, "the interval must be positive");
        }

        Start(key, message, initialDelay, interval);
    }

    public bool IsTimerActive(object key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return _timers.ContainsKey(key);
    }

    public void Cancel(object key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (_timers.Remove(key, out var timer))
        {
            timer.Handle.Cancel();
        }
    }

    public void CancelAll()
    {
        foreach (var timer in _timers.Values)
        {
            timer.Handle.Cancel();
        }

        _timers.Clear();
    }

    /// <summary>Returns the user message of a live timer tick, or null for a stale one.</summary>
    public object? Accept(TimerMessage tick)
    {
        if (!ReferenceEquals(tick.Owner, this) || !_timers.TryGetValue(tick.Key, out var timer) || timer.Generation != tick.Generation)
        {
            return null;
        }

        if (!timer.Periodic)
        {
            _timers.Remove(tick.Key);
        }

        return tick.Message;
    }

    private void Start(object key, object message, TimeSpan delay, TimeSpan interval)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(message);
        Cancel(key);
        int generation = ++_generation;
        var tick = new TimerMessage(this, key, generation, message);
        var self = _cell.Self;
        var scheduler = _cell.SystemImpl.Scheduler;
        Action send = () => self.Tell(tick);
        var handle = interval > TimeSpan.Zero
            ? scheduler.ScheduleRepeatedly(delay, interval, send)
            : scheduler.ScheduleOnce(delay, send);
        _timers[key] = new Timer(generation, interval > TimeSpan.Zero, handle);
    }

    private readonly record struct Timer(int Generation, bool Periodic, ICancelable Handle);
}
