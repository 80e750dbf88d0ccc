using System.Runtime.CompilerServices;
using Edsos.Driver;
using Edsos.Memory;
using Edsos.Protocol.Arp;
using Edsos.Protocol.Udp;
using Edsos.Protocol.Wire;
using Akka.Actor;
using Edsos.Scheduler;

namespace Edsos.Protocol.Ipv4;

/// <summary>
/// The receive dual of the send path (seed 000 section 5), in the receive TS: takes each frame the
/// driver shared up (<see cref="DriverProtocol.FrameReceivedEvent"/>), reads its headers (only the
/// header bytes are copied, counted as <see cref="CopyKind.Header"/>) and runs them through the wire
/// layer's checked parsers, the payload summed in place for its checksum; then ARP goes to the
/// <see cref="ArpResponder"/> (what it learns and answers goes to the transmit worker, which owns the
/// cache), fragments to the <see cref="ReassemblyStage"/> (merged in order, no copy), UDP to the
/// <see cref="UdpDemultiplexer{TSocket}"/> (headers divided off, the payload <c>ct_share</c>d into the
/// socket's TS, port unreachable per RFC 1122 3.2.2.1 when nothing is bound), ICMP to the
/// <see cref="Icmp.IcmpRxDispatcher"/> and the ICMP service, TCP to the TCP worker. Every frame node is
/// released exactly once on every path; drops are counted by reason.
/// </summary>
/// <remarks>
/// Phases (by <c>Become</c>): running, then quiesced (<see cref="InetStackProtocol.Quiesce"/>), when every
/// frame is dropped on arrival. The rules live in the plain types named above; this actor holds the
/// mailbox, the memory operations and the messages.
/// </remarks>
public sealed partial class Ipv4RxWorker : EdsrtActor
{
    private const string ReassemblyTimerKey = "reassembly";

    // Ethernet + the longest IPv4 header + an 8-byte transport header: all a handler ever reads.
    private const int MaxPeek = FrameLayout.EthernetHeaderLength + Ipv4Packet.MaxHeaderLength + 8;
    private const int FirstPeek = FrameLayout.EthernetIpv4HeaderLength + 8;
    private const Rights SharedRights = Rights.Read | Rights.Share | Rights.Map;

    private readonly InetStackOptions _options;
    private readonly MemoryManager _memory;
    private readonly IScheduler _clock;
    private readonly TsId _ts;
    private readonly IActorRef _driverRx;
    private readonly TsId _txTs;
    private readonly ArpResponder _arp;
    private readonly Ipv4RxPolicy _policy;
    private readonly ReassemblyStage _reassembly;
    private readonly UdpDemultiplexer<UdpSocket> _udp = new();
    private readonly Ipv4RxTally _tally = new();
    private readonly BatchOutbox<InetProtocol.DatagramReceivedBatchEvent, InetProtocol.DatagramReceivedEvent> _toSockets = new();
    private readonly BatchOutbox<Tcp.TcpProtocol.SegmentReceivedBatchEvent, Tcp.TcpProtocol.SegmentReceivedEvent> _toTcp = new();

    // Receive offload within a batch of frames: whether it is on, and the TCP segment held for the next to join.
    private bool _coalescing;
    private Tcp.TcpProtocol.SegmentReceivedEvent? _heldSegment;
    private IActorRef _txWorker = ActorRefs.Nobody;
    private IActorRef _icmp = ActorRefs.Nobody;
    private IActorRef? _tcp;
    private TsId _tcpTs;

    /// <summary>Creates the worker; <see cref="InetStack.Start"/> does this.</summary>
    public Ipv4RxWorker(
        InetStackOptions options,
        MemoryManager memory,
        IScheduler clock,
        IActorRef driverRx,
        TsId txTs)
    {
        _options = options;
        _memory = memory;
        _clock = clock;
        _ts = Ts;
        _driverRx = driverRx;
        _txTs = txTs;
        _arp = new ArpResponder(options.Mac, options.Address.Address);
        _policy = new Ipv4RxPolicy(options);
        _reassembly = new ReassemblyStage(new SchedulerTimeProvider(clock), options.Reassembly, ReassemblyTimerKey, ReassemblyTick.Instance);
        Running();
    }

