using System.Buffers;
using Edsos.Driver;
using Edsos.Memory;
using Edsos.Protocol.Qdisc;
using Edsos.Protocol.Wire;
using Akka.Actor;
using Edsos.Scheduler;
using Edsos.Scheduler.Faults;

namespace Edsos.Protocol.Ipv4;

/// <summary>The frame-building half of the transmit worker: header writes, <c>divide</c>, <c>merge</c> and the hand-off to the qdisc or loopback.</summary>
public sealed partial class Ipv4TxWorker
{
    private const int StackHeaderBlock = 2048;

    private void EmitWhole(in OutgoingDatagram datagram, MacAddress destinationMac, ushort identification, bool loopback)
    {
        Span<byte> header = stackalloc byte[FrameLayout.EthernetIpv4HeaderLength];
        FragmentationPlanner.WriteHeaders(header, datagram, _options.Mac, destinationMac, identification, new FragmentPiece(0, datagram.IpPayloadLength, false));
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

    private void EmitFragments(in OutgoingDatagram datagram, MacAddress destinationMac, FramePlan framePlan)
    {
        int count = framePlan.Fragments;
        FragmentPiece[]? rentedPlan = null;
        Span<FragmentPiece> plan = count <= 64
            ? stackalloc FragmentPiece[64]
            : (rentedPlan = ArrayPool<FragmentPiece>.Shared.Rent(count));
        plan = plan[..count];
        Fragmenter.Plan(datagram.IpPayloadLength, FrameLayout.Ipv4HeaderLength, framePlan.Mtu, plan);

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
            FragmentationPlanner.WriteHeaders(first, datagram, _options.Mac, destinationMac, framePlan.Identification, plan[0]);
            for (int i = 1; i < count; i++)
            {
                Span<byte> slot = block.Slice((i - 1) * FrameLayout.EthernetIpv4HeaderLength, FrameLayout.EthernetIpv4HeaderLength);
                FragmentationPlanner.WriteHeaders(slot, datagram, _options.Mac, destinationMac, framePlan.Identification, plan[i]);
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
    /// released, and the datagram completes with the error.
    /// </summary>
    private void SliceAndTransmit(in OutgoingDatagram datagram, ReadOnlySpan<FragmentPiece> plan, Capability headers)
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
            else if (last)
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

    /// <summary>Hands <paramref name="skb"/> (taken over) to the qdisc, or on loopback shares it into the receive TS as a received frame.</summary>
    private void Transmit(ulong outputId, Capability skb, int length, byte tos, bool loopback, TxOffload? offload = null)
    {
        _tally.Frames++;
        if (!loopback)
        {
            _pending.FrameQueued(outputId);
            var xmit = QdiscProtocol.DevQueueXmit.Rent(
                skb: skb,
                length: length,
                priority: PfifoFast<object>.PriorityFromTos(tos),
                token: outputId,
                owner: Self,
                offload: offload);
            if (!_toQdisc.TryAdd(_qdisc, xmit))
            {
                _qdisc.Tell(xmit, Self);
            }

            return;
        }

        // Loopback: the frame is shared into the receive TS and handed over as if the NIC received it.
        _tally.LoopbackFrames++;
        var shared = NodeOps.ShareWhole(_memory, _ts, skb, _rxTs, "lo-frame", Rights.Read | Rights.Share | Rights.Map);
        NodeOps.Release(_memory, _ts, skb);
        if (!shared.IsOk)
        {
            SetError(outputId, NodeOps.ToErrno(shared.Error));
            return;
        }

        _rxWorker.Tell(DriverProtocol.FrameReceivedEvent.Rent(shared.Value, length), Self);
    }
}
