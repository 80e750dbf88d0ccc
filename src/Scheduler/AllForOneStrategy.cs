using Edsos.Scheduler.Internal;

namespace Edsos.Scheduler;

/// <summary>A strategy whose Restart or Stop applies to every child of the supervisor, for children that only work together.</summary>
public sealed class AllForOneStrategy : SupervisorStrategy
{
    /// <summary>Creates the strategy with an unlimited restart budget.</summary>
    public AllForOneStrategy(Func<Exception, Directive> decider)
        : this(-1, null, decider)
    {
    }

    /// <summary>Creates the strategy; exceeding <paramref name="maxNrOfRetries"/> restarts within <paramref name="withinTimeRange"/> stops all children.</summary>
    public AllForOneStrategy(int maxNrOfRetries, TimeSpan? withinTimeRange, Func<Exception, Directive> decider)
        : base(maxNrOfRetries, withinTimeRange, decider)
    {
    }

    internal override void Apply(ActorCell parent, IInternalActorRef child, Exception cause, Directive directive)
    {
        bool restart = directive == Directive.Restart && parent.TryGetChildStats(child, out var stats) && RequestRestartPermission(stats);
        foreach (var sibling in parent.ChildrenSnapshot())
        {
            if (restart)
            {
                sibling.SendSystemMessage(new SystemMessage.Recreate(cause));
            }
            else
            {
                parent.StopChild(sibling);
            }
        }
    }
}
