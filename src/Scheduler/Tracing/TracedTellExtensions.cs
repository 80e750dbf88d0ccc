using System.Diagnostics;
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

/// <summary>
/// The trace context of something that arrived from another process outside Akka (a frame on a cross-process
/// wire), made the sender's context of every Tell on this thread until disposed, so the actor it wakes handles it
/// in the sender's trace. Default: nothing to restore.
/// </summary>
public readonly struct RemoteTraceScope : IDisposable
{
    private readonly ActivityContext _previous;
    private readonly bool _entered;

    private RemoteTraceScope(ActivityContext previous)
    {
        _previous = previous;
        _entered = true;
    }

    /// <summary>Continues <paramref name="context"/> on this thread (nothing when it is default).</summary>
    public static RemoteTraceScope Enter(in ActivityContext context) =>
        context == default ? default : new RemoteTraceScope(TracingMessageQueue.EnterFlowing(context));

    /// <summary>Restores the context this thread had before.</summary>
    public void Dispose()
    {
        if (_entered)
        {
            TracingMessageQueue.ExitFlowing(_previous);
        }
    }
}
