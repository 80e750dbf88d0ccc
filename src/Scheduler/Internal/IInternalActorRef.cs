namespace Edsos.Scheduler.Internal;

/// <summary>
/// The runtime's side of a reference: system messages (watch, stop, failure reports) travel on a separate
/// queue that is drained before user mail.
/// </summary>
internal interface IInternalActorRef : IActorRef
{
    /// <summary>The system the reference belongs to, or null for system-less references (Nobody).</summary>
    ActorSystem? System { get; }

    /// <summary>The cell behind the reference, used for identity; null for references without a mailbox.</summary>
    ActorCell? Cell { get; }

    /// <summary>Delivers a system message; never throws.</summary>
    void SendSystemMessage(SystemMessage message);
}
