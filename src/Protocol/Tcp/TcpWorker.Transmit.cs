using Edsos.Memory;
using Edsos.Protocol.Ipv4;
using Edsos.Protocol.Tcp.Core;
using Edsos.Protocol.Wire;
using Akka.Actor;
using Edsos.Scheduler;

namespace Edsos.Protocol.Tcp;

/// <summary>
/// How a <see cref="TcpSegment"/> leaves (seed 000 stage 3): header pushed and written, the payload range
/// <c>ct_share</c>d out of the connection's chunk into the IPv4 transmit TS, both handed to <see cref="Ipv4TxWorker"/>.
/// </summary>
public sealed partial class TcpWorker
{
    // What IPv4 may do with a segment's payload slice and header: read (checksum), share on (qdisc → driver), map for DMA.
    private const Rights SegmentRights = Rights.Read | Rights.Share | Rights.Map;

    // The headroom also takes the Ethernet and IPv4 headers IPv4 writes in front of ours.
    private const Rights HeaderRights = SegmentRights | Rights.Write;

    /// <summary>
    /// Builds one segment: the payload slice of the chunk is summed in place and <c>ct_share</c>d into the IPv4
    /// transmit TS (the chunk keeps its own reference for retransmission); header space is <c>push</c>ed, the TCP header
    /// with its final checksum written (the only bytes copied, counted as headers), shared on, and both go to IPv4. A
    /// first transmission's completion is tracked so the socket can be answered. A segment sent from another event's
    /// handler (an ACK opened the window, the RTO fired) resumes the trace of the <c>send()</c> that queued its bytes.
    /// Returns <see cref="TransmitOutcome.Lost"/> when memory fails (retransmission repairs it), and
    /// <see cref="TransmitOutcome.PayloadRevoked"/> when the chunk's pages were lifted with the TS they came from. With a
    /// GSO size it is a TSO super-segment: the payload is not summed (the NIC sums each segment it cuts), the checksum
    /// field is left 0, and IPv4 gets the GSO size to pass down to the NIC.
    /// </summary>
    private TransmitOutcome Emit(Ipv4Endpoint local, Ipv4Endpoint remote, in TcpSegment segment)
    {
        var chunk = segment.Chunk;
        if (chunk is null || segment.Length == 0)
        {
            return EmitOnce(local, remote, segment);
        }

        using var resumed = Context.System.Tracing.Resume(chunk.Cause, "tcp_output");
        if (segment.GsoSize > 0)
        {
            resumed.Span?.SetTag("edsos.tcp.gso_size", segment.GsoSize);
        }

        var outcome = EmitOnce(local, remote, segment);
        if (outcome != TransmitOutcome.Sent && _memory.Locate(_ts, chunk.Node).Error == MemoryError.InvalidGva)
        {
            return TransmitOutcome.PayloadRevoked;
        }

        return outcome;
    }

    private TransmitOutcome EmitOnce(Ipv4Endpoint local, Ipv4Endpoint remote, in TcpSegment segment)
    {
        var header = segment.Header;
        var chunk = segment.Chunk;
        int offset = segment.Offset;
        int length = segment.Length;
        int gsoSize = segment.GsoSize;
        ChecksumAccumulator payloadSum = default;
        if (gsoSize == 0 && length > 0 && chunk is not null && !NodeOps.Sum(_memory, _ts, chunk.Node, offset, length, ref payloadSum).IsOk)
        {
            return TransmitOutcome.Lost;
        }

        // Everything that can fail in our own TS first, so a failure leaves nothing mounted in IPv4's.
        int headerLength = header.HeaderLength;
        var pushed = _memory.Push(_ts, "tcp-hdr", FrameLayout.EthernetIpv4HeaderLength + headerLength);
        if (!pushed.IsOk)
        {
            return TransmitOutcome.Lost;
        }

        // The pushed header space is ours for this scope: IPv4 gets its own CTRN of it, so it is released on every path.
        var headerNode = pushed.Value;
        using var ownedHeader = _memory.Own(_ts, ref headerNode);
        Span<byte> bytes = stackalloc byte[TcpPacket.MaxHeaderLength];
        if (gsoSize > 0)
        {
            header.EmitOffloadHeader(bytes);
        }
        else
        {
            header.EmitHeader(bytes, local.Address, remote.Address, in payloadSum);
        }

        if (!_memory.Write(_ts, headerNode, FrameLayout.EthernetIpv4HeaderLength, bytes[..headerLength], CopyKind.Header).IsOk)
        {
            return TransmitOutcome.Lost;
        }

        Capability slice = default;
        if (length > 0 && chunk is not null)
        {
            var shared = _memory.CtShare(_ts, chunk.Node, chunk.Gva.Add(offset), length, _ipTxTs, "tcp-seg", SegmentRights);
            if (!shared.IsOk)
            {
                return TransmitOutcome.Lost;
            }

            slice = shared.Value;
        }

        var headroom = NodeOps.ShareWhole(_memory, _ts, headerNode, _ipTxTs, "tcp-hdr", HeaderRights);
        if (!headroom.IsOk)
        {
            if (slice != default)
            {
                // Only IPv4 may release a node in its TS: ask it to.
                _ipTx.Tell(new Ipv4Protocol.ReleaseNode(slice), Self);
            }

            return TransmitOutcome.Lost;
        }

        ulong requestId = 0;
        IActorRef? replyTo = null;
        int newBytes = chunk is null ? 0 : offset + length - Math.Max(offset, chunk.FirstTxIssued);
        if (newBytes > 0)
        {
            chunk!.FirstTxIssued = offset + length;
            requestId = ++_nextXmitId;
            replyTo = Self;
            _inFlight.Add(requestId, new InFlightSegment(chunk.Token, newBytes));
        }

        if (gsoSize > 0)
        {
            // Counted as the segments the NIC will put on the wire.
            _segmentsSent += (length + gsoSize - 1) / gsoSize;
            _tsoSends++;
        }
        else
        {
            _segmentsSent++;
        }

        _ipTx.Tell(
            Ipv4Protocol.IpQueueXmit.Rent(
                requestId: requestId,
                replyTo: replyTo,
                reportedBytes: length,
                source: local.Address,
                destination: remote.Address,
                protocol: IpProtocol.Tcp,
                tos: 0,
                headroom: headroom.Value,
                transportHeaderLength: headerLength,
                payload: slice,
                payloadLength: length,
                gsoSize: gsoSize),
            Self);
        return TransmitOutcome.Sent;
    }
}
