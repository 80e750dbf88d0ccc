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
/// A payload that runs across chunks is <c>ct_share</c>d piece by piece into TCP's merge TS (<c>.../tcp/seg</c>, which
/// only this actor uses and which holds nothing between messages), <c>merge</c>d there into one node (no byte copied)
/// and that node shared whole into IPv4's TS.
/// </summary>
public sealed partial class TcpWorker
{
    // What IPv4 may do with a segment's payload slice and header: read (checksum), share on (qdisc → driver), map for DMA.
    private const Rights SegmentRights = Rights.Read | Rights.Share | Rights.Map;

    // The headroom also takes the Ethernet and IPv4 headers IPv4 writes in front of ours.
    private const Rights HeaderRights = SegmentRights | Rights.Write;

    /// <summary>
    /// Builds one segment: the payload slice of the chunk (or of each chunk it runs across) is summed in place and
    /// <c>ct_share</c>d into the IPv4 transmit TS as one node (the chunks keep their own references for retransmission); header space is <c>push</c>ed, the TCP header
    /// with its final checksum written (the only bytes copied, counted as headers), shared on, and both go to IPv4. A
    /// first transmission's completion is tracked per chunk touched so each socket send can be answered. A segment sent from another event's
    /// handler (an ACK opened the window, the RTO fired) resumes the trace of the <c>send()</c> that queued its bytes.
    /// Returns <see cref="TransmitOutcome.Lost"/> when memory fails (retransmission repairs it), and
    /// <see cref="TransmitOutcome.PayloadRevoked"/> when any touched chunk's pages were lifted with the TS they came from. With a
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
        if (outcome != TransmitOutcome.Sent)
        {
            // Revoked if any chunk the payload touches lost its pages.
            int left = segment.Length + segment.Offset;
            for (SendChunk? piece = chunk; piece is not null && left > 0; piece = piece.Next)
            {
                if (_memory.Locate(_ts, piece.Node).Error == MemoryError.InvalidGva)
                {
                    return TransmitOutcome.PayloadRevoked;
                }

                left -= piece.Length;
            }
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
        if (gsoSize == 0 && length > 0 && chunk is not null && !SumPayload(chunk, offset, length, ref payloadSum))
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
            var shared = offset + length <= chunk.Length
                ? _memory.CtShare(_ts, chunk.Node, chunk.Gva.Add(offset), length, _ipTxTs, "tcp-seg", SegmentRights)
                : ShareAcrossChunks(chunk, offset, length);
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
        if (chunk is not null && length > 0 && FirstTransmission(chunk, offset, length) is { } first)
        {
            requestId = ++_nextXmitId;
            replyTo = Self;
            _inFlight.Add(requestId, first);
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

    /// <summary>
    /// Adds the payload's bytes to <paramref name="sum"/> piece by piece, in place; the accumulator pairs the bytes of
    /// an odd-length piece with the next piece's as if they were contiguous. False when a chunk cannot be read.
    /// </summary>
    private bool SumPayload(SendChunk chunk, int offset, int length, ref ChecksumAccumulator sum)
    {
        for (SendChunk? piece = chunk; length > 0; piece = piece.Next, offset = 0)
        {
            if (piece is null)
            {
                return false;
            }

            int take = Math.Min(length, piece.Length - offset);
            if (!NodeOps.Sum(_memory, _ts, piece.Node, offset, take, ref sum).IsOk)
            {
                return false;
            }

            length -= take;
        }

        return true;
    }

    /// <summary>
    /// A payload that runs across chunks as one node of IPv4's TS: each piece <c>ct_share</c>d into the merge TS,
    /// the pieces <c>merge</c>d there in order (only the owner of both nodes may merge them, and a TS cannot share into
    /// itself), the result shared whole into IPv4's TS and the merge TS's node released. On every failure whatever was
    /// made in the merge TS is released before the error is returned; nothing is left in IPv4's TS.
    /// </summary>
    private MemoryResult<Capability> ShareAcrossChunks(SendChunk chunk, int offset, int length)
    {
        Capability merged = default;
        int left = length;
        for (SendChunk? piece = chunk; left > 0; piece = piece.Next, offset = 0)
        {
            if (piece is null)
            {
                NodeOps.Release(_memory, _mergeTs, merged);
                return MemoryResult<Capability>.Fail(MemoryError.OutOfRange, "the segment runs past the queued chunks");
            }

            int take = Math.Min(left, piece.Length - offset);
            var shared = _memory.CtShare(_ts, piece.Node, piece.Gva.Add(offset), take, _mergeTs, "tcp-seg", SegmentRights);
            if (!shared.IsOk)
            {
                NodeOps.Release(_memory, _mergeTs, merged);
                return shared;
            }

            if (merged == default)
            {
                merged = shared.Value;
            }
            else
            {
                var joined = _memory.Merge(_mergeTs, merged, shared.Value, "tcp-seg");
                if (!joined.IsOk)
                {
                    // A failed merge consumes neither part.
                    NodeOps.Release(_memory, _mergeTs, merged);
                    NodeOps.Release(_memory, _mergeTs, shared.Value);
                    return joined;
                }

                merged = joined.Value;
            }

            left -= take;
        }

        var whole = _memory.CtShare(_mergeTs, merged, 0, length, _ipTxTs, "tcp-seg", SegmentRights);
        NodeOps.Release(_memory, _mergeTs, merged);
        return whole;
    }

    /// <summary>
    /// Advances <see cref="SendChunk.FirstTxIssued"/> on every chunk the segment touches and returns the in-flight
    /// record crediting each chunk's send with its own bytes sent for the first time (the first two inline, more in a
    /// pooled list); null when the segment carries no byte sent before.
    /// </summary>
    private InFlightSegment? FirstTransmission(SendChunk chunk, int offset, int length)
    {
        ulong firstToken = 0, secondToken = 0;
        int firstBytes = 0, secondBytes = 0;
        List<(ulong Token, int Bytes)>? more = null;
        for (SendChunk? piece = chunk; piece is not null && length > 0; piece = piece.Next, offset = 0)
        {
            int end = offset + Math.Min(length, piece.Length - offset);
            int fresh = end - Math.Max(offset, piece.FirstTxIssued);
            length -= end - offset;
            if (fresh <= 0)
            {
                continue;
            }

            piece.FirstTxIssued = end;
            if (firstBytes == 0)
            {
                (firstToken, firstBytes) = (piece.Token, fresh);
            }
            else if (secondBytes == 0)
            {
                (secondToken, secondBytes) = (piece.Token, fresh);
            }
            else
            {
                more ??= _spillLists.Count > 0 ? _spillLists.Pop() : new List<(ulong Token, int Bytes)>();
                more.Add((piece.Token, fresh));
            }
        }

        return firstBytes > 0 ? new InFlightSegment(firstToken, firstBytes, secondToken, secondBytes, more) : null;
    }
}
