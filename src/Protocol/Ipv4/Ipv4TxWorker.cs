using Edsos.Driver;
using Edsos.Memory;
using Edsos.Protocol.Arp;
using Edsos.Protocol.Qdisc;
using Edsos.Protocol.Routing;
using Edsos.Protocol.Wire;
using Akka.Actor;
using Edsos.Scheduler;
using Edsos.Scheduler.Faults;

namespace Edsos.Protocol.Ipv4;

/// <summary>
/// The IPv4 output path of seed 000 stage 3 and seed 003 steps 4-8, in the transmit TS: the
/// <see cref="Ipv4OutputRouter"/> checks and routes each datagram (ENETUNREACH without a route), the
/// <see cref="ArpResolver{TPacket}"/> resolves its next hop (park on a miss, request, retry, EHOSTUNREACH on
/// give-up), the <see cref="FragmentationPlanner"/> plans its frames, and this actor builds them by
/// <c>divide</c> and <c>merge</c> (one pushed Ethernet+IPv4 header per fragment, merged with its payload piece)
/// and hands each to the qdisc; frames for one of our own addresses are injected into the receive worker
/// instead (loopback). A TCP super-segment (<see cref="Ipv4Protocol.IpQueueXmit.GsoSize"/>) is never
/// fragmented: it leaves as one skb with DF and a <see cref="Driver.TxOffload"/> for the NIC to cut. It also
/// sends the ARP requests, replies and the start-up probe.
/// </summary>
/// <remarks>
/// Ownership: every headroom and payload node that arrives is released exactly once on every path, either
/// merged into a frame the qdisc takes over or released here. The Ethernet and IPv4 headers are written only
/// when the next hop's MAC is known, so a parked datagram is just its two untouched nodes. Phases (by
/// <c>Become</c>): running, then quiesced (<see cref="InetStackProtocol.Quiesce"/>), when new datagrams fail
/// with ENETDOWN and ARP is no longer run.
/// </remarks>
public sealed partial class Ipv4TxWorker : EdsrtActor
{
    private const string ArpTimerKey = "arp";

    private readonly DeadlineTimer _arpTimer = new(ArpTimerKey, ArpTick.Instance);
    private readonly InetStackOptions _options;
    private readonly MemoryManager _memory;
    private readonly IScheduler _clock;
    private readonly TsId _ts;
    private readonly Ipv4OutputRouter _router;
    private readonly ArpResolver<OutgoingDatagram> _arp;
    private readonly FragmentationPlanner _planner;
    private readonly PendingOutputTable<ReplyTarget> _pending = new();
    private readonly Ipv4TxTally _tally = new();
    private readonly IActorRef _qdisc;
    private readonly IActorRef _rxWorker;
    private readonly TsId _rxTs;
    private readonly List<OutgoingDatagram> _ready = new();
    private readonly List<OutgoingDatagram> _failed = new();
    private readonly List<Ipv4Address> _requests = new();
    private readonly List<OutputCompletion<ReplyTarget>> _drained = new();
    private readonly BatchOutbox<QdiscProtocol.DevQueueXmitBatch, QdiscProtocol.DevQueueXmit> _toQdisc = new();
    private readonly BatchOutbox<Ipv4Protocol.IpXmitCompleteBatch, Ipv4Protocol.IpXmitComplete> _toSenders = new();

    /// <summary>Creates the worker; <see cref="InetStack.Start"/> does this.</summary>
    public Ipv4TxWorker(
        InetStackOptions options,
        MemoryManager memory,
        IScheduler clock,
        RoutingTable routes,
        IActorRef qdisc,
        IActorRef rxWorker,
        TsId rxTs)
    {
        _options = options;
        _memory = memory;
        _clock = clock;
        _ts = Ts;
        _router = new Ipv4OutputRouter(options, routes);
        _arp = new ArpResolver<OutgoingDatagram>(new SchedulerTimeProvider(clock), options.Arp);
        _planner = new FragmentationPlanner(options.Mtu);
        _qdisc = qdisc;
        _rxWorker = rxWorker;
        _rxTs = rxTs;
        Running();
    }

    /// <summary>The normal phase: datagrams are routed, resolved and sent.</summary>
    private void Running()
    {
        Receive<Ipv4Protocol.IpQueueXmit>(request =>
        {
            OnQueueXmit(request, batched: false);
            Edsrt.ReturnHandled(request);
        });
        Receive<Ipv4Protocol.IpQueueXmitBatch>(OnQueueXmitBatch);
        Receive<Ipv4Protocol.ArpLearnedEvent>(OnArpLearned);
        Receive<Ipv4Protocol.ArpReplyNeeded>(OnArpReplyNeeded);
        Receive<ArpTick>(_ => OnArpTick());
        Receive<InetStackProtocol.Quiesce>(_ =>
        {
            _arpTimer.Cancel(Timers);
            Become(Quiesced);
            Sender.Tell(new InetStackProtocol.Quiesced(nameof(Ipv4TxWorker)), Self);
        });
        Common();
    }

