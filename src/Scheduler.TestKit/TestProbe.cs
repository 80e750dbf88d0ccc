using System.Collections.Concurrent;
using System.Diagnostics;
using Edsos.Scheduler.Internal;
using Edsos.Scheduler.TestKit.Internal;

namespace Edsos.Scheduler.TestKit;

/// <summary>
/// An actor reference that records what it receives, for tests: pass it as a sender, a listener or a
/// subscriber, then assert on its mail in arrival order with the <c>Expect*</c> methods. Equal to its
/// underlying actor reference, so replies and <see cref="Terminated"/> naming it compare as expected.
/// </summary>
public sealed partial class TestProbe : IInternalActorRef
{
    private readonly ConcurrentQueue<ReceivedMessage> _queue = new();
    private readonly SemaphoreSlim _available = new(0);
    private readonly IInternalActorRef _ref;
    private ReceivedMessage? _last;
    private volatile Action<IActorRef, object>? _autoPilot;

    internal TestProbe(ActorSystem system, string name, TimeSpan defaultTimeout)
    {
        Sys = system;
        DefaultTimeout = defaultTimeout;
        _ref = (IInternalActorRef)system.SystemActorOf(Props.Create(() => new TestActor(this)), name);
    }

    /// <summary>The system the probe lives in.</summary>
    public ActorSystem Sys { get; }

    /// <summary>The timeout of expectations that name none (outside a Within block).</summary>
    public TimeSpan DefaultTimeout { get; }

    /// <summary>The probe's actor reference (the probe itself is one too).</summary>
    public IActorRef Ref => _ref;

    /// <inheritdoc />
    public ActorPath Path => _ref.Path;

    /// <summary>The sender of the last message an expectation took; dead letters before the first.</summary>
    public IActorRef LastSender => _last?.Sender ?? Sys.DeadLetters;

    /// <summary>The last message an expectation took, with sender and trace context; null before the first.</summary>
    public ReceivedMessage? LastMessage => _last;

    /// <summary>The trace context of the last message an expectation took; default before the first.</summary>
    public ActivityContext LastTraceContext => _last?.TraceContext ?? default;

    /// <summary>Messages received and not yet taken by an expectation.</summary>
    public int PendingCount => _queue.Count;

    ActorSystem? IInternalActorRef.System => Sys;

    ActorCell? IInternalActorRef.Cell => _ref.Cell;

    /// <summary>Tells <paramref name="message"/> to the probe.</summary>
    public void Tell(object message, IActorRef? sender = null) => _ref.Tell(message, sender);

    /// <summary>Tells <paramref name="message"/> to <paramref name="target"/> with the probe as sender.</summary>
    public void Send(IActorRef target, object message)
    {
        ArgumentNullException.ThrowIfNull(target);
        target.Tell(message, this);
    }

    /// <summary>Tells <paramref name="message"/> to the sender of the last message taken, with the probe as sender.</summary>
    public void Reply(object message) => LastSender.Tell(message, this);

    /// <inheritdoc />
    public bool Equals(IActorRef? other) => other is not null && _ref.Equals(other);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is IActorRef other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => _ref.GetHashCode();

    /// <inheritdoc />
    public override string ToString() => $"TestProbe({Path})";

    /// <summary>
    /// Akka's auto-pilot: from now on <paramref name="pilot"/> runs on the probe's actor for every message
    /// it receives (sender, message), before the message is recorded, so the probe can answer a protocol by
    /// itself (for example confirm every bind) while the spec still asserts on what arrived. Null: none.
    /// </summary>
    public void SetAutoPilot(Action<IActorRef, object>? pilot) => _autoPilot = pilot;

    void IInternalActorRef.SendSystemMessage(SystemMessage message) => _ref.SendSystemMessage(message);

    internal void Record(ReceivedMessage message)
    {
        _autoPilot?.Invoke(message.Sender, message.Message);
        _queue.Enqueue(message);
        _available.Release();
    }

    /// <summary>Takes the next message, waiting up to <paramref name="timeout"/>; false if none arrived.</summary>
    private bool TryTake(TimeSpan timeout, out ReceivedMessage message)
    {
        if (_available.Wait(timeout < TimeSpan.Zero ? TimeSpan.Zero : timeout))
        {
            // Every Release follows an Enqueue, so a successful Wait guarantees an item.
            _queue.TryDequeue(out message!);
            _last = message;
            return true;
        }

        message = null!;
        return false;
    }
}