    /// <summary>The normal phase: frames are parsed and delivered.</summary>
    private void Running()
    {
        Receive<DriverProtocol.FrameReceivedEvent>(received =>
        {
            OnFrame(received);
            Edsrt.ReturnHandled(received);
        });
        Receive<DriverBatchProtocol.FrameReceivedBatchEvent>(OnFrameBatch);
        Receive<InetStackProtocol.Quiesce>(_ =>
        {
            Become(Quiesced);
            Sender.Tell(new InetStackProtocol.Quiesced(nameof(Ipv4RxWorker)), Self);
        });
        Common();
    }

    /// <summary>The stack is stopping: every frame is counted and released on arrival.</summary>
    private void Quiesced()
    {
        Receive<DriverProtocol.FrameReceivedEvent>(received =>
        {
            _tally.Frames++;
            Drop(received.Frame);
            Edsrt.ReturnHandled(received);
        });
        Receive<DriverBatchProtocol.FrameReceivedBatchEvent>(batch =>
        {
            for (int i = 0; i < batch.Count; i++)
            {
                _tally.Frames++;
                Drop(batch[i].Frame);
                Edsrt.ReturnHandled(batch[i]);
            }

            Edsrt.ReturnHandled(batch);
        });
        Receive<InetStackProtocol.Quiesce>(_ => Sender.Tell(new InetStackProtocol.Quiesced(nameof(Ipv4RxWorker)), Self));
        Common();
    }

    private void Common()
    {
        Receive<Ipv4Protocol.RxPeers>(peers =>
        {
            // The transmit side is created after this worker (it needs this worker's ref for loopback),
            // so its refs arrive here; only then is the driver asked for frames.
            _txWorker = peers.TxWorker;
            _icmp = peers.Icmp;
            _tcp = peers.Tcp;
            _tcpTs = peers.TcpTs;
            _driverRx.Tell(new DriverProtocol.AttachRx(Self, _ts, _options.Batching), Self);
        });
        Receive<Ipv4Protocol.BindingAdded>(OnBindingAdded);
        Receive<Ipv4Protocol.BindingRemoved>(OnBindingRemoved);
        Receive<ReassemblyTick>(_ => OnReassemblyTick());
        Receive<InetStackProtocol.GetCounters>(_ => Sender.Tell(_tally.Snapshot(), Self));
        Receive<InetStackProtocol.Release>(_ => Sender.Tell(new InetStackProtocol.Released(nameof(Ipv4RxWorker), ReleaseAll()), Self));
    }

    /// <summary>
    /// A NAPI poll's frames: each handled as if it had come alone, the datagrams they carry for one socket collected
    /// and handed up in one <see cref="InetProtocol.DatagramReceivedBatchEvent"/> once the batch is done, in-order
    /// TCP data of one flow joined into one segment (receive offload) before TCP sees it, and TCP's segments handed over
    /// in one <see cref="Tcp.TcpProtocol.SegmentReceivedBatchEvent"/>.
    /// </summary>
    private void OnFrameBatch(DriverBatchProtocol.FrameReceivedBatchEvent batch)
    {
        _toSockets.Open();
        _toTcp.Open();
        _coalescing = _tcp is not null;
        try
        {
            for (int i = 0; i < batch.Count; i++)
            {
                OnFrame(batch[i]);
                Edsrt.ReturnHandled(batch[i]);
            }
        }
        finally
        {
            _coalescing = false;
            FlushHeldSegment();
            _toTcp.Flush(Self);
            _toSockets.Flush(Self);
        }

        Edsrt.ReturnHandled(batch);
    }

