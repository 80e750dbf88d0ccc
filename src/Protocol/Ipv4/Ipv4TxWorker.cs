using System.Diagnostics;
using System.Buffers;
using System.Runtime.InteropServices;
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
/// The IPv4 output path of seed 000 stage 3 and seed 003 steps 4-8, in the transmit TS: routing
/// (longest prefix match, ENETUNREACH), next-hop resolution through the ARP cache (park on a miss,
/// request, retry, EHOSTUNREACH on give-up), fragmentation by <c>divide</c> at 8-byte boundaries
/// (one pushed Ethernet+IPv4 header per fragment, merged with its payload piece), and the hand-off
/// of each frame to the qdisc; frames for one of our own addresses are injected into the receive
/// worker instead (loopback). A TCP super-segment (<see cref="Ipv4Protocol.IpQueueXmit.GsoSize"/>) is
/// never fragmented: it leaves as one skb with DF and a <see cref="TxOffload"/> for the NIC to cut. It also sends the ARP requests, replies and the start-up probe.
/// </summary>
/// <remarks>
/// Ownership: every headroom and payload node that arrives is popped on every path, either merged
/// into a frame the qdisc takes over or released here. The Ethernet and IPv4 headers are written only
/// when the next hop's MAC is known, so a parked datagram is just its two untouched nodes.
/// </remarks>
public sealed class Ipv4TxWorker : EdsrtActor
{
    private const string ArpTimerKey = "arp";

    private readonly DeadlineTimer _arpTimer = new(ArpTimerKey, ArpTick.Instance);
    private const int StackHeaderBlock = 2048;

    private readonly InetStackOptions _options;
    private readonly MemoryManager _memory;
    private readonly IScheduler _clock;
    private readonly TsId _ts;
    private readonly RoutingTable _routes;
    private readonly ArpCache<ParkedDatagram> _arp;
    private readonly IActorRef _qdisc;
    private readonly IActorRef _rxWorker;
    private readonly TsId _rxTs;
    private readonly Dictionary<ulong, PendingOutput> _pending = new();
    private readonly HashSet<Ipv4Address> _resolving = new();
    private readonly List<ParkedDatagram> _ready = new();
    private readonly List<ParkedDatagram> _failed = new();
    private readonly List<Ipv4Address> _requests = new();

    private ulong _nextOutputId = 1;
    private ushort _nextIdentification = 1;
    private bool _quiesced;
    private bool _gatewayReachable;

    private long _datagrams;
    private long _frames;
    private long _fragmented;
    private long _gsoDatagrams;
    private long _loopbackFrames;
    private long _noRoute;
    private long _arpRequestsSent;
    private long _arpRepliesSent;
    private long _arpFailures;
    private long _arpQueueDrops;
    private long _faults;
    private long _completed;
    private long _failedCount;

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
        _routes = routes;
        _arp = new ArpCache<ParkedDatagram>(new SchedulerTimeProvider(clock), options.Arp);
        _qdisc = qdisc;
        _rxWorker = rxWorker;
        _rxTs = rxTs;

