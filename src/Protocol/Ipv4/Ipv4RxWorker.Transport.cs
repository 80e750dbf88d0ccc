using Edsos.Memory;
using Edsos.Protocol.Icmp;
using Edsos.Protocol.Wire;
using Akka.Actor;

namespace Edsos.Protocol.Ipv4;

/// <summary>The transport half of the receive worker: UDP, ICMP and TCP, each parsed by the wire layer with the payload summed in place.</summary>
public sealed partial class Ipv4RxWorker
{
    /// <summary>
    /// A UDP datagram: the header checked against the IPv4 payload length, the checksum verified over
    /// pseudo-header, header and the payload summed in place (RFC 768), unless the NIC verified it
    /// (<paramref name="verified"/>, counted in <see cref="Ipv4RxCounters.ChecksumOffloaded"/>), then delivered to the
    /// bound socket or answered with port unreachable.
    /// </summary>
    private void OnUdp(Capability node, int nodeLength, int offset, in Ipv4Repr ip, ReadOnlySpan<byte> transport, bool quotable, bool verified)
    {
        using var held = _memory.Own(_ts, ref node);
        Span<byte> bytes = stackalloc byte[UdpRepr.HeaderLength];
        int copied = Math.Min(transport.Length, UdpRepr.HeaderLength);
        transport[..copied].CopyTo(bytes);
        if (!UdpPacket.TryCreate(bytes[..copied], ip.PayloadLength, out UdpPacket header, out WireError error))
        {
            _tally.Count(error);
            return;
        }

        int payloadLength = header.Length - UdpRepr.HeaderLength;
        ChecksumAccumulator payloadSum = default;
        verified &= header.Checksum != 0;
        if (verified)
        {
            _tally.ChecksumOffloaded++;
        }
        else if (header.Checksum != 0 && !NodeOps.Sum(_memory, _ts, held.Node, offset + UdpRepr.HeaderLength, payloadLength, ref payloadSum).IsOk)
        {
            _tally.Faults++;
            return;
        }

        if (!UdpRepr.TryParse(header, ip.Source, ip.Destination, payloadSum, out UdpRepr udp, out error, verifyChecksum: !verified))
        {
            if (error == WireError.BadChecksum)
            {
                _tally.BadUdpChecksum++;
            }
            else
            {
                _tally.Count(error);
            }

            return;
        }

        if (!_udp.TryLookup(ip.Destination, udp.DestinationPort, out UdpSocket socket))
        {
            _tally.NoSocket++;
            if (quotable && _policy.CanSendError(ip))
            {
                SendPortUnreachable(held.Transfer(), nodeLength, ip);
            }

            return;
        }

        Capability delivered = ShareSlice(held.Transfer(), nodeLength, offset + UdpRepr.HeaderLength, payloadLength, socket.SocketTs, "dgram");
        if (delivered == default && payloadLength > 0)
        {
            return;
        }

        _tally.UdpDelivered++;
        var datagram = InetProtocol.DatagramReceivedEvent.Rent(
            delivered,
            payloadLength,
            new Ipv4Endpoint(ip.Source, udp.SourcePort),
            new Ipv4Endpoint(ip.Destination, udp.DestinationPort));
        if (!_toSockets.TryAdd(socket.Socket, datagram))
        {
            socket.Socket.Tell(datagram, Self);
        }
    }

