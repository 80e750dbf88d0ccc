using Edsos.Driver.Device;
using Edsos.Driver.Ring;
using Edsos.Memory;
using Edsos.Scheduler;
using Edsos.Scheduler.Faults;
using static Edsos.Driver.DriverProtocol;

namespace Edsos.Driver;

/// <summary>
/// The driver's transmit worker (seed 000 stage 4), bound to the driver TS
/// <c>/drivers/net/&lt;name&gt;</c>. At start it pushes and pins its TX ring
/// (<c>tx_ring</c>) and programs the device with it.
/// <para>
/// <see cref="XmitSkbEvent"/>: pins the skb CTRN (the TLB check; a lifted one is answered
/// <see cref="TxStatus.InvalidGva"/>), writes one descriptor per physical extent (the header's
/// and the payload's own pages) and rings the doorbell; with too little room it answers
/// <see cref="TxStatus.RingFull"/>. Either way the skb is the driver's: refused ones are popped
/// at once. On the device's TX interrupt it reclaims done descriptors, unpins and pops each skb
/// and answers <see cref="SendCompleteEvent"/> to its ReplyTo; the attached TX client then gets a
/// <see cref="TxCredit"/>. Replies: <see cref="SendCompleteEvent"/>, <see cref="TxCredit"/>,
/// <see cref="NicStatistics"/>.
/// </para>
/// </summary>
public sealed class DriverTxWorker : ReceiveActor
{
    private readonly NicOptions _options;
    private readonly IActorRef _device;
    private readonly List<TxCompletion<IActorRef>> _completions = [];
    private TxQueue<IActorRef>? _queue;
    private IActorRef? _client;
    private bool _stopped;

    /// <summary>Creates the worker for the NIC described by <paramref name="options"/>, driving <paramref name="device"/>.</summary>
    public DriverTxWorker(NicOptions options, IActorRef device)
    {
        _options = options;
        _device = device;

        Receive<XmitSkbEvent>(OnXmit);
        Receive<VirtualNicProtocol.TxInterrupt>(_ => OnTxInterrupt());
        Receive<AttachTx>(OnAttachTx);
        Receive<GetNicStatistics>(_ => _device.Tell(
            new VirtualNicProtocol.CollectStatistics(Sender, _queue?.Dropped ?? 0, _queue?.InUse ?? 0, _options.TxRingSize, default),
            Self));
        Receive<WorkerProtocol.AwaitReady>(_ => _device.Tell(new VirtualNicProtocol.Fence(Sender, WorkerProtocol.Ready.Instance), Self));
        Receive<WorkerProtocol.Stop>(_ =>
        {
            Release();
            Sender.Tell(WorkerProtocol.Stopped.Instance, Self);
        });
    }

    /// <inheritdoc />
    protected override void PreStart()
    {
        var memory = Context.System.Memory;
        var ring = DescriptorRing.Create(memory, Context.Ts, "tx_ring", _options.TxRingSize).Unwrap();
        _queue = new TxQueue<IActorRef>(memory, Context.Ts, ring, _options.MaxDescriptorsPerFrame, _options.MaxFrameLength);
        _device.Tell(new VirtualNicProtocol.ConfigureTx(ring.Extents, ring.Count, Self), Self);
        _device.Tell(new VirtualNicProtocol.EnableInterrupts(InterruptCause.TxDescriptorWritten), Self);
    }

    /// <inheritdoc />
    protected override void PostStop()
    {
        // Without a prior reset the device may still hold the ring; unpinning is still safe
        // (its DMA then fails and counts), and it is the only way not to leak on a crash.
        Release();
    }

    private void OnXmit(XmitSkbEvent message)
    {
        if (_stopped || _queue is null)
        {
            Context.System.Memory.Pop(Context.Ts, message.Skb);
            message.ReplyTo.Tell(new SendCompleteEvent(message.Token, message.Length, TxStatus.Aborted, 0), Self);
            return;
        }

        var faults = Context.System.Faults;
        if (faults.Hit(FaultPoint.DescriptorsPosted, Context.Ts, message.Skb, FaultKind.RingFull) == FaultKind.RingFull)
        {
            // Injected: the ring is full. The skb is the driver's, so it goes now, as a real refusal's does.
            Context.System.Memory.Pop(Context.Ts, message.Skb);
            message.ReplyTo.Tell(new SendCompleteEvent(message.Token, message.Length, TxStatus.RingFull, _queue.FreeDescriptors), Self);
            return;
        }

        var refused = _queue.Enqueue(message.Skb, message.Length, message.Token, message.ReplyTo);
        if (refused is { } status)
        {
            message.ReplyTo.Tell(new SendCompleteEvent(message.Token, message.Length, status, _queue.FreeDescriptors), Self);
            return;
        }

        // Descriptors posted, doorbell not rung: a TS exit here leaves pinned, lifted pages behind
        // descriptors; a crash here leaves a frame the device never saw (the restart fails it).
        faults.Hit(FaultPoint.DescriptorsPosted, Context.Ts, message.Skb, FaultKind.TsExit | FaultKind.DriverCrash | FaultKind.SocketClose);
        _device.Tell(new VirtualNicProtocol.TxDoorbell(_queue.Ring.Tail), Self);
    }

    private void OnTxInterrupt()
    {
        if (_queue is null || _stopped)
        {
            return;
        }

        // The completion chain starts here; a crash before the reclaim leaves the DD bits for the
        // restarted worker's abort to read, so each frame still completes exactly once.
        Context.System.Faults.Hit(FaultPoint.Completion, Context.Ts, _queue.OldestSkb, FaultKind.TsExit | FaultKind.DriverCrash | FaultKind.SocketClose);
        _completions.Clear();
        if (_queue.Reclaim(_completions) == 0)
        {
            return;
        }

        Complete();
        _client?.Tell(new TxCredit(_queue.FreeDescriptors), Self);
    }

    private void OnAttachTx(AttachTx message)
    {
        _client = message.Client;
        _client.Tell(new TxCredit(_stopped || _queue is null ? 0 : _queue.FreeDescriptors), Self);
    }

    private void Release()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        if (_queue is not null)
        {
            _completions.Clear();
            _queue.Abort(_completions);
            Complete();
        }
    }

    private void Complete()
    {
        var free = _stopped ? 0 : _queue!.FreeDescriptors;
        for (var i = 0; i < _completions.Count; i++)
        {
            var done = _completions[i];
            done.ReplyTo.Tell(new SendCompleteEvent(done.Token, done.Length, done.Status, free), Self);
        }

        _completions.Clear();
    }
}