    private void OnFrame(DriverProtocol.FrameReceivedEvent received)
    {
        _tally.Frames++;
        Capability frame = received.Frame;
        int length = received.Length;

        // The frame is ours: released on every path out of here unless handed to the IPv4 path.
        using var held = _memory.Own(_ts, ref frame);
        if (length < FrameLayout.EthernetHeaderLength)
        {
            _tally.Truncated++;
            return;
        }

        Span<byte> head = stackalloc byte[MaxPeek];
        int peek = Math.Min(length, FirstPeek);
        if (!_memory.Read(_ts, held.Node, 0, head[..peek], CopyKind.Header).IsOk)
        {
            _tally.Faults++;
            return;
        }

        var ethernet = EthernetRepr.Parse(EthernetFrame.CreateUnchecked(head[..FrameLayout.EthernetHeaderLength]));
        if (ethernet.Destination != _options.Mac && !ethernet.Destination.IsBroadcast)
        {
            _tally.NotForUs++;
            return;
        }

        switch (ethernet.EtherType)
        {
            case EtherType.Arp:
                // The whole ARP packet is header: nothing past it matters, so the frame is released on return.
                OnArp(head[FrameLayout.EthernetHeaderLength..peek]);
                break;

            case EtherType.Ipv4:
                OnIpv4(held.Transfer(), length, head, peek, received.Checksum);
                break;

            default:
                _tally.UnknownProtocol++;
                break;
        }
    }

    private void OnArp(Span<byte> bytes)
    {
        if (!ArpPacket.TryCreate(bytes, out ArpPacket packet, out WireError error) || !ArpRepr.TryParse(packet, out ArpRepr arp, out error))
        {
            _tally.Count(error);
            return;
        }

        _tally.ArpReceived++;
        ArpRxDecision decision = _arp.Decide(arp);
        if (decision.Learn)
        {
            _txWorker.Tell(new Ipv4Protocol.ArpLearnedEvent(arp.SenderProtocolAddress, arp.SenderHardwareAddress, decision.TargetedAtUs), Self);
        }

        if (decision.Reply)
        {
            _txWorker.Tell(new Ipv4Protocol.ArpReplyNeeded(arp), Self);
        }
    }

    private void OnIpv4(Capability frame, int length, Span<byte> head, int peek, RxChecksum checksum)
    {
        const int ipStart = FrameLayout.EthernetHeaderLength;
        int available = length - ipStart;
        using var held = _memory.Own(_ts, ref frame);
        if (peek - ipStart >= Ipv4Packet.MinHeaderLength)
        {
            // Only to size the read: with options (IHL above 5) the rest of the header and the transport
            // header are read too. Every check is the parser's, below.
            int wanted = Math.Min(Math.Min(length, MaxPeek), ipStart + Ipv4Packet.CreateUnchecked(head[ipStart..peek]).HeaderLength + 8);
            if (wanted > peek)
            {
                if (!_memory.Read(_ts, held.Node, peek, head[peek..wanted], CopyKind.Header).IsOk)
                {
                    _tally.Faults++;
                    return;
                }

                peek = wanted;
            }
        }

        if (!Ipv4Packet.TryCreate(head[ipStart..peek], available, out Ipv4Packet header, out WireError error)
            || !Ipv4Repr.TryParse(header, out Ipv4Repr ip, out error))
        {
            _tally.CountIp(error);
            return;
        }

        if (!_policy.IsForUs(ip.Destination))
        {
            _tally.NotForUs++;
            return;
        }

        int transportOffset = ipStart + ip.HeaderLength;
        if (ip.IsFragment)
        {
            OnFragment(held.Transfer(), length, ip, transportOffset);
            return;
        }

        int transportPeek = Math.Min(peek, transportOffset + Math.Min(8, ip.PayloadLength));
        // The NIC's word for the transport checksum (receive checksum offload) holds for a whole datagram only; the IPv4
        // header checksum is verified here whatever the NIC says, as Linux's ip_rcv does.
        bool transportVerified = (checksum & (RxChecksum.TransportGood | RxChecksum.TransportBad)) == RxChecksum.TransportGood;
        DeliverTransport(held.Transfer(), length, transportOffset, ip, head[transportOffset..transportPeek], quotable: true, transportVerified);
    }

