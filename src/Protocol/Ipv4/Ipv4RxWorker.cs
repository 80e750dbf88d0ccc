using Edsos.Driver;
using Edsos.Memory;
using Edsos.Protocol.Icmp;
using Edsos.Protocol.Wire;
using Akka.Actor;
using Edsos.Scheduler;

namespace Edsos.Protocol.Ipv4;

/// <summary>
/// The receive dual of the send path (seed 000 section 5), in the receive TS: takes each frame the
/// driver shared up (<see cref="DriverProtocol.FrameReceivedEvent"/>), reads its headers (only the
/// header bytes are copied, counted as <see cref="CopyKind.Header"/>), and then: answers and learns
/// ARP (through the transmit worker, which owns the cache); checks IPv4 (header checksum, length,
/// destination); reassembles fragments by merging their payload nodes in order; verifies UDP and ICMP
/// checksums by visiting the payload in place; demultiplexes UDP by local port to the bound socket,
/// dividing the headers off and <c>ct_share</c>ing the payload into the socket's TS; hands echo
/// requests and replies to the ICMP service; and asks for port unreachable (RFC 1122 3.2.2.1) when no
/// socket is bound. Every frame node is popped on every path; drops are counted by reason.
/// </summary>
public sealed class Ipv4RxWorker : EdsrtActor
{
    private const string ReassemblyTimerKey = "reassembly";

    private readonly DeadlineTimer _reassemblyTimer = new(ReassemblyTimerKey, ReassemblyTick.Instance);

    // Ethernet + the longest IPv4 header + an 8-byte transport header: all a handler ever reads.
    private const int MaxPeek = FrameLayout.EthernetHeaderLength + 60 + 8;
    private const int FirstPeek = FrameLayout.EthernetIpv4HeaderLength + 8;

    private readonly InetStackOptions _options;
    private readonly MemoryManager _memory;
    private readonly IScheduler _clock;
    private readonly TsId _ts;
    private readonly IActorRef _driverRx;
    private readonly TsId _txTs;
    private IActorRef _txWorker = ActorRefs.Nobody;
    private IActorRef _icmp = ActorRefs.Nobody;
    private IActorRef? _tcp;
    private TsId _tcpTs;
    private readonly FragmentReassembler<FragmentData> _reassembler;
    private readonly Dictionary<ushort, Binding> _udpBindings = new();
    private readonly List<FragmentData> _completed = new();
    private readonly List<FragmentData> _released = new();

    private bool _quiesced;
    private long _frames;
    private long _truncated;
    private long _malformed;
    private long _badIpChecksum;
    private long _badUdpChecksum;
    private long _badIcmpChecksum;
    private long _notForUs;
    private long _noSocket;
    private long _unknownProtocol;
    private long _arpReceived;
    private long _fragmentsReceived;
    private long _fragmentsDropped;
    private long _reassembled;
    private long _reassemblyTimeouts;
    private long _udpDelivered;
    private long _echoRequests;
    private long _echoReplies;
    private long _icmpOther;
    private long _faults;
    private long _tcpSegments;
    private long _badTcpChecksum;

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
        _reassembler = new FragmentReassembler<FragmentData>(new SchedulerTimeProvider(clock), options.Reassembly);