    /// <summary>
    /// A TCP segment: the header (options included) is read, the checksum verified over pseudo-header, header
    /// and the payload summed in place (RFC 9293 3.1) unless the NIC verified it (<paramref name="verified"/>, counted in
    /// <see cref="Ipv4RxCounters.ChecksumOffloaded"/>), the headers divided off and the payload shared into the
    /// TCP worker's TS. Demultiplexing to connections and listeners is the TCP worker's (it owns the TCBs).
    /// Segments to or from a broadcast address are dropped (<see cref="Ipv4RxPolicy.AcceptsTcp"/>).
    /// </summary>
    private void OnTcp(Capability node, int nodeLength, int offset, in Ipv4Repr ip, bool verified)
    {
        int length = ip.PayloadLength;
        using var held = _memory.Own(_ts, ref node);
        if (!_policy.AcceptsTcp(ip))
        {
            _tally.NotForUs++;
            return;
        }

        if (length < TcpPacket.MinHeaderLength)
        {
            _tally.Truncated++;
            return;
        }

        Span<byte> bytes = stackalloc byte[TcpPacket.MaxHeaderLength];
        if (!_memory.Read(_ts, held.Node, offset, bytes[..TcpPacket.MinHeaderLength], CopyKind.Header).IsOk)
        {
            _tally.Faults++;
            return;
        }

        // Only to size the read of the options; every check is the parser's, below.
        int wanted = Math.Clamp(TcpPacket.CreateUnchecked(bytes[..TcpPacket.MinHeaderLength]).HeaderLength, TcpPacket.MinHeaderLength, Math.Min(length, TcpPacket.MaxHeaderLength));
        if (wanted > TcpPacket.MinHeaderLength
            && !_memory.Read(_ts, held.Node, offset + TcpPacket.MinHeaderLength, bytes[TcpPacket.MinHeaderLength..wanted], CopyKind.Header).IsOk)
        {
            _tally.Faults++;
            return;
        }

        if (!TcpPacket.TryCreate(bytes[..wanted], length, out TcpPacket packet, out WireError error))
        {
            _tally.Count(error);
            return;
        }

        int headerLength = packet.HeaderLength;
        int payloadLength = length - headerLength;
        if (verified)
        {
            _tally.ChecksumOffloaded++;
        }
        else
        {
            ChecksumAccumulator payloadSum = default;
            if (!NodeOps.Sum(_memory, _ts, held.Node, offset + headerLength, payloadLength, ref payloadSum).IsOk)
            {
                _tally.Faults++;
                return;
            }

            if (!TcpRepr.VerifyChecksum(packet.Buffer, ip.Source, ip.Destination, in payloadSum))
            {
                _tally.BadTcpChecksum++;
                return;
            }
        }

        if (!TcpRepr.TryParse(packet, out TcpRepr tcp, out error))
        {
            _tally.Count(error);
            return;
        }

        // The payload stays in our TS until it is handed to TCP (joined with the next segments first, when it may be).
        Capability slice = Slice(held.Transfer(), nodeLength, offset + headerLength, payloadLength);
        if (slice == default && payloadLength > 0)
        {
            _tally.Faults++;
            return;
        }

        _tally.TcpSegments++;
        DeliverTcp(new Tcp.TcpProtocol.SegmentReceivedEvent(
            Header: tcp,
            Payload: slice,
            Length: payloadLength,
            Source: ip.Source,
            Destination: ip.Destination));
    }

    /// <summary>
    /// Hands a segment to TCP; within a batch of frames (with <see cref="InetStackOptions.Batching"/>), in-order data of
    /// one flow is first joined into one segment (<see cref="Tcp.TcpCoalescing"/>, payload nodes merged, no copy), held
    /// until a segment that does not join or the batch's end.
    /// </summary>
    private void DeliverTcp(Tcp.TcpProtocol.SegmentReceivedEvent segment)
    {
        if (!_coalescing)
        {
            HandToTcp(segment);
            return;
        }

        if (_heldSegment is { } held
            && Tcp.TcpCoalescing.CanAppend(held.Header, held.Length, held.Source, held.Destination, segment.Header, segment.Length, segment.Source, segment.Destination))
        {
            // Merged here, in our TS, so the run is shared into TCP's TS once. Merge consumes both nodes on success
            // and neither on failure.
            var merged = _memory.Merge(_ts, held.Payload, segment.Payload, "tcp-gro");
            if (merged.IsOk)
            {
                _tally.TcpCoalesced++;
                _heldSegment = held with { Header = Tcp.TcpCoalescing.Append(held.Header, segment.Header), Payload = merged.Value, Length = held.Length + segment.Length };
                return;
            }
        }

        FlushHeldSegment();
        _heldSegment = segment;
    }

    /// <summary>Hands the segment held for coalescing (if any) to TCP.</summary>
    private void FlushHeldSegment()
    {
        if (_heldSegment is { } held)
        {
            _heldSegment = null;
            HandToTcp(held);
        }
    }