    private void OnFragment(Capability frame, int length, in Ipv4Repr ip, int dataOffset)
    {
        _tally.FragmentsReceived++;
        Capability data = Slice(frame, length, dataOffset, ip.PayloadLength);
        if (data == default)
        {
            _tally.FragmentsDropped++;
            return;
        }

        ReassemblyResult result = _reassembly.Accept(ip, new ReassemblyFragment(data, ip.PayloadLength));
        _tally.FragmentsDropped += _reassembly.Released.Count;
        ReleaseAll(_reassembly.Released);
        if (result == ReassemblyResult.Complete)
        {
            OnReassembled(ip);
        }

        _reassembly.ScheduleTimer(Timers, _clock.Now);
    }

    /// <summary>Merges the fragments' payload nodes in offset order into one datagram node (no copy) and delivers it.</summary>
    private void OnReassembled(in Ipv4Repr last)
    {
        IReadOnlyList<ReassemblyFragment> pieces = _reassembly.Completed;
        Ipv4Repr whole = _reassembly.Whole(last);
        Capability datagram = pieces[0].Node;
        for (int i = 1; i < pieces.Count; i++)
        {
            var merged = _memory.Merge(_ts, datagram, pieces[i].Node, "dgram");
            if (!merged.IsOk)
            {
                _tally.Faults++;
                Drop(datagram);
                for (int j = i; j < pieces.Count; j++)
                {
                    Drop(pieces[j].Node);
                }

                return;
            }

            datagram = merged.Value;
        }

        _tally.Reassembled++;
        int total = whole.PayloadLength;
        Span<byte> transport = stackalloc byte[8];
        int peek = Math.Min(8, total);
        if (!_memory.Read(_ts, datagram, 0, transport[..peek], CopyKind.Header).IsOk)
        {
            _tally.Faults++;
            _memory.Release(_ts, datagram);
            return;
        }

        // The quote for an ICMP error would need the first fragment's header, which is released by now.
        DeliverTransport(datagram, total, 0, whole, transport[..peek], quotable: false, transportVerified: false);
    }

    /// <summary>
    /// Hands the datagram in <paramref name="node"/> (<paramref name="nodeLength"/> bytes, the transport
    /// header at <paramref name="offset"/>, <see cref="Ipv4Repr.PayloadLength"/> bytes of transport) to its
    /// protocol, which takes the node over. <paramref name="transportVerified"/>: the NIC verified the TCP or UDP checksum
    /// and found it good, so it is not summed again here.
    /// </summary>
    private void DeliverTransport(Capability node, int nodeLength, int offset, in Ipv4Repr ip, ReadOnlySpan<byte> transport, bool quotable, bool transportVerified)
    {
        switch (ip.Protocol)
        {
            case IpProtocol.Udp:
                OnUdp(node, nodeLength, offset, ip, transport, quotable, transportVerified);
                break;

            case IpProtocol.Icmp:
                OnIcmp(node, nodeLength, offset, ip, transport);
                break;

            case IpProtocol.Tcp when _tcp is not null:
                OnTcp(node, nodeLength, offset, ip, transportVerified);
                break;

            default:
                _tally.UnknownProtocol++;
                Drop(node);
                break;
        }
    }

