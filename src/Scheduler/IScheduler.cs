namespace Edsos.Scheduler;

/// <summary>
/// The clock that drives timers and delayed messages. The system's default runs on real time on one
/// dedicated thread; tests plug in a manual implementation (the TestKit's <c>TestScheduler</c>) whose time
/// only moves when the test advances it.
/// </summary>
public interface IScheduler
{
    /// <summary>The scheduler's current time (virtual for a manual scheduler).</summary>
    DateTimeOffset Now { get; }

    /// <summary>Runs <paramref name="action"/> once after <paramref name="delay"/> (zero or negative: as soon as possible).</summary>
    /// <remarks>The action runs on the scheduler's thread and must be short (a Tell); exceptions it throws are swallowed.</remarks>
    ICancelable ScheduleOnce(TimeSpan delay, Action action);

    /// <summary>Runs <paramref name="action"/> after <paramref name="initialDelay"/>, then every <paramref name="interval"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="interval"/> is not positive.</exception>
    ICancelable ScheduleRepeatedly(TimeSpan initialDelay, TimeSpan interval, Action action);
}
