using Edsos.Scheduler.Internal;

namespace Edsos.Scheduler;

/// <summary>
/// How a parent treats a child that threw: a decider maps the exception to a <see cref="Directive"/>, and a
/// restart budget (<see cref="MaxNrOfRetries"/> within <see cref="WithinTimeRange"/>) turns a restart into
/// a stop once exhausted. The strategy of an actor applies to its children, not to itself.
/// </summary>
public abstract class SupervisorStrategy
{
    private readonly Func<Exception, Directive> _decider;

    /// <summary>Creates a strategy.</summary>
    /// <param name="maxNrOfRetries">Restarts allowed per child within the window; negative means unlimited.</param>
    /// <param name="withinTimeRange">The window; null means the budget never resets.</param>
    /// <param name="decider">Maps a failure to a directive.</param>
    protected SupervisorStrategy(int maxNrOfRetries, TimeSpan? withinTimeRange, Func<Exception, Directive> decider)
    {
        ArgumentNullException.ThrowIfNull(decider);
        MaxNrOfRetries = maxNrOfRetries;
        WithinTimeRange = withinTimeRange;
        _decider = decider;
    }

    /// <summary>Restart on any failure except initialization failures, kills and death pacts, which stop.</summary>
    public static SupervisorStrategy DefaultStrategy { get; } = new OneForOneStrategy(DefaultDecider);

    /// <summary>Stop on any failure.</summary>
    public static SupervisorStrategy StoppingStrategy { get; } = new OneForOneStrategy(_ => Directive.Stop);

    /// <summary>Restarts allowed per child within <see cref="WithinTimeRange"/>; negative means unlimited.</summary>
    public int MaxNrOfRetries { get; }

    /// <summary>The window of the restart budget; null means it never resets.</summary>
    public TimeSpan? WithinTimeRange { get; }

    /// <summary>The default decider: Stop for <see cref="ActorInitializationException"/>, <see cref="ActorKilledException"/> and <see cref="DeathPactException"/>, Restart otherwise.</summary>
    public static Directive DefaultDecider(Exception cause) => cause switch
    {
        ActorInitializationException => Directive.Stop,
        ActorKilledException => Directive.Stop,
        DeathPactException => Directive.Stop,
        _ => Directive.Restart,
    };

    /// <summary>The directive for <paramref name="cause"/>; a throwing decider counts as <see cref="Directive.Escalate"/>.</summary>
    public Directive Decide(Exception cause)
    {
        try
        {
            return _decider(cause);
        }
        catch
        {
            return Directive.Escalate;
        }
    }

    /// <summary>Applies a Restart or Stop to the failed child (and, for all-for-one, to its siblings).</summary>
    internal abstract void Apply(ActorCell parent, IInternalActorRef child, Exception cause, Directive directive);

    /// <summary>Consumes one restart from the child's budget; false when it is exhausted.</summary>
    internal bool RequestRestartPermission(ChildRestartStats stats)
    {
        if (MaxNrOfRetries < 0)
        {
            return true;
        }

        long now = Environment.TickCount64;
        if (WithinTimeRange is { } window && now - stats.WindowStartMs > (long)window.TotalMilliseconds)
        {
            stats.WindowStartMs = now;
            stats.Restarts = 0;
        }

        if (stats.Restarts >= MaxNrOfRetries)
        {
            return false;
        }

        stats.Restarts++;
        return true;
    }
}
