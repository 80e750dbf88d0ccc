using Edsos.Scheduler.Internal;

namespace Edsos.Scheduler;

/// <summary>A strategy whose directive applies to the failed child only.</summary>
public sealed class OneForOneStrategy : SupervisorStrategy
{
    /// <summary>Creates the strategy with an unlimited restart budget.</summary>
    public OneForOneStrategy(Func<Exception, Directive> decider)
        : this(-1, null, decider)
    {
    }

    /// <summary>Creates the strategy; a child exceeding <paramref name="maxNrOfRetries"/> restarts within <paramref name="withinTimeRange"/> is stopped.</summary>
    public OneForOneStrategy(int maxNrOfRetries, TimeSpan? withinTimeRange, Func<Exception, Directive> decider)
        : base(maxNrOfRetries, withinTimeRange, decider)
    {
    }

    internal override void Apply(ActorCell parent, IInternalActorRef child, Exception cause, Directive directive)
    {
        if (directive == Directive.Restart && parent.TryGetChildStats(child, out var stats) && RequestRestartPermission(stats))
        {
            child.SendSystemMessage(new SystemMessage.Recreate(cause));
            return;
        }

        parent.StopChild(child);
    }
}