    /// <summary>Shares the segment's payload (a node of ours, released here) into TCP's TS and tells TCP (within a batch of frames, in the batch for TCP).</summary>
    private void HandToTcp(Tcp.TcpProtocol.SegmentReceivedEvent segment)
    {
        if (segment.Length > 0)
        {
            var payload = segment.Payload;
            using var held = _memory.Own(_ts, ref payload);
            var shared = NodeOps.ShareWhole(_memory, _ts, held.Node, _tcpTs, "tcp-data", SharedRights);
            if (!shared.IsOk)
            {
                _tally.Faults++;
                return;
            }

            segment = segment with { Payload = shared.Value };
        }

        if (!_toTcp.TryAdd(_tcp!, segment))
        {
            _tcp!.Tell(segment, Self);
        }
    }

    /// <summary>
    /// An ICMP message: the checksum verified over the header and the data summed in place (RFC 792), then
    /// dispatched by <see cref="IcmpRxDispatcher"/>.
    /// </summary>
    private void OnIcmp(Capability node, int nodeLength, int offset, in Ipv4Repr ip, ReadOnlySpan<byte> transport)
    {
        using var held = _memory.Own(_ts, ref node);
        Span<byte> bytes = stackalloc byte[IcmpV4Repr.HeaderLength];
        int copied = Math.Min(transport.Length, IcmpV4Repr.HeaderLength);
        transport[..copied].CopyTo(bytes);
        if (!IcmpV4Packet.TryCreate(bytes[..copied], out IcmpV4Packet header, out WireError error))
        {
            _tally.Count(error);
            return;
        }

        int dataLength = ip.PayloadLength - IcmpV4Repr.HeaderLength;
        ChecksumAccumulator dataSum = default;
        if (!NodeOps.Sum(_memory, _ts, held.Node, offset + IcmpV4Repr.HeaderLength, dataLength, ref dataSum).IsOk)
        {
            _tally.Faults++;
            return;
        }

        if (!IcmpV4Repr.TryParse(header, dataSum, out IcmpV4Repr icmp, out error) && error == WireError.BadChecksum)
        {
            _tally.BadIcmpChecksum++;
            return;
        }

        switch (IcmpRxDispatcher.Dispatch(icmp, error, _policy.CanSendError(ip)))
        {
            case IcmpRxAction.AnswerEcho:
                _tally.EchoRequests++;
                OnEchoRequest(held.Transfer(), nodeLength, offset, dataLength, ip, icmp);
                break;

            case IcmpRxAction.ReportEchoReply:
                _tally.EchoReplies++;
                _icmp.Tell(
                    new IcmpProtocol.EchoReplyReceivedEvent(
                        From: ip.Source,
                        Identifier: icmp.Identifier,
                        SequenceNumber: icmp.SequenceNumber,
                        Ttl: ip.Ttl,
                        DataLength: dataLength),
                    Self);
                break;

            default:
                // Errors about our datagrams have no socket contract to travel on yet; echo to broadcast is ignored (Linux default).
                _tally.IcmpOther++;
                break;
        }
    }

    private void OnEchoRequest(Capability node, int nodeLength, int offset, int dataLength, in Ipv4Repr ip, in IcmpV4Repr request)
    {
        // The reply reuses the request's data node: headers divided off, shared to the ICMP service.
        Capability shared = ShareSlice(node, nodeLength, offset + IcmpV4Repr.HeaderLength, dataLength, _txTs, "echo-data");
        if (shared == default && dataLength > 0)
        {
            return;
        }

        _icmp.Tell(
            new IcmpProtocol.EchoRequestReceivedEvent(
                Data: shared,
                DataLength: dataLength,
                From: ip.Source,
                To: ip.Destination,
                Identifier: request.Identifier,
                SequenceNumber: request.SequenceNumber),
            Self);
    }

    private void SendPortUnreachable(Capability frame, int frameLength, in Ipv4Repr ip)
    {
        // The quote is the offending datagram's IPv4 header plus its first 8 data bytes (RFC 792).
        int quoteLength = Math.Min(ip.HeaderLength + IcmpV4Repr.QuotedDataLength, ip.HeaderLength + ip.PayloadLength);
        Capability quote = ShareSlice(frame, frameLength, FrameLayout.EthernetHeaderLength, quoteLength, _txTs, "icmp-quote");
        if (quote == default)
        {
            return;
        }

        _icmp.Tell(
            new IcmpProtocol.DestinationUnreachableNeeded(
                Quote: quote,
                QuoteLength: quoteLength,
                To: ip.Source,
                From: ip.Destination,
                Code: IcmpV4UnreachableCode.PortUnreachable),
            Self);
    }
}
