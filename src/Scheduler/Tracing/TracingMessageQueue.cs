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

    /// <summary>The context a message sent now from this thread carries.</summary>
    public static ActivityContext Capture() => Activity.Current is { } current ? current.Context : t_incoming;

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