    /// <summary>
    /// Keeps bytes [<paramref name="offset"/>, +<paramref name="length"/>) of <paramref name="node"/> by
    /// dividing off and releasing what lies before (headers) and after (Ethernet padding). Takes the node
    /// over; returns default, with everything released, when <paramref name="length"/> is 0 or a divide fails.
    /// </summary>
    private Capability Slice(Capability node, int nodeLength, int offset, int length)
    {
        if (length <= 0)
        {
            Drop(node);
            return default;
        }

        if (offset > 0)
        {
            var cut = _memory.Divide(_ts, node, offset);
            if (!cut.IsOk)
            {
                Drop(node);
                return default;
            }

            Drop(cut.Value.Head);
            node = cut.Value.Tail;
        }

        if (length < nodeLength - offset)
        {
            var cut = _memory.Divide(_ts, node, length);
            if (!cut.IsOk)
            {
                Drop(node);
                return default;
            }

            Drop(cut.Value.Tail);
            node = cut.Value.Head;
        }

        return node;
    }

    /// <summary>
    /// <see cref="Slice"/>s <paramref name="node"/> (taken over) and <c>ct_share</c>s the slice into
    /// <paramref name="target"/>; the slice itself is released here. Returns the CTRN, or default: for an empty
    /// slice (not a fault), or after a failed divide or share (counted as a fault).
    /// </summary>
    private Capability ShareSlice(Capability node, int nodeLength, int offset, int length, TsId target, string name)
    {
        // The node is ours either way. Bytes [offset, +length) are mounted in the target by one ct_share of that
        // range (seed 000's ct_share(gva, len, target)): no divide, no pop of the cut-off headers; our node goes here.
        using var held = _memory.Own(_ts, ref node);
        if (length <= 0)
        {
            return default;
        }

        if (offset + length > nodeLength)
        {
            _tally.Faults++;
            return default;
        }

        // By offset: the node's GVA is found under the share's own lock (no locate first).
        var shared = _memory.CtShare(_ts, held.Node, offset, length, target, name, SharedRights & held.Node.Rights);
        if (!shared.IsOk)
        {
            _tally.Faults++;
            return default;
        }

        return shared.Value;
    }

    private void OnBindingAdded(Ipv4Protocol.BindingAdded added)
    {
        if (added.Protocol == (int)IpProtocol.Udp)
        {
            _udp.Bind(added.Local, new UdpSocket(added.Socket, added.SocketTs));
        }

        added.ReplyTo.Tell(added.Reply, Self);
    }

    private void OnBindingRemoved(Ipv4Protocol.BindingRemoved removed)
    {
        if (removed.Protocol == (int)IpProtocol.Udp)
        {
            _udp.Unbind(removed.Local);
        }
    }

    private void OnReassemblyTick()
    {
        _tally.ReassemblyTimeouts += _reassembly.Expire();
        ReleaseAll(_reassembly.Released);
        _reassembly.ScheduleTimer(Timers, _clock.Now);
    }

    private int ReleaseAll()
    {
        _reassembly.Clear(Timers);
        int popped = ReleaseAll(_reassembly.Released);
        _udp.Clear();
        return popped;
    }

    private int ReleaseAll(IReadOnlyList<ReassemblyFragment> fragments)
    {
        // An index, not foreach: an interface enumerator would be allocated per fragment.
        int popped = 0;
        for (int i = 0; i < fragments.Count; i++)
        {
            popped += _memory.Release(_ts, fragments[i].Node).IsOk ? 1 : 0;
        }

        return popped;
    }

    /// <summary>Releases a node of the receive TS, naming the caller's place for the leak report.</summary>
    private void Drop(Capability node, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) => _memory.Release(_ts, node, file, line);

    /// <summary>Timer message: expire reassemblies whose time ran out.</summary>
    private sealed record ReassemblyTick
    {
        public static ReassemblyTick Instance { get; } = new();
    }

    /// <summary>Who gets a bound port's datagrams: the socket and the TS its payload is shared into.</summary>
    private readonly record struct UdpSocket(IActorRef Socket, TsId SocketTs);
}
