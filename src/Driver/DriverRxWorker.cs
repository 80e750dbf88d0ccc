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
/// The driver's receive worker, bound to the driver TS <c>/drivers/net/&lt;name&gt;</c>. At
/// start it pushes and pins its RX ring (<c>rx_ring</c>) and <c>RxRingSize - 1</c> buffers
/// (<c>rx_ring/buf_NN</c>), programs the device and posts them.
/// <para>
/// On an RX interrupt (the device masked further RX interrupts when it raised it) it polls
/// NAPI-style: at most <see cref="NicOptions.NapiBudget"/> frames per turn; each done buffer is
/// unpinned, its frame bytes <c>ct_share</c>d into the attached handler's TS and the driver's
/// node popped, and the handler gets <see cref="FrameReceivedEvent"/> (attached with batches, the poll's frames in one
/// <see cref="FrameReceivedBatchEvent"/>); fresh buffers are posted
/// in their place. When the budget runs out it sends itself another poll rather than loop (so
/// other mail is served in between); when the ring is drained it re-enables RX interrupts.
/// With no handler attached, frames are dropped and counted (their buffers are popped too).
/// </para>
/// <para>
/// Crash recovery: restarted by its supervisor, the fresh instance stops the device's RX queue
/// (<see cref="VirtualNicProtocol.QuiesceRx"/>), delivers every frame the NIC had written back,
/// unpins and pops the buffers still posted, and programs a fresh ring. Frames arriving while the
/// RX queue is stopped are missed (counted by the device), as on a real queue reset.
/// </para>
/// <para>
/// Phases, by <c>Become</c>: running, recovering (after a restart, until
/// <see cref="VirtualNicProtocol.RxQuiesced"/>) and stopped. Whether a NAPI poll is scheduled is a flag
/// within the running phase (it flips per interrupt; see the field).
/// </para>
/// </summary>
public sealed class DriverRxWorker : EdsrtActor
{
    private readonly NicOptions _options;
    private readonly IActorRef _device;
    // The unmask a drained poll writes, the same every time: one instance rather than one per poll.
    private static readonly VirtualNicProtocol.EnableInterrupts s_unmaskRx = new(InterruptCause.RxTimer);
    private readonly List<RxFrame> _frames = [];
    private readonly DriverRxState _state;
    private RxQueue? _queue;
    private IActorRef? _handler;
    private TsId _handlerTs;
    private bool _handlerBatches;

    // NAPI's "poll scheduled" bit, flipped on every interrupt and every drained poll: a flag, not a Become,
    // because a ReceiveActor's Become builds a new handler table each time (kilobytes per interrupt).
    private bool _polling;

    /// <summary>Creates the worker for the NIC described by <paramref name="options"/>, driving <paramref name="device"/>.</summary>
    public DriverRxWorker(NicOptions options, IActorRef device)
        : this(options, device, new DriverRxState())
    {
    }

    public DriverRxWorker(NicOptions options, IActorRef device, DriverRxState state)
    {
        _options = options;
        _device = device;
        _state = state;
        Running();
    }

    /// <summary>The normal phase: an RX interrupt starts a NAPI poll unless one is running.</summary>
    private void Running()
    {
        Receive<VirtualNicProtocol.RxInterrupt>(_ => OnInterrupt());
        Receive<WorkerProtocol.Poll>(_ => PollOnce());
        Receive<VirtualNicProtocol.RxQuiesced>(_ => { });
        Common();
    }

    /// <summary>After a restart, until the device stopped writing: nothing is polled.</summary>
    private void Recovering()
    {
        Receive<VirtualNicProtocol.RxInterrupt>(_ => { });
        Receive<WorkerProtocol.Poll>(_ => { });
        Receive<VirtualNicProtocol.RxQuiesced>(_ => OnRxQuiesced());
        Common();
    }

    /// <summary>After <see cref="WorkerProtocol.Stop"/>: the ring and its buffers are released; nothing more happens.</summary>
    private void Stopped()
    {
        Receive<VirtualNicProtocol.RxInterrupt>(_ => { });
        Receive<WorkerProtocol.Poll>(_ => { });
        Receive<VirtualNicProtocol.RxQuiesced>(_ => { });
        Common();
    }

    private void Common()
    {
        Receive<AttachRx>(m =>
        {
            _handler = m.Handler;
            _handlerTs = m.HandlerTs;
            _handlerBatches = m.Batches;
        });
        Receive<VirtualNicProtocol.CollectStatistics>(OnCollectStatistics);
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
        // The device may still be writing into the posted buffers: keep them for the next instance.
        _state.Queue = _queue;
        _state.Handler = _handler;
        _state.HandlerTs = _handlerTs;
        _state.HandlerBatches = _handlerBatches;
    }

    /// <inheritdoc />
    protected override void PostRestart(Exception reason)
    {
        _queue = _state.Queue;
        _handler = _state.Handler;
        _handlerTs = _state.HandlerTs;
        _handlerBatches = _state.HandlerBatches;
        _state.Queue = null;
        if (_queue is null)
        {
            ProgramRing();
            return;
        }

        Become(Recovering);
        _device.Tell(new VirtualNicProtocol.QuiesceRx(Self), Self);
    }