        Receive<Ipv4Protocol.IpQueueXmit>(OnQueueXmit);
        Receive<QdiscProtocol.SkbSentEvent>(OnSkbSent);
        Receive<Ipv4Protocol.ArpLearnedEvent>(OnArpLearned);
        Receive<Ipv4Protocol.ArpReplyNeeded>(OnArpReplyNeeded);
        Receive<ArpTick>(_ => OnArpTick());
        Receive<InetStackProtocol.GetCounters>(_ => Sender.Tell(Snapshot(), Self));
        Receive<InetStackProtocol.Quiesce>(_ =>
        {
            _quiesced = true;
            Sender.Tell(new InetStackProtocol.Quiesced(nameof(Ipv4TxWorker)), Self);
        });
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
            _arpRequestsSent++;
        }

        if (_options.ProbeGatewayOnStart && _options.Gateway is { } gateway)
        {
            // Seed 002: one ARP probe for the gateway at start; its reply proves the receive path.
            SendArp(MacAddress.Broadcast, ArpRepr.Request(_options.Mac, ours, gateway));
            _arpRequestsSent++;
        }
    }

    private void OnQueueXmit(Ipv4Protocol.IpQueueXmit request)
    {
        var datagram = new ParkedDatagram(
            _nextOutputId++,
            request.Source,
            request.Destination,
            request.Protocol,
            request.Tos,
            request.Headroom,
            request.TransportHeaderLength,
            request.Payload,
            request.PayloadLength,
            request.GsoSize,
            ActorTracing.CaptureCause());
        _pending.Add(datagram.OutputId, new PendingOutput(request.RequestId, request.ReplyTo, request.ReportedBytes));
        _datagrams++;

        if (_quiesced)
        {
            Fail(datagram, Errno.ENETDOWN);
            return;
        }

        int ipPayload = request.TransportHeaderLength + request.PayloadLength;
        if (request.PayloadLength < 0 || request.TransportHeaderLength < 0
            || ipPayload > Ipv4Repr.MaxTotalLength - FrameLayout.Ipv4HeaderLength
            || (request.PayloadLength > 0) != (request.Payload != default))
        {
            Fail(datagram, Errno.EMSGSIZE);
            return;
        }

        if (request.GsoSize != 0
            && (request.GsoSize < 0 || !_options.Tso || request.Protocol != IpProtocol.Tcp || _options.IsLocalAddress(request.Destination)
                || request.Destination.IsBroadcast || request.Destination == _options.Address.BroadcastAddress))
        {
            // A super-segment needs a NIC that cuts it; sent whole or fragmented it would carry no valid TCP checksum.
            Fail(datagram, Errno.EOPNOTSUPP);
            return;
        }

        if (_options.IsLocalAddress(request.Destination))
        {
            // Seed 002: a datagram to ourselves skips the NIC and is injected into the receive side.
            Emit(datagram, _options.Mac, loopback: true);
            return;
        }

        if (request.Destination.IsBroadcast || request.Destination == _options.Address.BroadcastAddress)
        {
            Emit(datagram, MacAddress.Broadcast, loopback: false);
            return;
        }

        if (!_routes.TryLookup(request.Destination, out Route route))
        {
            _noRoute++;
            Fail(datagram, Errno.ENETUNREACH);
            return;
        }

        Resolve(route.NextHop(request.Destination), datagram);
    }

    private void Resolve(Ipv4Address nextHop, ParkedDatagram datagram)
    {
        switch (_arp.Resolve(nextHop, datagram, out MacAddress mac, out ParkedDatagram released))
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
                _resolving.Add(nextHop);
                ScheduleArpPoll();
                SendArpRequest(nextHop);
                Context.System.Faults.Hit(StackFaultPoints.ArpParked, _ts, datagram.Payload, FaultKind.TsExit | FaultKind.SocketClose);
                break;

            case ArpResolveResult.Parked:
                Context.System.Faults.Hit(StackFaultPoints.ArpParked, _ts, datagram.Payload, FaultKind.TsExit | FaultKind.SocketClose);
                break;

            case ArpResolveResult.ParkedOldestDropped:
                _arpQueueDrops++;
                Fail(released, Errno.ENOBUFS);
                break;

            default:
                _arpQueueDrops++;
                Fail(released, Errno.ENOBUFS);
                break;
        }
    }

    /// <summary>
    /// Builds the frames of <paramref name="datagram"/> for <paramref name="destinationMac"/> and hands
    /// them on: one frame when it fits the MTU (loopback has none), else one per fragment.
    /// </summary>
    private void Emit(in ParkedDatagram datagram, MacAddress destinationMac, bool loopback)
    {
        int ipPayload = datagram.TransportHeaderLength + datagram.PayloadLength;
        if (datagram.GsoSize > 0)
        {
            // TSO: one super-packet; the NIC gives its segments this identification and the ones after it, so
            // the next datagram's starts past them (Linux ip_select_ident_segs).
            int segments = Math.Max(1, (datagram.PayloadLength + datagram.GsoSize - 1) / datagram.GsoSize);
            ushort first = _nextIdentification;
            _nextIdentification = unchecked((ushort)(_nextIdentification + segments));
            _gsoDatagrams++;
            EmitWhole(datagram, destinationMac, first, loopback);
            TryComplete(datagram.OutputId);
            return;
        }

        int mtu = loopback ? ushort.MaxValue : _options.Mtu;
        int count = Fragmenter.CountFragments(ipPayload, FrameLayout.Ipv4HeaderLength, mtu);
        ushort identification = _nextIdentification++;
        if (count == 1)
        {
            EmitWhole(datagram, destinationMac, identification, loopback);
        }
        else
        {
            _fragmented++;
            EmitFragments(datagram, destinationMac, identification, count, mtu);
        }

        TryComplete(datagram.OutputId);
    }

    private void EmitWhole(in ParkedDatagram datagram, MacAddress destinationMac, ushort identification, bool loopback)
    {
        Span<byte> header = stackalloc byte[FrameLayout.EthernetIpv4HeaderLength];
        int ipPayload = datagram.TransportHeaderLength + datagram.PayloadLength;
        WriteHeaders(header, datagram, destinationMac, identification, new FragmentPiece(0, ipPayload, false));
        var written = _memory.Write(_ts, datagram.Headroom, 0, header, CopyKind.Header);
        if (!written.IsOk)
        {
            Fail(datagram, NodeOps.ToErrno(written.Error));
            return;
        }

        Capability skb = datagram.Headroom;
        if (datagram.PayloadLength > 0)
        {
            // Seed 000 stage 3: header node + payload CTRN = the skb node, no byte copied.
            var merged = _memory.Merge(_ts, datagram.Headroom, datagram.Payload, "skb");
            if (!merged.IsOk)
            {
                Fail(datagram, NodeOps.ToErrno(merged.Error));
                return;
            }

            skb = merged.Value;
            Context.System.Faults.Hit(StackFaultPoints.SkbMerge, _ts, skb, FaultKind.TsExit | FaultKind.SocketClose);
        }

        var offload = datagram.GsoSize > 0
            ? new TxOffload(datagram.GsoSize, FrameLayout.EthernetHeaderLength, FrameLayout.EthernetIpv4HeaderLength, datagram.HeadroomLength)
            : null;
        Transmit(datagram.OutputId, skb, datagram.HeadroomLength + datagram.PayloadLength, datagram.Tos, loopback, offload);
    }

    private void EmitFragments(in ParkedDatagram datagram, MacAddress destinationMac, ushort identification, int count, int mtu)
    {
        FragmentPiece[]? rentedPlan = null;
        Span<FragmentPiece> plan = count <= 64
            ? stackalloc FragmentPiece[64]
            : (rentedPlan = ArrayPool<FragmentPiece>.Shared.Rent(count));
        plan = plan[..count];
        Fragmenter.Plan(datagram.TransportHeaderLength + datagram.PayloadLength, FrameLayout.Ipv4HeaderLength, mtu, plan);

        // Fragments 1..n-1 get their Ethernet+IPv4 headers from one pushed block, divided per fragment:
        // one push (one page for up to ~120 fragments) instead of one per fragment.
        int blockLength = (count - 1) * FrameLayout.EthernetIpv4HeaderLength;
        byte[]? rentedBlock = null;
        Span<byte> block = blockLength <= StackHeaderBlock
            ? stackalloc byte[StackHeaderBlock]
            : (rentedBlock = ArrayPool<byte>.Shared.Rent(blockLength));
        block = block[..blockLength];
        Span<byte> first = stackalloc byte[FrameLayout.EthernetIpv4HeaderLength];
        try
        {
            WriteHeaders(first, datagram, destinationMac, identification, plan[0]);
            for (int i = 1; i < count; i++)
            {
                WriteHeaders(block.Slice((i - 1) * FrameLayout.EthernetIpv4HeaderLength, FrameLayout.EthernetIpv4HeaderLength), datagram, destinationMac, identification, plan[i]);
            }

            var pushed = _memory.Push(_ts, "frag-hdr", blockLength);
            if (!pushed.IsOk)
            {
                Fail(datagram, NodeOps.ToErrno(pushed.Error));
                return;
            }

            Capability headers = pushed.Value;
            var written = _memory.Write(_ts, headers, 0, block, CopyKind.Header);
            if (written.IsOk)
            {
                written = _memory.Write(_ts, datagram.Headroom, 0, first, CopyKind.Header);
            }

            if (!written.IsOk)
            {
                NodeOps.Release(_memory, _ts, headers);
                Fail(datagram, NodeOps.ToErrno(written.Error));
                return;
            }

            SliceAndTransmit(datagram, plan, headers);
        }
        finally
        {
            if (rentedPlan is not null)
            {
                ArrayPool<FragmentPiece>.Shared.Return(rentedPlan);
            }

            if (rentedBlock is not null)
            {
                ArrayPool<byte>.Shared.Return(rentedBlock);
            }
        }
    }

    /// <summary>
    /// Divides the header block and the payload along <paramref name="plan"/> and merges each header with
    /// its payload piece (the first fragment's header is the headroom, which carries the transport
    /// header). On a failure midway, frames already queued finish normally, everything not yet merged is
    /// popped, and the datagram completes with the error.
    /// </summary>
    private void SliceAndTransmit(in ParkedDatagram datagram, ReadOnlySpan<FragmentPiece> plan, Capability headers)
    {
        Capability payloadRest = datagram.Payload;
        Capability headerRest = headers;
        Errno error = Errno.None;
        for (int i = 0; i < plan.Length && error == Errno.None; i++)
        {
            bool last = i == plan.Length - 1;
            Capability header;
            int headerLength;
            if (i == 0)
            {
                header = datagram.Headroom;
                headerLength = datagram.HeadroomLength;
            }
            else if (i == plan.Length - 1)
            {
                header = headerRest;
                headerRest = default;
                headerLength = FrameLayout.EthernetIpv4HeaderLength;
            }
            else
            {
                var cut = _memory.Divide(_ts, headerRest, FrameLayout.EthernetIpv4HeaderLength);
                if (!cut.IsOk)
                {
                    error = NodeOps.ToErrno(cut.Error);
                    break;
                }

                (header, headerRest) = cut.Value;
                headerLength = FrameLayout.EthernetIpv4HeaderLength;
            }

            int pieceLength = i == 0 ? plan[0].Length - datagram.TransportHeaderLength : plan[i].Length;
            Capability piece;
            if (last)
            {
                piece = payloadRest;
                payloadRest = default;
            }
            else
            {
                var cut = _memory.Divide(_ts, payloadRest, pieceLength);
                if (!cut.IsOk)
                {
                    NodeOps.Release(_memory, _ts, header);
                    error = NodeOps.ToErrno(cut.Error);
                    break;
                }

                (piece, payloadRest) = cut.Value;
            }

            var merged = _memory.Merge(_ts, header, piece, "skb");
            if (!merged.IsOk)
            {
                NodeOps.Release(_memory, _ts, header);
                NodeOps.Release(_memory, _ts, piece);
                error = NodeOps.ToErrno(merged.Error);
                break;
            }

            Context.System.Faults.Hit(StackFaultPoints.SkbMerge, _ts, merged.Value, FaultKind.TsExit | FaultKind.SocketClose);
            Transmit(datagram.OutputId, merged.Value, headerLength + pieceLength, datagram.Tos, loopback: false);
        }

        if (error != Errno.None)
        {
            // The loop released the header and piece it held when it failed; the rests are left.
            NodeOps.Release(_memory, _ts, payloadRest);
            NodeOps.Release(_memory, _ts, headerRest);
            SetError(datagram.OutputId, error);
        }
    }

    private void WriteHeaders(Span<byte> buffer, in ParkedDatagram datagram, MacAddress destinationMac, ushort identification, FragmentPiece piece)
    {
        new EthernetRepr(destinationMac, _options.Mac, EtherType.Ipv4)
            .Emit(EthernetFrame.CreateUnchecked(buffer[..FrameLayout.EthernetHeaderLength]));
        var ip = new Ipv4Repr(datagram.Source, datagram.Destination, datagram.Protocol, piece.Length)
        {
            // A TSO super-packet must reach the NIC whole and its segments must not be fragmented on the way (RFC 791 DF).
            DontFragment = datagram.GsoSize > 0,
            Ttl = Ipv4Repr.DefaultTtl,
            Dscp = (byte)(datagram.Tos >> 2),
            Ecn = (byte)(datagram.Tos & 0x03),
            Identification = identification,
            MoreFragments = piece.MoreFragments,
            FragmentOffset = piece.Offset,
        };
        ip.Emit(Ipv4Packet.CreateUnchecked(buffer.Slice(FrameLayout.EthernetHeaderLength, FrameLayout.Ipv4HeaderLength)));
    }

    private void Transmit(ulong outputId, Capability skb, int length, byte tos, bool loopback, TxOffload? offload = null)
    {
        _frames++;
        if (!loopback)
        {
            Outstanding(outputId)++;
            _qdisc.Tell(new QdiscProtocol.DevQueueXmit(skb, length, PfifoFast<object>.PriorityFromTos(tos), outputId, Self, offload), Self);
            return;
        }

        // Loopback: the frame is shared into the receive TS and handed over as if the NIC received it.
        _loopbackFrames++;
        var shared = NodeOps.ShareWhole(_memory, _ts, skb, _rxTs, "lo-frame", Rights.Read | Rights.Share | Rights.Map);
        NodeOps.Release(_memory, _ts, skb);
        if (!shared.IsOk)
        {
            SetError(outputId, NodeOps.ToErrno(shared.Error));
            return;
        }

        _rxWorker.Tell(new DriverProtocol.FrameReceivedEvent(shared.Value, length), Self);
    }

    private void OnSkbSent(QdiscProtocol.SkbSentEvent sent)
    {
        if (sent.Token == 0)
        {
            return;
        }

        ref PendingOutput pending = ref CollectionsMarshal.GetValueRefOrNullRef(_pending, sent.Token);
        if (System.Runtime.CompilerServices.Unsafe.IsNullRef(ref pending))
        {
            return;
        }

        pending.Outstanding--;
        if (sent.Error != Errno.None && pending.Error == Errno.None)
        {
            pending.Error = sent.Error;
        }

        TryComplete(sent.Token);
    }

    private void OnArpLearned(Ipv4Protocol.ArpLearnedEvent learned)
    {
        if (_quiesced)
        {
            return;
        }

        if (_options.Gateway == learned.Address)
        {
            _gatewayReachable = true;
        }

        _ready.Clear();
        _arp.Update(learned.Address, learned.Mac, learned.TargetedAtUs, _ready);
        if (_ready.Count > 0)
        {
            _resolving.Remove(learned.Address);
        }

        foreach (ParkedDatagram datagram in _ready)
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
        if (_quiesced)
        {
            return;
        }

        SendArp(needed.Request.SenderHardwareAddress, ArpRepr.ReplyTo(needed.Request, _options.Mac));
        _arpRepliesSent++;
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

        foreach (ParkedDatagram datagram in _failed)
        {
            _resolving.Remove(ResolvingKey(datagram));
            _arpFailures++;
            using var resumed = Context.System.Tracing.Resume(datagram.Cause, "arp_failed");
            Fail(datagram, Errno.EHOSTUNREACH);
        }

        _requests.Clear();
        _failed.Clear();
    }

    private Ipv4Address ResolvingKey(in ParkedDatagram datagram) =>
        _routes.TryLookup(datagram.Destination, out Route route) ? route.NextHop(datagram.Destination) : datagram.Destination;

    private void ScheduleArpPoll()
    {
        _arpTimer.Schedule(Timers, _quiesced ? null : _arp.NextDeadline, _clock.Now);
    }

    private void SendArpRequest(Ipv4Address target)
    {
        _arpRequestsSent++;
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

        _frames++;

        // Token 0: an ARP frame belongs to no datagram, its completion needs no bookkeeping.
        _qdisc.Tell(new QdiscProtocol.DevQueueXmit(pushed.Value, FrameLayout.ArpFrameLength, 0, 0, Self), Self);
    }

    /// <summary>Releases the datagram's nodes and completes it with <paramref name="error"/> (unless frames are still out).</summary>
    private void Fail(in ParkedDatagram datagram, Errno error)
    {
        NodeOps.Release(_memory, _ts, datagram.Headroom);
        NodeOps.Release(_memory, _ts, datagram.Payload);
        SetError(datagram.OutputId, error);
        TryComplete(datagram.OutputId);
    }

    private void SetError(ulong outputId, Errno error)
    {
        ref PendingOutput pending = ref CollectionsMarshal.GetValueRefOrNullRef(_pending, outputId);
        if (!System.Runtime.CompilerServices.Unsafe.IsNullRef(ref pending) && pending.Error == Errno.None)
        {
            pending.Error = error;
            if (error == Errno.EFAULT)
            {
                _faults++;
            }
        }
    }

    private ref int Outstanding(ulong outputId) => ref CollectionsMarshal.GetValueRefOrNullRef(_pending, outputId).Outstanding;

    private void TryComplete(ulong outputId)
    {
        if (!_pending.TryGetValue(outputId, out PendingOutput pending) || pending.Outstanding > 0)
        {
            return;
        }

        _pending.Remove(outputId);
        if (pending.Error == Errno.None)
        {
            _completed++;
        }
        else
        {
            _failedCount++;
        }

        pending.ReplyTo?.Tell(new InetProtocol.XmitComplete(pending.RequestId, pending.Error == Errno.None ? pending.Bytes : 0, pending.Error), Self);
    }

    private int ReleaseAll()
    {
        _arpTimer.Cancel(Timers);
        int popped = 0;
        foreach (Ipv4Address address in _resolving)
        {
            _failed.Clear();
            _arp.Remove(address, _failed);
            foreach (ParkedDatagram datagram in _failed)
            {
                popped += NodeOps.Release(_memory, _ts, datagram.Headroom);
                popped += NodeOps.Release(_memory, _ts, datagram.Payload);
                SetError(datagram.OutputId, Errno.ENETDOWN);
            }
        }

        _resolving.Clear();
        _failed.Clear();

        // Whatever is still out sits in the qdisc, which pops it in its own release; answer the senders now.
        foreach (PendingOutput pending in _pending.Values)
        {
            var error = pending.Error == Errno.None ? Errno.ENETDOWN : pending.Error;
            pending.ReplyTo?.Tell(new InetProtocol.XmitComplete(pending.RequestId, 0, error), Self);
        }

        _pending.Clear();
        return popped;
    }

    private Ipv4TxCounters Snapshot() => new(
        _datagrams,
        _frames,
        _fragmented,
        _loopbackFrames,
        _noRoute,
        _arpRequestsSent,
        _arpRepliesSent,
        _arpFailures,
        _arpQueueDrops,
        _faults,
        _completed,
        _failedCount,
        _gatewayReachable,
        _gsoDatagrams);

    /// <summary>Timer message: run the ARP cache's retransmits and give-ups.</summary>
    private sealed record ArpTick
    {
        public static ArpTick Instance { get; } = new();
    }

    /// <summary>
    /// A datagram between <c>ip_queue_xmit</c> and its frames: parked in the ARP cache while the next
    /// hop resolves. A struct, so parking allocates nothing.
    /// </summary>
    private readonly record struct ParkedDatagram(
        ulong OutputId,
        Ipv4Address Source,
        Ipv4Address Destination,
        IpProtocol Protocol,
        byte Tos,
        Capability Headroom,
        int TransportHeaderLength,
        Capability Payload,
        int PayloadLength,
        int GsoSize,
        ActivityContext Cause)
    {
        public int HeadroomLength => FrameLayout.EthernetIpv4HeaderLength + TransportHeaderLength;
    }

    /// <summary>Completion state of one datagram: frames still out and the first error.</summary>
    private struct PendingOutput
    {
        public PendingOutput(ulong requestId, IActorRef? replyTo, int bytes)
        {
            RequestId = requestId;
            ReplyTo = replyTo;
            Bytes = bytes;
        }

        public ulong RequestId;
        public IActorRef? ReplyTo;
        public int Bytes;
        public int Outstanding;
        public Errno Error;
    }
}
