using Edsos.Scheduler.Internal;

namespace Edsos.Scheduler;

/// <summary>Well-known references.</summary>
public static class ActorRefs
{
    /// <summary>A reference to no actor: mail to it is dropped, watching it yields <see cref="Terminated"/> at once.</summary>
    public static IActorRef Nobody => NobodyRef.Instance;

    /// <summary>The "no sender" value for <see cref="IActorRef.Tell"/>; replies to it go to dead letters.</summary>
    public static IActorRef? NoSender => null;
}