    /// <summary>The stack is stopping: new datagrams fail with ENETDOWN, ARP is ignored; frames out still complete.</summary>
    private void Quiesced()
    {
        Receive<Ipv4Protocol.IpQueueXmit>(request =>
        {
            Fail(Accept(request, batched: false), Errno.ENETDOWN);
            Edsrt.ReturnHandled(request);
        });
        Receive<Ipv4Protocol.IpQueueXmitBatch>(batch =>
        {
            for (int i = 0; i < batch.Count; i++)
            {
                Fail(Accept(batch[i], batched: false), Errno.ENETDOWN);
                Edsrt.ReturnHandled(batch[i]);
            }

            Edsrt.ReturnHandled(batch);
        });
        Receive<Ipv4Protocol.ArpLearnedEvent>(_ => { });
        Receive<Ipv4Protocol.ArpReplyNeeded>(_ => { });
        Receive<ArpTick>(_ => _arpTimer.Fired());
        Receive<InetStackProtocol.Quiesce>(_ => Sender.Tell(new InetStackProtocol.Quiesced(nameof(Ipv4TxWorker)), Self));
        Common();
    }

    private void Common()
    {
        Receive<QdiscProtocol.SkbSentEvent>(sent =>
        {
            OnSkbSent(sent);
            Edsrt.ReturnHandled(sent);
        });
        Receive<QdiscProtocol.SkbSentBatchEvent>(OnSkbSentBatch);
        Receive<Ipv4Protocol.ReleaseNode>(release => _memory.Release(_ts, release.Node));
        Receive<InetStackProtocol.GetCounters>(_ => Sender.Tell(_tally.Snapshot(), Self));
        Receive<InetStackProtocol.Release>(_ => Sender.Tell(new InetStackProtocol.Released(nameof(Ipv4TxWorker), ReleaseAll()), Self));
    }

    /// <inheritdoc />
    protected override void PreStart()
    {
        Ipv4Address ours = _options.Address.Address;
        if (_options.AnnounceOnStart)
        {
            // RFC 5227 2.3 announcement: a request whose sender and target are both our address.
            SendArp(MacAddress.Broadcast, new ArpRepr(ArpOperation.Request, _options.Mac, ours, MacAddress.Zero, ours));
            _tally.ArpRequestsSent++;
        }

        if (_options.ProbeGatewayOnStart && _options.Gateway is { } gateway)
        {
            // Seed 002: one ARP probe for the gateway at start; its reply proves the receive path.
            SendArp(MacAddress.Broadcast, ArpRepr.Request(_options.Mac, ours, gateway));
            _tally.ArpRequestsSent++;
        }
    }

    /// <summary>
    /// Takes the request's nodes over as a datagram with a pending completion; one that came in a batch
    /// (<paramref name="batched"/>) completes within an <see cref="Ipv4Protocol.IpXmitCompleteBatch"/> when others complete with it.
    /// </summary>
    private OutgoingDatagram Accept(Ipv4Protocol.IpQueueXmit request, bool batched)
    {
        _tally.Datagrams++;
        ulong outputId = _pending.Add(request.RequestId, new ReplyTarget(request.ReplyTo, batched), request.ReportedBytes);
        return new OutgoingDatagram(
            OutputId: outputId,
            Source: request.Source,
            Destination: request.Destination,
            Protocol: request.Protocol,
            Tos: request.Tos,
            Headroom: request.Headroom,
            TransportHeaderLength: request.TransportHeaderLength,
            Payload: request.Payload,
            PayloadLength: request.PayloadLength,
            GsoSize: request.GsoSize,
            Cause: ActorTracing.CaptureCause());
    }

    /// <summary>A transport's batch of datagrams: each handled as if alone, their frames handed to the qdisc in one batch.</summary>
    private void OnQueueXmitBatch(Ipv4Protocol.IpQueueXmitBatch batch)
    {
        if (_options.Batching)
        {
            _toQdisc.Open();
            _toSenders.Open();
        }

        try
        {
            for (int i = 0; i < batch.Count; i++)
            {
                OnQueueXmit(batch[i], batched: true);
                Edsrt.ReturnHandled(batch[i]);
            }
        }
        finally
        {
            _toQdisc.Flush(Self);
            _toSenders.Flush(Self);
        }

        Edsrt.ReturnHandled(batch);
    }

