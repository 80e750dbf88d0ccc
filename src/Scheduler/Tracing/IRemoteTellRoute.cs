using System.Diagnostics;
using Akka.Actor;

namespace Edsos.Scheduler.Tracing;

/// <summary>
/// A faster road than Akka.Remote for <see cref="TracedTellExtensions.TellTraced"/> to an actor in another actor system
/// (the console cluster's lanes between a host's role processes). Registered per actor system with
/// <see cref="TracedTellExtensions.RegisterRoute"/>; a tell it declines goes over Akka.Remote as before.
/// </summary>
public interface IRemoteTellRoute
{
    /// <summary>
    /// Sends <paramref name="message"/> from <paramref name="sender"/> to the remote <paramref name="target"/> with the
    /// sender's trace <paramref name="context"/> (default: none), in order (null: no sender) with every earlier message this route took to
    /// the same process; false when this route does not reach that process (the caller then uses Akka.Remote).
    /// </summary>
    bool TryTell(IActorRef target, object message, IActorRef? sender, in ActivityContext context);
}