        Receive<Ipv4Protocol.RxPeers>(peers =>
        {
            // The transmit side is created after this worker (it needs this worker's ref for loopback),
            // so its refs arrive here; only then is the driver asked for frames.
            _txWorker = peers.TxWorker;
            _icmp = peers.Icmp;
            _tcp = peers.Tcp;
            _tcpTs = peers.TcpTs;
            _driverRx.Tell(new DriverProtocol.AttachRx(Self, _ts), Self);
        });
        Receive<DriverProtocol.FrameReceivedEvent>(OnFrame);
        Receive<Ipv4Protocol.BindingAdded>(OnBindingAdded);
        Receive<Ipv4Protocol.BindingRemoved>(OnBindingRemoved);
        Receive<ReassemblyTick>(_ => OnReassemblyTick());
        Receive<InetStackProtocol.GetCounters>(_ => Sender.Tell(Snapshot(), Self));
        Receive<InetStackProtocol.Quiesce>(_ =>
        {
            _quiesced = true;
            Sender.Tell(new InetStackProtocol.Quiesced(nameof(Ipv4RxWorker)), Self);
        });
        Receive<InetStackProtocol.Release>(_ => Sender.Tell(new InetStackProtocol.Released(nameof(Ipv4RxWorker), ReleaseAll()), Self));
    }

    private void OnFrame(DriverProtocol.FrameReceivedEvent received)
    {
        _frames++;
        Capability frame = received.Frame;
        int length = received.Length;
        if (_quiesced)
        {
            Drop(frame);
            return;
        }

        if (length < FrameLayout.EthernetHeaderLength)
        {
            _truncated++;
            Drop(frame);
            return;
        }

        Span<byte> head = stackalloc byte[MaxPeek];
        int peek = Math.Min(length, FirstPeek);
        if (!_memory.Read(_ts, frame, 0, head[..peek], CopyKind.Header).IsOk)
        {
            _faults++;
            Drop(frame);
            return;
        }

        var ethernet = EthernetRepr.Parse(EthernetFrame.CreateUnchecked(head[..FrameLayout.EthernetHeaderLength]));
        if (ethernet.Destination != _options.Mac && !ethernet.Destination.IsBroadcast)
        {
            _notForUs++;
            Drop(frame);
            return;
        }

        switch (ethernet.EtherType)
        {
            case EtherType.Arp:
                OnArp(frame, head[FrameLayout.EthernetHeaderLength..peek]);
                break;

            case EtherType.Ipv4:
                OnIpv4(frame, length, head, peek);
                break;

            default:
                _unknownProtocol++;
                Drop(frame);
                break;
        }
    }

    private void OnArp(Capability frame, Span<byte> bytes)
    {
        // The whole ARP packet is header: nothing past it matters, so the frame goes at once.
        Drop(frame);
        if (!ArpPacket.TryCreate(bytes, out ArpPacket packet, out WireError error))
        {
            Count(error);
            return;
        }

        if (!ArpRepr.TryParse(packet, out ArpRepr arp, out error))
        {
            Count(error);
            return;
        }

        _arpReceived++;
        if (arp.SenderHardwareAddress == _options.Mac)
        {
            // Our own announcement or request echoed back by a loopback wire.
            return;
        }

        Ipv4Address ours = _options.Address.Address;
        bool targetedAtUs = arp.TargetProtocolAddress == ours;
        if (!arp.SenderProtocolAddress.IsUnspecified && arp.SenderProtocolAddress != ours)
        {
            _txWorker.Tell(new Ipv4Protocol.ArpLearnedEvent(arp.SenderProtocolAddress, arp.SenderHardwareAddress, targetedAtUs), Self);
        }

        if (arp.Operation == ArpOperation.Request && targetedAtUs && arp.SenderProtocolAddress != ours)
        {
            _txWorker.Tell(new Ipv4Protocol.ArpReplyNeeded(arp), Self);
        }
    }

    private void OnIpv4(Capability frame, int length, Span<byte> head, int peek)
    {
        const int ipStart = FrameLayout.EthernetHeaderLength;
        if (length < ipStart + Ipv4Packet.MinHeaderLength)
        {
            _truncated++;
            Drop(frame);
            return;
        }

        // The view spans only the header bytes read so far, so its own length check (which wants the
        // whole packet in the buffer) cannot apply: the same checks are made against the frame length.
        var fixedHeader = Ipv4Packet.CreateUnchecked(head[ipStart..peek]);
        int headerLength = fixedHeader.HeaderLength;
        int totalLength = fixedHeader.TotalLength;
        if (fixedHeader.Version != 4 || headerLength < Ipv4Packet.MinHeaderLength || totalLength < headerLength)
        {
            _malformed++;
            Drop(frame);
            return;
        }

        if (ipStart + totalLength > length)
        {
            _truncated++;
            Drop(frame);
            return;
        }

        int transportOffset = ipStart + headerLength;
        int transportLength = totalLength - headerLength;
        int transportPeek = Math.Min(8, transportLength);
        int needed = transportOffset + transportPeek;
        if (needed > peek)
        {
            // Options (IHL above 5): read the rest of the header and the transport header.
            if (!_memory.Read(_ts, frame, peek, head[peek..needed], CopyKind.Header).IsOk)
            {
                _faults++;
                Drop(frame);
                return;
            }
        }

        var header = Ipv4Packet.CreateUnchecked(head[ipStart..transportOffset]);
        if (!Ipv4Repr.TryParse(header, out Ipv4Repr ip, out WireError error))
        {
            Count(error == WireError.BadChecksum ? WireError.BadChecksum : WireError.Malformed, ip: true);
            Drop(frame);
            return;
        }

        if (!IsForUs(ip.Destination))
        {
            _notForUs++;
            Drop(frame);
            return;
        }

        if (ip.IsFragment)
        {
            OnFragment(frame, length, ip, transportOffset, transportLength);
            return;
        }

        DeliverTransport(frame, length, transportOffset, transportLength, ip, head.Slice(transportOffset, transportPeek), quotable: true);
    }

    private bool IsForUs(Ipv4Address destination) =>
        _options.IsLocalAddress(destination) || destination.IsBroadcast || destination == _options.Address.BroadcastAddress;

    private void OnFragment(Capability frame, int length, in Ipv4Repr ip, int dataOffset, int dataLength)
    {
        _fragmentsReceived++;
        Capability data = Slice(frame, length, dataOffset, dataLength);
        if (data == default)
        {
            _fragmentsDropped++;
            return;
        }

        _completed.Clear();
        _released.Clear();
        var result = _reassembler.Accept(FragmentKey.Of(ip), ip.FragmentOffset, dataLength, ip.MoreFragments, new FragmentData(data, dataLength), _completed, _released);
        _fragmentsDropped += _released.Count;
        foreach (FragmentData released in _released)
        {
            NodeOps.Release(_memory, _ts, released.Node);
        }

        _released.Clear();
        if (result == ReassemblyResult.Complete)
        {
            OnReassembled(ip);
        }

        ScheduleReassemblyTimer();
    }

    /// <summary>Merges the fragments' payload nodes in offset order into one datagram node (no copy) and delivers it.</summary>
    private void OnReassembled(Ipv4Repr last)
    {
        Capability datagram = _completed[0].Node;
        int total = _completed[0].Length;
        for (int i = 1; i < _completed.Count; i++)
        {
            var merged = _memory.Merge(_ts, datagram, _completed[i].Node, "dgram");
            if (!merged.IsOk)
            {
                _faults++;
                NodeOps.Release(_memory, _ts, datagram);
                for (int j = i; j < _completed.Count; j++)
                {
                    NodeOps.Release(_memory, _ts, _completed[j].Node);
                }

                _completed.Clear();
                return;
            }

            datagram = merged.Value;
            total += _completed[i].Length;
        }

        _completed.Clear();
        _reassembled++;
        Span<byte> transport = stackalloc byte[8];
        int peek = Math.Min(8, total);
        if (!_memory.Read(_ts, datagram, 0, transport[..peek], CopyKind.Header).IsOk)
        {
            _faults++;
            Drop(datagram);
            return;
        }

        var whole = last with { MoreFragments = false, FragmentOffset = 0, PayloadLength = total };

        // The quote for an ICMP error would need the first fragment's header, which is popped by now.
        DeliverTransport(datagram, total, 0, total, whole, transport[..peek], quotable: false);
    }

    private void DeliverTransport(Capability node, int nodeLength, int offset, int length, in Ipv4Repr ip, ReadOnlySpan<byte> transport, bool quotable)
    {
        switch (ip.Protocol)
        {
            case IpProtocol.Udp:
                OnUdp(node, nodeLength, offset, length, ip, transport, quotable);
                break;

            case IpProtocol.Icmp:
                OnIcmp(node, nodeLength, offset, length, ip, transport);
                break;

            case IpProtocol.Tcp when _tcp is not null:
                OnTcp(node, nodeLength, offset, length, ip);
                break;

            default:
                _unknownProtocol++;
                Drop(node);
                break;
        }
    }

    private void OnUdp(Capability node, int nodeLength, int offset, int length, in Ipv4Repr ip, ReadOnlySpan<byte> transport, bool quotable)
    {
        if (transport.Length < UdpRepr.HeaderLength)
        {
            _truncated++;
            Drop(node);
            return;
        }

        Span<byte> header = stackalloc byte[UdpRepr.HeaderLength];
        transport[..UdpRepr.HeaderLength].CopyTo(header);
        var udp = UdpPacket.CreateUnchecked(header);
        int udpLength = udp.Length;
        if (udpLength < UdpRepr.HeaderLength || udp.DestinationPort == 0)
        {
            _malformed++;
            Drop(node);
            return;
        }

        if (udpLength > length)
        {
            _truncated++;
            Drop(node);
            return;
        }

        if (udp.Checksum != 0)
        {
            // RFC 768: pseudo-header + header + payload, summed over the node in place.
            ChecksumAccumulator sum = InternetChecksum.PseudoHeader(ip.Source, ip.Destination, IpProtocol.Udp, udpLength);
            if (!NodeOps.Sum(_memory, _ts, node, offset, udpLength, ref sum).IsOk)
            {
                _faults++;
                Drop(node);
                return;
            }

            if (sum.Finish() != 0)
            {
                _badUdpChecksum++;
                Drop(node);
                return;
            }
        }

        ushort port = udp.DestinationPort;
        if (!_udpBindings.TryGetValue(port, out Binding binding)
            || !(binding.Address.IsUnspecified || binding.Address == ip.Destination))
        {
            _noSocket++;
            if (quotable && CanSendError(ip))
            {
                SendPortUnreachable(node, nodeLength, ip);
            }
            else
            {
                Drop(node);
            }

            return;
        }

        int payloadLength = udpLength - UdpRepr.HeaderLength;
        Capability payload = Slice(node, nodeLength, offset + UdpRepr.HeaderLength, payloadLength);
        Capability delivered = default;
        if (payload != default)
        {
            var shared = NodeOps.ShareWhole(_memory, _ts, payload, binding.SocketTs, "dgram", Rights.Read | Rights.Share | Rights.Map);
            NodeOps.Release(_memory, _ts, payload);
            if (!shared.IsOk)
            {
                _faults++;
                return;
            }

            delivered = shared.Value;
        }
        else if (payloadLength > 0)
        {
            _faults++;
            return;
        }

        _udpDelivered++;
        binding.Socket.Tell(
            new InetProtocol.DatagramReceivedEvent(
                delivered,
                payloadLength,
                new Ipv4Endpoint(ip.Source, udp.SourcePort),
                new Ipv4Endpoint(ip.Destination, port)),
            Self);
    }

    /// <summary>
    /// A TCP segment: the header (options included) is read, the checksum verified over pseudo-header, header
    /// and the payload summed in place (RFC 9293 3.1), the headers divided off and the payload shared into the
    /// TCP worker's TS. Demultiplexing to connections and listeners is the TCP worker's (it owns the TCBs).
    /// Segments to a broadcast address are dropped (RFC 1122 4.2.3.10).
    /// </summary>
    private void OnTcp(Capability node, int nodeLength, int offset, int length, in Ipv4Repr ip)
    {
        if (ip.Destination.IsBroadcast || ip.Destination == _options.Address.BroadcastAddress || ip.Source.IsBroadcast || ip.Source.IsMulticast)
        {
            _notForUs++;
            Drop(node);
            return;
        }

        if (length < TcpPacket.MinHeaderLength)
        {
            _truncated++;
            Drop(node);
            return;
        }

        Span<byte> header = stackalloc byte[TcpPacket.MaxHeaderLength];
        if (!_memory.Read(_ts, node, offset, header[..TcpPacket.MinHeaderLength], CopyKind.Header).IsOk)
        {
            _faults++;
            Drop(node);
            return;
        }

        int headerLength = (header[TcpPacket.DataOffsetOffset] >> 4) * 4;
        if (headerLength < TcpPacket.MinHeaderLength || headerLength > length)
        {
            _malformed++;
            Drop(node);
            return;
        }

        if (headerLength > TcpPacket.MinHeaderLength
            && !_memory.Read(_ts, node, offset + TcpPacket.MinHeaderLength, header[TcpPacket.MinHeaderLength..headerLength], CopyKind.Header).IsOk)
        {
            _faults++;
            Drop(node);
            return;
        }

        int payloadLength = length - headerLength;
        ChecksumAccumulator payloadSum = default;
        if (!NodeOps.Sum(_memory, _ts, node, offset + headerLength, payloadLength, ref payloadSum).IsOk)
        {
            _faults++;
            Drop(node);
            return;
        }

        if (!TcpRepr.VerifyChecksum(header[..headerLength], ip.Source, ip.Destination, in payloadSum))
        {
            _badTcpChecksum++;
            Drop(node);
            return;
        }

        if (!TcpPacket.TryCreate(header[..headerLength], out TcpPacket packet, out WireError error)
            || !TcpRepr.TryParse(packet, out TcpRepr tcp, out error))
        {
            Count(error);
            Drop(node);
            return;
        }

        Capability delivered = default;
        if (payloadLength > 0)
        {
            Capability payload = Slice(node, nodeLength, offset + headerLength, payloadLength);
            if (payload == default)
            {
                _faults++;
                return;
            }

            var shared = NodeOps.ShareWhole(_memory, _ts, payload, _tcpTs, "tcp-data", Rights.Read | Rights.Share | Rights.Map);
            NodeOps.Release(_memory, _ts, payload);
            if (!shared.IsOk)
            {
                _faults++;
                return;
            }

            delivered = shared.Value;
        }
        else
        {
            Drop(node);
        }

        _tcpSegments++;
        _tcp!.Tell(new Tcp.TcpProtocol.SegmentReceivedEvent(tcp, delivered, payloadLength, ip.Source, ip.Destination), Self);
    }

    /// <summary>RFC 1122 3.2.2: no ICMP error about a broadcast, or from a source that names no single host.</summary>
    private bool CanSendError(in Ipv4Repr ip) =>
        !ip.Destination.IsBroadcast && ip.Destination != _options.Address.BroadcastAddress
        && !ip.Source.IsUnspecified && !ip.Source.IsBroadcast && !ip.Source.IsMulticast;

    private void SendPortUnreachable(Capability frame, int frameLength, in Ipv4Repr ip)
    {
        // The quote is the offending datagram's IPv4 header plus its first 8 data bytes (RFC 792).
        int quoteLength = Math.Min(ip.HeaderLength + IcmpV4Repr.QuotedDataLength, ip.HeaderLength + ip.PayloadLength);
        Capability quote = Slice(frame, frameLength, FrameLayout.EthernetHeaderLength, quoteLength);
        if (quote == default)
        {
            _faults++;
            return;
        }

        var shared = NodeOps.ShareWhole(_memory, _ts, quote, _txTs, "icmp-quote", Rights.Read | Rights.Share | Rights.Map);
        NodeOps.Release(_memory, _ts, quote);
        if (!shared.IsOk)
        {
            _faults++;
            return;
        }

        _icmp.Tell(new IcmpProtocol.DestinationUnreachableNeeded(shared.Value, quoteLength, ip.Source, ip.Destination, IcmpV4UnreachableCode.PortUnreachable), Self);
    }

    private void OnIcmp(Capability node, int nodeLength, int offset, int length, in Ipv4Repr ip, ReadOnlySpan<byte> transport)
    {
        if (transport.Length < IcmpV4Repr.HeaderLength)
        {
            _truncated++;
            Drop(node);
            return;
        }

        int dataLength = length - IcmpV4Repr.HeaderLength;
        ChecksumAccumulator data = default;
        if (!NodeOps.Sum(_memory, _ts, node, offset + IcmpV4Repr.HeaderLength, dataLength, ref data).IsOk)
        {
            _faults++;
            Drop(node);
            return;
        }

        ChecksumAccumulator whole = default;
        whole.Add(transport[..IcmpV4Repr.HeaderLength]);
        whole.Add(in data);
        if (whole.Finish() != 0)
        {
            _badIcmpChecksum++;
            Drop(node);
            return;
        }

        Span<byte> header = stackalloc byte[IcmpV4Repr.HeaderLength];
        transport[..IcmpV4Repr.HeaderLength].CopyTo(header);
        var icmp = IcmpV4Packet.CreateUnchecked(header);
        switch (icmp.Type)
        {
            case IcmpV4Type.EchoRequest when CanSendError(ip):
                _echoRequests++;
                OnEchoRequest(node, nodeLength, offset, dataLength, ip, icmp.Identifier, icmp.SequenceNumber);
                break;

            case IcmpV4Type.EchoReply:
                _echoReplies++;
                Drop(node);
                _icmp.Tell(new IcmpProtocol.EchoReplyReceivedEvent(ip.Source, icmp.Identifier, icmp.SequenceNumber, ip.Ttl, dataLength), Self);
                break;

            default:
                // Errors about our datagrams have no socket contract to travel on yet; echo to broadcast is ignored (Linux default).
                _icmpOther++;
                Drop(node);
                break;
        }
    }

    private void OnEchoRequest(Capability node, int nodeLength, int offset, int dataLength, in Ipv4Repr ip, ushort identifier, ushort sequence)
    {
        // The reply reuses the request's data node: headers divided off, shared to the ICMP service.
        Capability data = Slice(node, nodeLength, offset + IcmpV4Repr.HeaderLength, dataLength);
        Capability shared = default;
        if (data != default)
        {
            var result = NodeOps.ShareWhole(_memory, _ts, data, _txTs, "echo-data", Rights.Read | Rights.Share | Rights.Map);
            NodeOps.Release(_memory, _ts, data);
            if (!result.IsOk)
            {
                _faults++;
                return;
            }

            shared = result.Value;
        }
        else if (dataLength > 0)
        {
            _faults++;
            return;
        }

        _icmp.Tell(new IcmpProtocol.EchoRequestReceivedEvent(shared, dataLength, ip.Source, ip.Destination, identifier, sequence), Self);
    }

    /// <summary>
    /// Keeps bytes [<paramref name="offset"/>, +<paramref name="length"/>) of <paramref name="node"/> by
    /// dividing off and popping what lies before (headers) and after (Ethernet padding). Returns default,
    /// with everything popped, when <paramref name="length"/> is 0 or a divide fails.
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

    private void OnBindingAdded(Ipv4Protocol.BindingAdded added)
    {
        if (added.Protocol == (int)IpProtocol.Udp)
        {
            _udpBindings[added.Local.Port] = new Binding(added.Local.Address, added.Socket, added.SocketTs);
        }

        added.ReplyTo.Tell(added.Reply, Self);
    }

    private void OnBindingRemoved(Ipv4Protocol.BindingRemoved removed)
    {
        if (removed.Protocol == (int)IpProtocol.Udp
            && _udpBindings.TryGetValue(removed.Local.Port, out Binding binding)
            && binding.Address == removed.Local.Address)
        {
            _udpBindings.Remove(removed.Local.Port);
        }
    }

    private void OnReassemblyTick()
    {
        _reassemblyTimer.Fired();
        _released.Clear();
        _reassemblyTimeouts += _reassembler.Expire(_released);
        foreach (FragmentData fragment in _released)
        {
            NodeOps.Release(_memory, _ts, fragment.Node);
        }

        _released.Clear();
        ScheduleReassemblyTimer();
    }

    private void ScheduleReassemblyTimer() => _reassemblyTimer.Schedule(Timers, _reassembler.NextDeadline, _clock.Now);

    private int ReleaseAll()
    {
        _reassemblyTimer.Cancel(Timers);
        _released.Clear();
        _reassembler.Clear(_released);
        int popped = 0;
        foreach (FragmentData fragment in _released)
        {
            popped += NodeOps.Release(_memory, _ts, fragment.Node);
        }

        _released.Clear();
        _udpBindings.Clear();
        return popped;
    }

    private void Count(WireError error, bool ip = false)
    {
        switch (error)
        {
            case WireError.Truncated:
                _truncated++;
                break;
            case WireError.BadChecksum when ip:
                _badIpChecksum++;
                break;
            case WireError.Unsupported:
                _unknownProtocol++;
                break;
            default:
                _malformed++;
                break;
        }
    }

    private void Drop(Capability node) => NodeOps.Release(_memory, _ts, node);

    private Ipv4RxCounters Snapshot() => new(
        _frames,
        _truncated,
        _malformed,
        _badIpChecksum,
        _badUdpChecksum,
        _badIcmpChecksum,
        _notForUs,
        _noSocket,
        _unknownProtocol,
        _arpReceived,
        _fragmentsReceived,
        _fragmentsDropped,
        _reassembled,
        _reassemblyTimeouts,
        _udpDelivered,
        _echoRequests,
        _echoReplies,
        _icmpOther,
        _faults,
        _tcpSegments,
        _badTcpChecksum);

    /// <summary>Timer message: expire reassemblies whose time ran out.</summary>
    private sealed record ReassemblyTick
    {
        public static ReassemblyTick Instance { get; } = new();
    }

    /// <summary>A fragment's payload node (headers divided off) and its length.</summary>
    private readonly record struct FragmentData(Capability Node, int Length);

    /// <summary>Who gets datagrams for a port: the bound address (0.0.0.0 = any) and the socket.</summary>
    private readonly record struct Binding(Ipv4Address Address, IActorRef Socket, TsId SocketTs);
}
