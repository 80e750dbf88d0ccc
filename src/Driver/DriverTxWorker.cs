using System.Diagnostics;
using Edsos.Driver.Device;
using Edsos.Driver.Ring;
using Edsos.Memory;
using Akka.Actor;
using Edsos.Scheduler;
using Edsos.Scheduler.Faults;
using Edsos.Scheduler.Tracing;
using static Edsos.Driver.DriverProtocol;
using static Edsos.Driver.DriverBatchProtocol;

namespace Edsos.Driver;

/// <summary>
/// The driver's transmit worker (seed 000 stage 4), bound to the driver TS
/// <c>/drivers/net/&lt;name&gt;</c>. At start it pushes and pins its TX ring
/// (<c>tx_ring</c>) and programs the device with it.
/// <para>
/// <see cref="XmitSkbEvent"/>: pins the skb CTRN (the TLB check; a lifted one is answered
/// <see cref="TxStatus.InvalidGva"/>), writes one descriptor per physical extent (the header's
/// and the payload's own pages) and rings the doorbell; with too little room it answers
/// <see cref="TxStatus.RingFull"/>. An skb with a <see cref="TxOffload"/> gets a TCP/IP context
/// descriptor first and TSE data descriptors (the NIC segments it); without TSO enabled it is
/// refused with <see cref="TxStatus.OffloadUnsupported"/>. Either way the skb is the driver's: refused ones are popped
/// at once. On the device's TX interrupt it reclaims done descriptors, unpins and pops each skb
/// and answers <see cref="SendCompleteEvent"/> to its ReplyTo; the attached TX client then gets a
/// <see cref="TxCredit"/> unless a completion went to it (its completions carry the free count). Replies:
/// <see cref="SendCompleteEvent"/>, <see cref="TxCredit"/>, <see cref="NicStatistics"/>.
/// </para>
/// <para>
/// Crash recovery: when the worker fails (an exception, an injected driver crash) its supervisor
/// restarts it and the frames in flight survive in a state object. The fresh instance stops the
/// device's TX queue (<see cref="VirtualNicProtocol.QuiesceTx"/>), then reads what the NIC wrote
/// back: each frame whose descriptors the device marked done completes as it went, every other
/// one fails <see cref="TxStatus.Aborted"/>, each exactly once, unpinned and popped; then it
/// programs a fresh ring and replays the transmits that arrived meanwhile.
/// </para>
/// <para>
/// Phases, by <c>Become</c>: running; recovering (after a restart, until the device's
/// <see cref="VirtualNicProtocol.TxQuiesced"/>: transmits are held); stopped (after
/// <see cref="WorkerProtocol.Stop"/>: every transmit is refused <see cref="TxStatus.Aborted"/>).
/// </para>
/// </summary>
public sealed class DriverTxWorker : EdsrtActor
{
    private readonly NicOptions _options;
    private readonly IActorRef _device;
    private readonly List<TxCompletion<IActorRef>> _completions = [];
    private readonly DriverTxState _state;
    private readonly Queue<XmitSkbEvent> _heldDuringRecovery;

    // Causes of frames in flight, kept only for traced frames: the completion interrupt may serve
    // frames of several syscalls, and each completion must go back up under its own trace. Kept in
    // the state object, so completions after a crash still go up under their causes.
    private readonly Dictionary<(IActorRef ReplyTo, ulong Token), ActivityContext> _causes;
    private KeyValuePair<string, object?> _hostTag;
    private TxQueue<IActorRef>? _queue;
    private IActorRef? _client;
    private bool _clientBatches;
    private readonly BatchOutbox<SendCompleteBatchEvent, SendCompleteEvent> _toClient = new();

    /// <summary>Creates the worker for the NIC described by <paramref name="options"/>, driving <paramref name="device"/>.</summary>
    public DriverTxWorker(NicOptions options, IActorRef device)
        : this(options, device, new DriverTxState())
    {
    }

    public DriverTxWorker(NicOptions options, IActorRef device, DriverTxState state)
    {
        _options = options;
        _device = device;
        _state = state;
        _causes = state.Causes;

        // Shared with the next instance: a crash while replaying them must not lose the rest.
        _heldDuringRecovery = state.Held;

        Running();
    }

