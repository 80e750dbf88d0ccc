using Akka.Actor;

namespace Edsos.Scheduler.Tracing;

/// <summary>Tells that keep the trace context across an Akka.Remote boundary.</summary>
public static class TracedTellExtensions
{
    /// <summary>
    /// Tells <paramref name="message"/> to <paramref name="target"/>; when the target lives in another
    /// actor system reached over the network and this thread has a trace context, the message travels
    /// wrapped in a <see cref="Traced"/> so the far side's handler span joins the sender's trace. A local
    /// target gets the plain message (its mailbox keeps the context itself).
    /// </summary>
    public static void TellTraced(this IActorRef target, object message, IActorRef? sender = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(message);
        var context = TracingMessageQueue.Capture();
        bool remote = target.Path.Address.HasGlobalScope;
        target.Tell(remote && context != default ? Traced.Wrap(message, context) : message, sender ?? ActorCell.GetCurrentSelfOrNoSender());
    }
}