    private void OnRxQuiesced()
    {
        // The device writes nothing more: deliver what it wrote back, release what it did not fill.
        Become(Running);
        if (_queue is null)
        {
            return;
        }

        _frames.Clear();
        var handlerTs = _handler is null ? TsId.None : _handlerTs;
        _queue.Poll(_options.RxRingSize, handlerTs, _frames);
        HandUp();
        _queue.Release();
        ProgramRing();
    }

    private void ProgramRing()
    {
        var memory = Context.System.Memory;
        var ring = DescriptorRing.Create(memory, Ts, "rx_ring", _options.RxRingSize).Unwrap();
        _queue = new RxQueue(memory, Ts, ring, _options.RxBufferSize, _options.Name + "_rx", _options.RxBuffersPerBlock, _options.RxSpareBlocks);
        var filled = _queue.Fill();
        _device.Tell(new VirtualNicProtocol.ConfigureRx(ring.Extents, ring.Count, Self), Self);
        if (filled.IsOk || _queue.Posted > 0)
        {
            _device.Tell(VirtualNicProtocol.RxDoorbell.Of(ring.Tail), Self);
        }

        _device.Tell(s_unmaskRx, Self);
    }

    /// <inheritdoc />
    protected override void PostStop() => Release();

    private void OnInterrupt()
    {
        // A poll already scheduled will see these frames; the device auto-masked anyway.
        if (_polling)
        {
            return;
        }

        _polling = true;
        PollOnce();
    }

    private void PollOnce()
    {
        if (_queue is null)
        {
            _polling = false;
            return;
        }

        if (_queue.HasWork())
        {
            // A crash here leaves the written-back descriptors for the restarted worker to deliver.
            Context.System.Faults.Hit(DriverFaultPoints.RxDriver, Ts, accept: FaultKind.TsExit | FaultKind.DriverCrash);
        }

        _frames.Clear();
        var handlerTs = _handler is null ? TsId.None : _handlerTs;
        var consumed = _queue.Poll(_options.NapiBudget, handlerTs, _frames);
        HandUp();
        // The doorbell only when buffers were posted (or may have been, before a failure): with blocks of many
        // buffers most polls free no whole block, and writing RDT unchanged was one more message to the device.
        var filled = consumed > 0 ? _queue.Fill() : MemoryResult<int>.Ok(0);
        bool doorbell = filled.IsOk ? filled.Value > 0 : filled.Error != MemoryError.Disposed;
        if (consumed == _options.NapiBudget)
        {
            // Budget spent: yield to the mailbox (AttachRx, statistics, stop) and come back.
            if (doorbell)
            {
                _device.Tell(VirtualNicProtocol.RxDoorbell.Of(_queue.Ring.Tail), Self);
            }

            Self.Tell(WorkerProtocol.Poll.Instance, Self);
            return;
        }

        // Drained: unmask (after the doorbell, in the same message when there is one). A frame that landed after this
        // poll fires at once on unmask.
        _polling = false;
        _device.Tell(doorbell ? VirtualNicProtocol.RxDoorbell.UnmaskingRx(_queue.Ring.Tail) : s_unmaskRx, Self);
    }

    /// <summary>
    /// Hands the polled frames to the handler: one <see cref="FrameReceivedBatchEvent"/> per poll when it attached with
    /// batches (NAPI: the cost of a hop is shared by the poll's frames), else, and for a poll of one frame, one
    /// <see cref="FrameReceivedEvent"/> each.
    /// </summary>
    private void HandUp()
    {
        if (_frames.Count == 0)
        {
            return;
        }

        if (_handlerBatches && _frames.Count > 1)
        {
            var batch = FrameReceivedBatchEvent.Rent();
            for (var i = 0; i < _frames.Count; i++)
            {
                batch.Add(FrameReceivedEvent.Rent(_frames[i].Frame, _frames[i].Length, _frames[i].Checksum));
            }

            _handler!.TellTraced(batch, Self);
        }
        else
        {
            for (var i = 0; i < _frames.Count; i++)
            {
                _handler!.TellTraced(FrameReceivedEvent.Rent(_frames[i].Frame, _frames[i].Length, _frames[i].Checksum), Self);
            }
        }

        _frames.Clear();
    }

    private void OnCollectStatistics(VirtualNicProtocol.CollectStatistics message)
    {
        var device = message.Device;
        message.ReplyTo.Tell(
            new NicStatistics(
                FramesSent: device.FramesSent,
                FramesReceived: device.FramesReceived,
                BytesSent: device.BytesSent,
                BytesReceived: device.BytesReceived,
                RxMissed: device.RxMissed,
                TxDropped: message.TxDropped,
                TxRingInUse: message.TxRingInUse,
                TxRingSize: message.TxRingSize,
                RxDropped: _queue?.Dropped ?? 0,
                TsoFrames: device.TsoFrames,
                TsoSegments: device.TsoSegments),
            Self);
    }

    /// <summary>Releases the posted buffers and the ring. Idempotent (the stop message and then <see cref="PostStop"/> both call it).</summary>
    private void Release() => _queue?.Release();
}
