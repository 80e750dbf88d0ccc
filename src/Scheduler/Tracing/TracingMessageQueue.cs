using System.Collections.Concurrent;
using System.Diagnostics;
using Akka.Actor;
using Akka.Dispatch.MessageQueues;

namespace Edsos.Scheduler.Tracing;

/// <summary>
/// An unbounded mailbox queue that carries the sender's trace context with each message, because
/// Akka's <see cref="Envelope"/> has no room for it. <see cref="Enqueue"/> runs on the sending thread
/// inside <c>Tell</c>, so it sees the sender's context: the current <see cref="Activity"/> (the
/// handler's span, or a syscall's root span outside actors), else the context of the message the
/// sending EDSRT actor is handling. <see cref="TryDequeue"/> runs on the dispatcher thread just
/// before the actor handles the message, so it leaves that context in a thread-static
/// (<see cref="Incoming"/>) that <see cref="EdsrtActor"/> takes in <c>AroundReceive</c>.
/// </summary>
public sealed class TracingMessageQueue : IMessageQueue, ITracingMessageQueue
{
    // The handler's context for code that runs after an await in a ReceiveAsync handler, on another
    // thread: set only while a traced message is handled, so untraced traffic never writes it.
    private static readonly AsyncLocal<ActivityContext> s_flowing = new();

    [ThreadStatic]
    private static ActivityContext t_incoming;

    private readonly ConcurrentQueue<(Envelope Envelope, ActivityContext Trace)> _queue = new();

    /// <summary>
    /// The context of the message being handled on this thread (set at dequeue, cleared by the
    /// handling EDSRT actor when its handler returns); default outside a handler.
    /// </summary>
    public static ActivityContext Incoming
    {
        get => t_incoming;
        internal set => t_incoming = value;
    }

    /// <inheritdoc />
    public bool HasMessages => !_queue.IsEmpty;

    /// <inheritdoc />
    public int Count => _queue.Count;

    /// <summary>
    /// The context a message sent now from this thread carries: the current activity's, else the flowing
    /// context of an async handler (it wins: its continuation may run inline inside another handler),
    /// else the context of the message this thread's actor is handling.
    /// </summary>
    public static ActivityContext Capture()
    {
        if (Activity.Current is { } current)
        {
            return current.Context;
        }

        var flowing = s_flowing.Value;
        return flowing != default ? flowing : t_incoming;
    }

    /// <summary>Sets the flowing context for the handler about to run; returns the previous one to restore.</summary>
    internal static ActivityContext EnterFlowing(in ActivityContext context)
    {
        var previous = s_flowing.Value;
        if (previous != context)
        {
            s_flowing.Value = context;
        }

        return previous;
    }

    /// <summary>Restores the flowing context saved by <see cref="EnterFlowing"/>.</summary>
    internal static void ExitFlowing(in ActivityContext previous)
    {
        if (s_flowing.Value != previous)
        {
            s_flowing.Value = previous;
        }
    }

    /// <inheritdoc />
    public void Enqueue(IActorRef receiver, Envelope envelope) => _queue.Enqueue((envelope, Capture()));

    /// <inheritdoc />
    public bool TryDequeue(out Envelope envelope)
    {
        if (_queue.TryDequeue(out var item))
        {
            envelope = item.Envelope;
            t_incoming = item.Trace;
            return true;
        }

        envelope = default;
        return false;
    }

    /// <inheritdoc />
    public void CleanUp(IActorRef owner, IMessageQueue deadletters)
    {
        while (_queue.TryDequeue(out var item))
        {
            deadletters.Enqueue(owner, item.Envelope);
        }
    }
}