    /// <summary>The normal phase: transmits go to the ring, interrupts reclaim it.</summary>
    private void Running()
    {
        Receive<XmitSkbEvent>(message =>
        {
            if (OnXmit(message))
            {
                RingDoorbell();
            }

            Edsrt.ReturnHandled(message);
        });
        Receive<XmitSkbBatchEvent>(batch =>
        {
            // Every skb's descriptors written, then one doorbell: the NIC reads them all in one DMA pass.
            bool posted = false;
            for (int i = 0; i < batch.Count; i++)
            {
                posted |= OnXmit(batch[i]);
                Edsrt.ReturnHandled(batch[i]);
            }

            if (posted)
            {
                RingDoorbell();
            }

            Edsrt.ReturnHandled(batch);
        });
        Receive<VirtualNicProtocol.TxQuiesced>(_ => { });
        Receive<VirtualNicProtocol.TxInterrupt>(_ => OnTxInterrupt());
        Receive<AttachTx>(message => Attach(message, _queue?.FreeDescriptors ?? 0));
        Common();
    }

    /// <summary>After a restart, until the device stopped its TX queue: transmits are held, interrupts wait for the abort.</summary>
    private void Recovering()
    {
        Receive<XmitSkbEvent>(message => _heldDuringRecovery.Enqueue(message));
        Receive<XmitSkbBatchEvent>(batch =>
        {
            for (int i = 0; i < batch.Count; i++)
            {
                _heldDuringRecovery.Enqueue(batch[i]);
            }

            // The items are held (returned when handled); the batch itself is done.
            Edsrt.ReturnHandled(batch);
        });
        Receive<VirtualNicProtocol.TxQuiesced>(_ => OnTxQuiesced());
        Receive<VirtualNicProtocol.TxInterrupt>(_ => { });
        Receive<AttachTx>(message => Attach(message, _queue?.FreeDescriptors ?? 0));
        Common();
    }

    /// <summary>After <see cref="WorkerProtocol.Stop"/>: everything is released; transmits are refused.</summary>
    private void Stopped()
    {
        Receive<XmitSkbEvent>(message =>
        {
            Context.System.Memory.Release(Ts, message.Skb);
            message.ReplyTo.TellTraced(SendCompleteEvent.Rent(message.Token, message.Length, TxStatus.Aborted, 0), Self);
            Edsrt.ReturnHandled(message);
        });
        Receive<XmitSkbBatchEvent>(batch =>
        {
            for (int i = 0; i < batch.Count; i++)
            {
                Context.System.Memory.Release(Ts, batch[i].Skb);
                batch[i].ReplyTo.TellTraced(SendCompleteEvent.Rent(batch[i].Token, batch[i].Length, TxStatus.Aborted, 0), Self);
                Edsrt.ReturnHandled(batch[i]);
            }

            Edsrt.ReturnHandled(batch);
        });
        Receive<VirtualNicProtocol.TxQuiesced>(_ => { });
        Receive<VirtualNicProtocol.TxInterrupt>(_ => { });
        Receive<AttachTx>(message => Attach(message, 0));
        Common();
    }

    private void Common()
    {
        Receive<GetNicStatistics>(_ => _device.Tell(
            new VirtualNicProtocol.CollectStatistics(
                ReplyTo: Sender,
                TxDropped: _queue?.Dropped ?? 0,
                TxRingInUse: _queue?.InUse ?? 0,
                TxRingSize: _options.TxRingSize,
                Device: default),
            Self));
        Receive<WorkerProtocol.AwaitReady>(_ => _device.Tell(new VirtualNicProtocol.Fence(Sender, WorkerProtocol.Ready.Instance), Self));
        Receive<WorkerProtocol.Stop>(_ =>
        {
            Release();
            Become(Stopped);
            Sender.Tell(WorkerProtocol.Stopped.Instance, Self);
        });
    }

    /// <inheritdoc />
    protected override void PreStart() => ProgramRing();