    /// <summary>The qdisc's batch of frame completions: the datagrams they finish answered in one batch per sender that batches.</summary>
    private void OnSkbSentBatch(QdiscProtocol.SkbSentBatchEvent batch)
    {
        _toSenders.Open();
        try
        {
            for (int i = 0; i < batch.Count; i++)
            {
                OnSkbSent(batch[i]);
                Edsrt.ReturnHandled(batch[i]);
            }
        }
        finally
        {
            _toSenders.Flush(Self);
        }

        Edsrt.ReturnHandled(batch);
    }

    private void OnQueueXmit(Ipv4Protocol.IpQueueXmit request, bool batched)
    {
        OutgoingDatagram datagram = Accept(request, batched);
        OutputDecision decision = _router.Decide(
            destination: request.Destination,
            protocol: request.Protocol,
            transportHeaderLength: request.TransportHeaderLength,
            payloadLength: request.PayloadLength,
            hasPayload: request.Payload != default,
            gsoSize: request.GsoSize);
        switch (decision.Action)
        {
            case OutputAction.Loopback:
                // Seed 002: a datagram to ourselves skips the NIC and is injected into the receive side.
                Emit(datagram, _options.Mac, loopback: true);
                break;

            case OutputAction.Broadcast:
                Emit(datagram, MacAddress.Broadcast, loopback: false);
                break;

            case OutputAction.Resolve:
                Resolve(decision.NextHop, datagram);
                break;

            default:
                if (decision.Error == Errno.ENETUNREACH)
                {
                    _tally.NoRoute++;
                }

                Fail(datagram, decision.Error);
                break;
        }
    }

    private void Resolve(Ipv4Address nextHop, in OutgoingDatagram datagram)
    {
        switch (_arp.Resolve(nextHop, datagram, out MacAddress mac, out OutgoingDatagram released))
        {
            case ArpResolveResult.Resolved:
                Emit(datagram, mac, loopback: false);
                break;

            case ArpResolveResult.ResolvedRefreshNeeded:
                Emit(datagram, mac, loopback: false);
                SendArpRequest(nextHop);
                break;

            case ArpResolveResult.ParkedRequestNeeded:
                // Timer first: whoever sees the request on the wire may already move the clock.
                ScheduleArpPoll();
                SendArpRequest(nextHop);
                Context.System.Faults.Hit(StackFaultPoints.ArpParked, _ts, datagram.Payload, FaultKind.TsExit | FaultKind.SocketClose);
                break;

            case ArpResolveResult.Parked:
                Context.System.Faults.Hit(StackFaultPoints.ArpParked, _ts, datagram.Payload, FaultKind.TsExit | FaultKind.SocketClose);
                break;

            default:
                // ParkedOldestDropped hands back the oldest parked datagram, Rejected this one.
                _tally.ArpQueueDrops++;
                Fail(released, Errno.ENOBUFS);
                break;
        }
    }

    /// <summary>
    /// Builds the frames of <paramref name="datagram"/> for <paramref name="destinationMac"/> as planned and
    /// hands them on, then completes the datagram unless frames are out.
    /// </summary>
    private void Emit(in OutgoingDatagram datagram, MacAddress destinationMac, bool loopback)
    {
        FramePlan plan = _planner.Plan(datagram, loopback);
        if (plan.Gso)
        {
            _tally.GsoDatagrams++;
        }
        else if (plan.Fragments > 1)
        {
            _tally.Fragmented++;
        }

        if (plan.Fragments == 1)
        {
            EmitWhole(datagram, destinationMac, plan.Identification, loopback);
        }
        else
        {
            EmitFragments(datagram, destinationMac, plan);
        }

        TryComplete(datagram.OutputId);
    }

    private void OnSkbSent(QdiscProtocol.SkbSentEvent sent)
    {
        // Token 0 is an ARP frame, which belongs to no datagram.
        if (sent.Token != 0 && _pending.FrameDone(sent.Token, sent.Error))
        {
            TryComplete(sent.Token);
        }
    }

    private void OnArpLearned(Ipv4Protocol.ArpLearnedEvent learned)
    {
        if (_options.Gateway == learned.Address)
        {
            _tally.GatewayReachable = true;
        }

        _ready.Clear();
        _arp.Learn(learned.Address, learned.Mac, learned.TargetedAtUs, _ready);
        foreach (OutgoingDatagram datagram in _ready)
        {
            // A parked datagram goes out under the syscall that produced it, linked to this ARP reply.
            using var resumed = Context.System.Tracing.Resume(datagram.Cause, "arp_resolved");
            Emit(datagram, learned.Mac, loopback: false);
        }

        _ready.Clear();
        ScheduleArpPoll();
    }

    private void OnArpReplyNeeded(Ipv4Protocol.ArpReplyNeeded needed)
    {
        SendArp(needed.Request.SenderHardwareAddress, ArpRepr.ReplyTo(needed.Request, _options.Mac));
        _tally.ArpRepliesSent++;
    }

