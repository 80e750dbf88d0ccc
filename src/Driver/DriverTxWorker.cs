using System.Diagnostics;
using Edsos.Driver.Device;
using Edsos.Driver.Ring;
using Edsos.Memory;
using Edsos.Scheduler;
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

    // Causes of frames in flight, kept only for traced frames: the completion interrupt may serve
    // frames of several syscalls, and each completion must go back up under its own trace.
    private readonly Dictionary<(IActorRef ReplyTo, ulong Token), ActivityContext> _causes = [];
    private KeyValuePair<string, object?> _hostTag;
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
        _hostTag = EdsosMetrics.HostTag(Context.System);
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

        int inUse = _queue.InUse;
        var refused = _queue.Enqueue(message.Skb, message.Length, message.Token, message.ReplyTo);
        if (refused is { } status)
        {
            message.ReplyTo.Tell(new SendCompleteEvent(message.Token, message.Length, status, _queue.FreeDescriptors), Self);
            return;
        }

        EdsosMetrics.RingOccupancy.Add(_queue.InUse - inUse, _hostTag);
        var cause = ActorTracing.CaptureCause();
        if (cause != default)
        {
            _causes[(message.ReplyTo, message.Token)] = cause;
        }

        _device.Tell(new VirtualNicProtocol.TxDoorbell(_queue.Ring.Tail), Self);
    }

    private void OnTxInterrupt()
    {
        if (_queue is null || _stopped)
        {
            return;
        }

        _completions.Clear();
        int inUse = _queue.InUse;
        if (_queue.Reclaim(_completions) == 0)
        {
            return;
        }

        EdsosMetrics.RingOccupancy.Add(_queue.InUse - inUse, _hostTag);

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
            int inUse = _queue.InUse;
            _queue.Abort(_completions);
            EdsosMetrics.RingOccupancy.Add(_queue.InUse - inUse, _hostTag);
            Complete();
        }
    }

    private void Complete()
    {
        var free = _stopped ? 0 : _queue!.FreeDescriptors;
        for (var i = 0; i < _completions.Count; i++)
        {
            var done = _completions[i];
            var resumed = _causes.Count != 0 && _causes.Remove((done.ReplyTo, done.Token), out var cause)
                ? Context.System.Tracing.Resume(cause, "tx_complete")
                : default;
            resumed.Span?.SetTag("edsos.tx.status", done.Status.ToString());
            done.ReplyTo.Tell(new SendCompleteEvent(done.Token, done.Length, done.Status, free), Self);
            resumed.Dispose();
        }

        _completions.Clear();
    }
}