    /// <inheritdoc />
    protected override void PreRestart(Exception reason, object? message)
    {
        // Keep the frames in flight (pinned, posted) for the next instance: releasing them here,
        // while the device may still be reading the ring, could let it DMA from reused pages.
        _state.Queue = _queue;
        _state.Client = _client;
        _state.ClientBatches = _clientBatches;
    }

    /// <inheritdoc />
    protected override void PostRestart(Exception reason)
    {
        _state.Restarts++;
        _hostTag = EdsosMetrics.HostTag(Context.System);
        _queue = _state.Queue;
        _client = _state.Client;
        _clientBatches = _state.ClientBatches;
        _state.Queue = null;
        if (_queue is null)
        {
            ProgramRing();
            return;
        }

        // Stop the device's TX queue first; its reply says every DMA on the old ring is over.
        Become(Recovering);
        _device.Tell(new VirtualNicProtocol.QuiesceTx(Self), Self);
    }

    private void ProgramRing()
    {
        var memory = Context.System.Memory;
        _hostTag = EdsosMetrics.HostTag(Context.System);
        var ring = DescriptorRing.Create(memory, Ts, "tx_ring", _options.TxRingSize).Unwrap();
        _queue = new TxQueue<IActorRef>(memory, Ts, ring, _options.MaxDescriptorsPerFrame, _options.MaxFrameLength, _options.Tso);
        _device.Tell(new VirtualNicProtocol.ConfigureTx(ring.Extents, ring.Count, Self), Self);
        _device.Tell(new VirtualNicProtocol.EnableInterrupts(InterruptCause.TxDescriptorWritten), Self);
    }

    private void OnTxQuiesced()
    {
        // The descriptors' write-back is what the NIC reports: done frames complete as sent (or
        // failed), the rest abort. Each pending frame leaves the queue exactly once here.
        _completions.Clear();
        int inUse = _queue!.InUse;
        _queue.Abort(_completions);
        DriverMetrics.RingOccupancy.Add(_queue.InUse - inUse, _hostTag);
        Complete(_queue.FreeDescriptors);
        Become(Running);
        ProgramRing();
        _client?.TellTraced(TxCredit.Of(_queue.FreeDescriptors), Self);
        bool posted = false;
        while (_heldDuringRecovery.TryDequeue(out var held))
        {
            posted |= OnXmit(held);
            Edsrt.ReturnHandled(held);
        }

        if (posted)
        {
            RingDoorbell();
        }
    }

    /// <inheritdoc />
    protected override void PostStop()
    {
        // Without a prior reset the device may still hold the ring; unpinning is still safe
        // (its DMA then fails and counts), and it is the only way not to leak on a crash.
        Release();
    }

    /// <summary>Writes the skb's descriptors (true), or refuses it (false: popped and answered); the caller rings the doorbell.</summary>
    private bool OnXmit(XmitSkbEvent message)
    {
        if (_queue is null)
        {
            Context.System.Memory.Release(Ts, message.Skb);
            message.ReplyTo.TellTraced(SendCompleteEvent.Rent(message.Token, message.Length, TxStatus.Aborted, 0), Self);
            return false;
        }

        var faults = Context.System.Faults;
        if (faults.Hit(DriverFaultPoints.DescriptorsPosted, Ts, message.Skb, FaultKind.RingFull) == FaultKind.RingFull)
        {
            // Injected: the ring is full. The skb is the driver's, so it goes now, as a real refusal's does.
            Context.System.Memory.Release(Ts, message.Skb);
            message.ReplyTo.TellTraced(SendCompleteEvent.Rent(message.Token, message.Length, TxStatus.RingFull, _queue.FreeDescriptors), Self);
            return false;
        }

        int inUse = _queue.InUse;
        var refused = _queue.Enqueue(message.Skb, message.Length, message.Offload, message.Token, message.ReplyTo);
        if (refused is { } status)
        {
            message.ReplyTo.TellTraced(SendCompleteEvent.Rent(message.Token, message.Length, status, _queue.FreeDescriptors), Self);
            return false;
        }

        DriverMetrics.RingOccupancy.Add(_queue.InUse - inUse, _hostTag);
        var cause = ActorTracing.CaptureCause();
        if (cause != default)
        {
            _causes[(message.ReplyTo, message.Token)] = cause;
        }

        // Descriptors posted, doorbell not rung: a TS exit here leaves pinned, lifted pages behind
        // descriptors; a crash here leaves a frame the device never saw (the restart fails it).
        faults.Hit(DriverFaultPoints.DescriptorsPosted, Ts, message.Skb, FaultKind.TsExit | FaultKind.DriverCrash | FaultKind.SocketClose);
        return true;
    }