    private void OnArpTick()
    {
        _arpTimer.Fired();
        _requests.Clear();
        _failed.Clear();
        _arp.Poll(_requests, _failed);
        ScheduleArpPoll();
        foreach (Ipv4Address address in _requests)
        {
            SendArpRequest(address);
        }

        foreach (OutgoingDatagram datagram in _failed)
        {
            _tally.ArpFailures++;
            using var resumed = Context.System.Tracing.Resume(datagram.Cause, "arp_failed");
            Fail(datagram, Errno.EHOSTUNREACH);
        }

        _requests.Clear();
        _failed.Clear();
    }

    private void ScheduleArpPoll() => _arpTimer.Schedule(Timers, _arp.NextDeadline, _clock.Now);

    private void SendArpRequest(Ipv4Address target)
    {
        _tally.ArpRequestsSent++;
        SendArp(MacAddress.Broadcast, ArpRepr.Request(_options.Mac, _options.Address.Address, target));
    }

    private void SendArp(MacAddress destination, in ArpRepr arp)
    {
        Span<byte> frame = stackalloc byte[FrameLayout.ArpFrameLength];
        new EthernetRepr(destination, _options.Mac, EtherType.Arp).Emit(EthernetFrame.CreateUnchecked(frame));
        arp.Emit(ArpPacket.CreateUnchecked(frame[FrameLayout.EthernetHeaderLength..]));
        var pushed = _memory.Push(_ts, "arp", FrameLayout.ArpFrameLength);
        if (!pushed.IsOk)
        {
            return;
        }

        if (!_memory.Write(_ts, pushed.Value, 0, frame, CopyKind.Header).IsOk)
        {
            NodeOps.Release(_memory, _ts, pushed.Value);
            return;
        }

        _tally.Frames++;

        // Token 0: an ARP frame belongs to no datagram, its completion needs no bookkeeping.
        _qdisc.Tell(
            QdiscProtocol.DevQueueXmit.Rent(
                skb: pushed.Value,
                length: FrameLayout.ArpFrameLength,
                priority: 0,
                token: 0,
                owner: Self),
            Self);
    }

    /// <summary>Releases the datagram's nodes and completes it with <paramref name="error"/> (unless frames are still out).</summary>
    private void Fail(in OutgoingDatagram datagram, Errno error)
    {
        NodeOps.Release(_memory, _ts, datagram.Headroom);
        NodeOps.Release(_memory, _ts, datagram.Payload);
        SetError(datagram.OutputId, error);
        TryComplete(datagram.OutputId);
    }

    private void SetError(ulong outputId, Errno error)
    {
        if (_pending.SetError(outputId, error) && error == Errno.EFAULT)
        {
            _tally.Faults++;
        }
    }

    private void TryComplete(ulong outputId)
    {
        if (!_pending.TryComplete(outputId, out OutputCompletion<ReplyTarget> done))
        {
            return;
        }

        if (done.Error == Errno.None)
        {
            _tally.Completed++;
        }
        else
        {
            _tally.Failed++;
        }

        if (done.ReplyTo.Actor is not { } replyTo)
        {
            return;
        }

        var complete = Ipv4Protocol.IpXmitComplete.Rent(done.RequestId, done.ReportedBytes, done.Error);
        if (!done.ReplyTo.TakesBatches || !_toSenders.TryAdd(replyTo, complete))
        {
            replyTo.Tell(complete, Self);
        }
    }

    private int ReleaseAll()
    {
        _arpTimer.Cancel(Timers);
        int popped = 0;
        _failed.Clear();
        _arp.RemoveParked(_failed);
        foreach (OutgoingDatagram datagram in _failed)
        {
            popped += NodeOps.Release(_memory, _ts, datagram.Headroom);
            popped += NodeOps.Release(_memory, _ts, datagram.Payload);
            SetError(datagram.OutputId, Errno.ENETDOWN);
        }

        _failed.Clear();

        // Whatever is still out sits in the qdisc, which pops it in its own release; answer the senders now.
        _drained.Clear();
        _pending.Drain(Errno.ENETDOWN, _drained);
        foreach (OutputCompletion<ReplyTarget> done in _drained)
        {
            done.ReplyTo.Actor?.Tell(Ipv4Protocol.IpXmitComplete.Rent(done.RequestId, 0, done.Error), Self);
        }

        _drained.Clear();
        return popped;
    }

    /// <summary>Whom a datagram's completion goes to, and whether it may go in an <see cref="Ipv4Protocol.IpXmitCompleteBatch"/> (the datagram came in a batch).</summary>
    private readonly record struct ReplyTarget(IActorRef? Actor, bool TakesBatches);

    /// <summary>Timer message: run the ARP cache's retransmits and give-ups.</summary>
    private sealed record ArpTick
    {
        public static ArpTick Instance { get; } = new();
    }
}