    /// <summary>Tells the device the ring's new tail (the TDT write): it fetches every descriptor posted since the last one.</summary>
    private void RingDoorbell()
    {
        if (_queue is not null)
        {
            _device.Tell(VirtualNicProtocol.TxDoorbell.Of(_queue.Ring.Tail), Self);
        }
    }

    private void OnTxInterrupt()
    {
        if (_queue is null)
        {
            return;
        }

        // The completion chain starts here; a crash before the reclaim leaves the DD bits for the
        // restarted worker's abort to read, so each frame still completes exactly once.
        if (_queue.PendingFrames > 0)
        {
            Context.System.Faults.Hit(DriverFaultPoints.Completion, Ts, _queue.OldestSkb, FaultKind.TsExit | FaultKind.DriverCrash | FaultKind.SocketClose);
        }

        _completions.Clear();
        int inUse = _queue.InUse;
        if (_queue.Reclaim(_completions) == 0)
        {
            return;
        }

        DriverMetrics.RingOccupancy.Add(_queue.InUse - inUse, _hostTag);

        // A completion the client gets carries the ring's free count and wakes its queue (the qdisc runs on it), so
        // the credit goes only when none of the reclaimed frames was the client's: one message less per frame sent.
        if (!Complete(_queue.FreeDescriptors))
        {
            _client?.TellTraced(TxCredit.Of(_queue.FreeDescriptors), Self);
        }
    }

    private void Attach(AttachTx message, int free)
    {
        _client = message.Client;
        _clientBatches = message.Batches;
        _client.TellTraced(TxCredit.Of(free), Self);
    }

    /// <summary>
    /// Aborts every frame in flight and releases the ring and the held transmits. Idempotent (the stop
    /// message and then <see cref="PostStop"/> both call it): an aborted queue has nothing left to abort.
    /// </summary>
    private void Release()
    {
        if (_queue is not null)
        {
            _completions.Clear();
            int inUse = _queue.InUse;
            _queue.Abort(_completions);
            DriverMetrics.RingOccupancy.Add(_queue.InUse - inUse, _hostTag);
            Complete(free: 0);
        }

        // Transmits held while recovering: the driver owns their skbs, so they go now.
        while (_heldDuringRecovery.TryDequeue(out var held))
        {
            Context.System.Memory.Release(Ts, held.Skb);
            held.ReplyTo.TellTraced(SendCompleteEvent.Rent(held.Token, held.Length, TxStatus.Aborted, 0), Self);
            Edsrt.ReturnHandled(held);
        }
    }

    /// <summary>
    /// Answers every reclaimed frame: one <see cref="SendCompleteEvent"/> each, or, for a client attached with batches,
    /// its frames' completions in one <see cref="SendCompleteBatchEvent"/>. True when at least one went to the client.
    /// </summary>
    private bool Complete(int free)
    {
        bool toClient = false;
        _toClient.Open();
        try
        {
            for (var i = 0; i < _completions.Count; i++)
            {
                var done = _completions[i];
                var resumed = _causes.Count != 0 && _causes.Remove((done.ReplyTo, done.Token), out var cause)
                    ? Context.System.Tracing.Resume(cause, "tx_complete")
                    : default;
                resumed.Span?.SetTag("edsos.tx.status", done.Status.ToString());
                var complete = SendCompleteEvent.Rent(done.Token, done.Length, done.Status, free);
                toClient |= _client is not null && done.ReplyTo.Equals(_client);
                if (!_clientBatches || !done.ReplyTo.Equals(_client) || !_toClient.TryAdd(done.ReplyTo, complete))
                {
                    done.ReplyTo.TellTraced(complete, Self);
                }

                resumed.Dispose();
            }
        }
        finally
        {
            _toClient.Flush(Self);
        }

        _completions.Clear();
        return toClient;
    }
}
