using Edsos.Memory;
using Edsos.Protocol.Ipv4;
using Edsos.Protocol.Wire;
using Akka.Actor;
using Edsos.Scheduler;

namespace Edsos.Protocol.Tcp;

/// <summary>
/// The output half: what may be sent now (windows, Nagle, FIN), and how one segment is built without a payload
/// copy. With TSO (<see cref="InetStackOptions.Tso"/>) new data goes as super-segments of whole MSS pieces that
/// the NIC cuts; retransmissions and probes stay at most one MSS, cut here.
/// </summary>
public sealed partial class TcpTxWorker
{
    /// <summary>
    /// Sends what the windows allow (RFC 9293 3.8.6; RFC 5681: min(cwnd, rwnd) minus the flight), Nagle's
    /// rule (RFC 896 / RFC 9293 3.7.4) unless TCP_NODELAY, sender SWS avoidance (RFC 9293 3.8.6.2.1), then the
    /// FIN once every queued byte went out. Arms the persist timer when a zero window stops data, or a window
    /// too small for anything but a runt does with nothing in flight.
    /// </summary>
    private void Output(Tcb tcb)
    {
        if (tcb.PayloadRevoked || tcb.State is TcpState.Closed or TcpState.SynSent or TcpState.SynReceived or TcpState.TimeWait)
        {
            return;
        }

        bool sentAny = false;
        bool swsHeld = false;
        while (true)
        {
            int pending = SeqNum.Diff(tcb.SndNxt, tcb.SendEnd);
            if (pending > 0)
            {
                // RFC 3042 limited transmit: the first two duplicate ACKs each let one new segment out, so a
                // small window still collects the three duplicates fast retransmit needs.
                var congestion = tcb.Congestion;
                long cwnd = congestion.Cwnd + (!congestion.InRecovery && congestion.DuplicateAcks is 1 or 2 ? (long)congestion.DuplicateAcks * tcb.Mss : 0);
                long window = Math.Min(tcb.SndWnd, cwnd);
                long usable = window - tcb.FlightSize;
                if (usable <= 0)
                {
                    break;
                }

                if (!FindChunk(tcb, tcb.SndNxt, out var chunk, out int offset))
                {
                    break;
                }

                int inChunk = chunk.Length - offset;
                int length = (int)Math.Min(Math.Min(tcb.Mss, inChunk), usable);
                bool retransmit = SeqNum.Lt(tcb.SndNxt, tcb.SndMax);
                int gsoSize = 0;
                if (!retransmit && length == tcb.Mss && UsesTso(tcb))
                {
                    // New data, a full segment's worth allowed: let the NIC cut as many as fit in one super-segment.
                    length = SuperSegmentLength(tcb, inChunk, usable, pending);
                    gsoSize = length > tcb.Mss ? tcb.Mss : 0;
                }

                if (!retransmit && length < tcb.Mss && tcb.FlightSize > 0)
                {
                    // Nagle with Minshall's refinement: one small segment outstanding at a time, unless TCP_NODELAY.
                    // Full-sized segments in flight do not hold the tail of a write back, so a bulk write ending in
                    // a runt does not wait for the peer's delayed ACK. Never a runt cut by the window when more is
                    // queued (sender SWS avoidance).
                    bool windowCut = length < inChunk;
                    bool lastPiece = length == pending;
                    bool smallInFlight = SeqNum.Gt(tcb.SndSml, tcb.SndUna);
                    if (windowCut || (lastPiece && !tcb.NoDelay && !tcb.FinQueued && smallInFlight))
                    {
                        break;
                    }
                }
                else if (!retransmit && !tcb.SwsOverride && length == usable && length < Math.Min(tcb.Mss, inChunk) && length < tcb.MaxSndWnd / 2)
                {
                    // Sender SWS avoidance with nothing in flight (RFC 9293 3.8.6.2.1): a runt the window cuts short
                    // waits until a full segment, or half the largest window the peer offered, fits; or for the
                    // override timeout (the persist timer below). Sending it would have the peer's next window
                    // update cut the stream into runts again.
                    swsHeld = true;
                    break;
                }

                // With TSO the NIC keeps PSH on the super-segment's last piece only, which is where it belongs.
                var flags = TcpFlags.Ack | (offset + length == chunk.Length ? TcpFlags.Psh : TcpFlags.None);
                if (!TransmitData(tcb, chunk, offset, length, tcb.SndNxt, flags, gsoSize))
                {
                    break;
                }

                if (retransmit)
                {
                    CountRetransmit(tcb, tcb.SndNxt, tcb.SndNxt + (uint)length);
                }
                else
                {
                    tcb.Sampler.OnSent(tcb.SndNxt, length, Now);
                }

                tcb.SndNxt += (uint)length;
                if (length % tcb.Mss != 0)
                {
                    // A short segment (or a super-segment whose last piece the NIC cuts short) is now in flight.
                    tcb.SndSml = tcb.SndNxt;
                }

                if (SeqNum.Gt(tcb.SndNxt, tcb.SndMax))
                {
                    tcb.SndMax = tcb.SndNxt;
                }

                sentAny = true;
                ArmRto(tcb);
                continue;
            }

            if (tcb.FinQueued && tcb.SndNxt == tcb.SendEnd && tcb.State is TcpState.Established or TcpState.CloseWait or TcpState.FinWait1 or TcpState.Closing or TcpState.LastAck)
            {
                bool again = tcb.FinSent;
                if (again && SeqNum.Gt(tcb.SndNxt, tcb.FinSequence))
                {
                    break;
                }

                tcb.FinSent = true;
                tcb.FinSequence = tcb.SendEnd;
                SendControl(tcb, tcb.FinSequence, TcpFlags.Fin | TcpFlags.Ack);
                if (again)
                {
                    CountRetransmit(tcb, tcb.FinSequence, tcb.FinSequence + 1);
                }
                else
                {
                    tcb.Sampler.OnSent(tcb.FinSequence, 1, Now);
                }

                tcb.SndNxt = tcb.FinSequence + 1;
                if (SeqNum.Gt(tcb.SndNxt, tcb.SndMax))
                {
                    tcb.SndMax = tcb.SndNxt;
                }

                tcb.State = tcb.State switch
                {
                    TcpState.Established => TcpState.FinWait1,
                    TcpState.CloseWait => TcpState.LastAck,
                    _ => tcb.State,
                };
                sentAny = true;
                ArmRto(tcb);
            }

            break;
        }

        if (sentAny)
        {
            // Every segment carries the ACK: a pending delayed ACK is answered.
            tcb.DelayedAckDeadline = null;
            tcb.UnackedSegments = 0;
        }

        if (SeqNum.Lt(tcb.SndNxt, tcb.SendEnd) && (tcb.SndWnd == 0 || swsHeld) && tcb.FlightSize == 0 && tcb.PersistDeadline is null)
        {
            tcb.RtoDeadline = null;
            tcb.ProbeTimeoutDeadline = null;
            tcb.PersistDeadline = Now + PersistInterval(tcb);
        }
    }

    /// <summary>
    /// TSO is used for this connection: the NIC does it (<see cref="InetStackOptions.Tso"/>), the peer is not one
    /// of our own addresses (loopback has no NIC to cut), and an MSS-sized segment fits the MTU whole.
    /// </summary>
    private bool UsesTso(Tcb tcb) =>
        _inet.Tso
        && !_inet.IsLocalAddress(tcb.Remote.Address)
        && tcb.Mss + FrameLayout.Ipv4HeaderLength + TcpRepr.MinHeaderLength <= _inet.Mtu;

    /// <summary>
    /// The payload of one super-segment at SND.NXT (Linux <c>tcp_mss_split_point</c>): as many whole MSS pieces
    /// as the usable window, the chunk and <see cref="MaxGsoPayload"/> allow. The chunk's last bytes ride along
    /// as a final shorter piece only where Nagle would let that runt go on its own at this point: more data is
    /// queued behind it, TCP_NODELAY is set, a FIN follows, or no short segment is unacknowledged (Minshall;
    /// the super-segment's full pieces are in flight by
    /// then, so it is exactly the test <see cref="Output"/> applies to a lone runt). At least one MSS.
    /// </summary>
    private static int SuperSegmentLength(Tcb tcb, int inChunk, long usable, int pending)
    {
        int limit = (int)Math.Min(Math.Min(inChunk, usable), MaxGsoPayload);
        int whole = limit / tcb.Mss * tcb.Mss;
        if (limit == inChunk && limit > whole)
        {
            bool lastPiece = inChunk == pending;
            bool smallInFlight = SeqNum.Gt(tcb.SndSml, tcb.SndUna);
            if (!lastPiece || tcb.NoDelay || tcb.FinQueued || !smallInFlight)
            {
                return inChunk;
            }
        }

        return whole;
    }

    private TimeSpan PersistInterval(Tcb tcb)
    {
        // RFC 9293 3.8.6.1: probes back off exponentially like retransmissions, bounded by the maximum RTO.
        var interval = tcb.Rto.Rto * (1L << Math.Min(tcb.PersistShift, 16));
        return interval > _options.MaxRto ? _options.MaxRto : interval;
    }

    /// <summary>RFC 9293 3.8.6.1 zero-window probe: one byte past the window; the peer's answer carries its window.</summary>
    private void SendZeroWindowProbe(Tcb tcb)
    {
        if (!FindChunk(tcb, tcb.SndNxt, out var chunk, out int offset))
        {
            return;
        }

        if (TransmitData(tcb, chunk, offset, 1, tcb.SndNxt, TcpFlags.Ack))
        {
            // The probe byte may be accepted: an ACK of SND.NXT + 1 must then be acceptable. SND.NXT itself does
            // not move, so the probe neither counts as flight nor starts the retransmission timer.
            _zeroWindowProbes++;
            tcb.ProbeOutstanding = true;
            tcb.Sampler.OnRetransmitted(tcb.SndNxt, tcb.SndNxt + 1);
        }
    }

    /// <summary>Resends the segment at SND.UNA (fast retransmit, partial ACK) without moving SND.NXT.</summary>
    private void RetransmitFirst(Tcb tcb)
    {
        if (FindChunk(tcb, tcb.SndUna, out var chunk, out int offset))
        {
            int length = Math.Min(tcb.Mss, chunk.Length - offset);
            if (TransmitData(tcb, chunk, offset, length, tcb.SndUna, TcpFlags.Ack))
            {
                CountRetransmit(tcb, tcb.SndUna, tcb.SndUna + (uint)length);
                tcb.ResentAt = Now;
                tcb.Congestion.OnResent();
            }
        }
        else if (tcb.FinSent && tcb.SndUna == tcb.FinSequence)
        {
            SendControl(tcb, tcb.FinSequence, TcpFlags.Fin | TcpFlags.Ack);
            CountRetransmit(tcb, tcb.FinSequence, tcb.FinSequence + 1);
        }

        ArmRto(tcb);
    }

    private void CountRetransmit(Tcb tcb, uint start, uint end)
    {
        _retransmits++;
        tcb.Retransmits++;

        // Karn's rule (RFC 6298 3): an ACK that covers a retransmitted segment gives no RTT sample.
        tcb.Sampler.OnRetransmitted(start, end);
    }

    private static bool FindChunk(Tcb tcb, uint sequence, out SendChunk chunk, out int offset)
    {
        foreach (var candidate in tcb.Chunks)
        {
            if (SeqNum.InWindow(sequence, candidate.Sequence, candidate.End))
            {
                chunk = candidate;
                offset = SeqNum.Diff(candidate.Sequence, sequence);
                return true;
            }
        }

        chunk = null!;
        offset = 0;
        return false;
    }

    private void ArmRto(Tcb tcb)
    {
        // RFC 6298 5.1: start the timer when data is sent and it is not running.
        tcb.RtoDeadline ??= Now + tcb.Rto.Rto;
        ArmLossProbe(tcb, restart: false);
    }

    /// <summary>
    /// Arms the tail loss probe (RFC 8985 7.2) unless one went out since the last ACK of new data: with
    /// <paramref name="restart"/> from now, else no later than it is (a duplicate ACK may bring it forward).
    /// </summary>
    private void ArmLossProbe(Tcb tcb, bool restart)
    {
        if (!_options.TailLossProbe || tcb.LossProbeSent || !tcb.IsSynchronized || tcb.SndUna == tcb.SndMax)
        {
            tcb.ProbeTimeoutDeadline = null;
            return;
        }

        {
            var pto = LossProbe.Timeout(
                tcb.Rto.Srtt,
                tcb.Rto.RttVar,
                SeqNum.Diff(tcb.SndUna, tcb.SndMax),
                tcb.Mss,
                _options.DelayedAck,
                tcb.Rto.Rto,
                lossSuspected: tcb.Congestion.InRecovery || SeqNum.Lt(tcb.SndNxt, tcb.SndMax));
            DateTimeOffset? deadline = pto is { } timeout ? Now + timeout : null;
            if (!restart && tcb.ProbeTimeoutDeadline is { } armed && (deadline is null || armed < deadline))
            {
                deadline = armed;
            }

            tcb.ProbeTimeoutDeadline = deadline;
        }
    }

    /// <summary>
    /// RFC 8985 7.3: the tail loss probe. One segment of new data if any is queued and the peer's window has room
    /// (cwnd aside), else the last segment sent (or the FIN) again; then the retransmission timer restarts. In
    /// recovery, or while a timeout's resends are under way, the segment known lost is SND.UNA's, already resent
    /// once: the probe resends it again, so a retransmission lost a second time costs two round trips, not an RTO.
    /// </summary>
    private void SendLossProbe(Tcb tcb)
    {
        tcb.LossProbeSent = true;
        tcb.ProbeTimeoutDeadline = null;
        _lossProbes++;
        int pending = SeqNum.Diff(tcb.SndNxt, tcb.SendEnd);
        long room = (long)tcb.SndWnd - tcb.FlightSize;
        if (tcb.Congestion.InRecovery || SeqNum.Lt(tcb.SndNxt, tcb.SndMax)
            || tcb.Congestion.OnProbeTimeout(SeqNum.Diff(tcb.SndUna, tcb.SndMax), tcb.SndMax, tcb.SndUna))
        {
            var deadline = tcb.RtoDeadline;
            RetransmitFirst(tcb);
            tcb.RtoDeadline = deadline;
        }
        else if (tcb.SndNxt == tcb.SndMax && pending > 0 && room > 0 && FindChunk(tcb, tcb.SndNxt, out var fresh, out int freshOffset))
        {
            int length = (int)Math.Min(Math.Min(tcb.Mss, fresh.Length - freshOffset), room);
            var flags = TcpFlags.Ack | (freshOffset + length == fresh.Length ? TcpFlags.Psh : TcpFlags.None);
            if (TransmitData(tcb, fresh, freshOffset, length, tcb.SndNxt, flags))
            {
                tcb.Sampler.OnSent(tcb.SndNxt, length, Now);
                tcb.SndNxt += (uint)length;
                tcb.SndMax = tcb.SndNxt;
                if (length < tcb.Mss)
                {
                    tcb.SndSml = tcb.SndNxt;
                }
            }
        }
        else if (tcb.FinSent && tcb.SndMax == tcb.FinSequence + 1)
        {
            SendControl(tcb, tcb.FinSequence, TcpFlags.Fin | TcpFlags.Ack);
            CountRetransmit(tcb, tcb.FinSequence, tcb.FinSequence + 1);
        }
        else
        {
            uint start = tcb.SndMax - (uint)Math.Min(tcb.Mss, SeqNum.Diff(tcb.SndUna, tcb.SndMax));
            if (FindChunk(tcb, start, out var chunk, out int offset))
            {
                int length = Math.Min(SeqNum.Diff(start, tcb.SndMax), chunk.Length - offset);
                if (TransmitData(tcb, chunk, offset, length, start, TcpFlags.Ack))
                {
                    CountRetransmit(tcb, start, start + (uint)length);
                }
            }
        }

        tcb.RtoDeadline = Now + tcb.Rto.Rto;
    }

    /// <summary>Buffer space not held by unread data, in bytes, bounded by what the scaled 16-bit field can say.</summary>
    private static int AdvertisableWindow(Tcb tcb) => Math.Clamp(tcb.ReceiveBuffer - tcb.RcvUnread, 0, ushort.MaxValue << tcb.RcvWndShift);

    /// <summary>
    /// The window field of a segment we send now, and the right edge it advertises remembered. On a SYN or
    /// SYN-ACK (<paramref name="syn"/>) the field is never scaled (RFC 7323 2.2); on every other segment it is
    /// the window shifted right by <see cref="Tcb.RcvWndShift"/>, rounded down so we never offer more than the
    /// buffer holds, except that the right edge never moves left (RFC 9293 3.8.6.2.2): then the previous edge is
    /// rounded up to the scale's granularity, by less than 2^shift bytes. While a window closes over data the app
    /// does not read, those round-ups can take the edge past the buffer by under 2^shift bytes per update; the
    /// bytes still land in the arena (the socket does not drop for SO_RCVBUF), and the edge stops once RCV.NXT
    /// reaches it.
    /// </summary>
    private ushort WindowToAdvertise(Tcb tcb, bool syn = false)
    {
        int shift = syn ? 0 : tcb.RcvWndShift;
        int window = Math.Min(AdvertisableWindow(tcb), ushort.MaxValue << shift);

        // Receiver SWS avoidance (RFC 1122 4.2.3.3): a window below one MSS is announced as zero.
        if (window < Math.Min(tcb.Mss, tcb.ReceiveBuffer / 2))
        {
            window = 0;
        }

        if (!syn && (tcb.OutOfOrder.Count > 0 || ReceiveMemory.UnderPressure(_memory.FreePagesHint, _memory.TotalPages)))
        {
            // Promise nothing beyond the edge already advertised (the rule below keeps that) while the arena is short,
            // and while a hole is open: the ACKs sent for out-of-order segments then carry the same window as well as
            // the same number, so the sender counts them as duplicates (RFC 5681 2) and fast-retransmits; an app
            // reading meanwhile would otherwise change the window on every one of them.
            window = Math.Min(window, Math.Max(0, SeqNum.Diff(tcb.RcvNxt, tcb.RcvAdvertisedEdge)));
        }

        int field = window >> shift;
        uint edge = tcb.RcvNxt + (uint)(field << shift);
        if (SeqNum.Lt(edge, tcb.RcvAdvertisedEdge))
        {
            // RFC 9293 3.8.6.2.2: do not shrink the window.
            int previous = Math.Max(0, SeqNum.Diff(tcb.RcvNxt, tcb.RcvAdvertisedEdge));
            field = Math.Min(ushort.MaxValue, (previous + (1 << shift) - 1) >> shift);
            edge = tcb.RcvNxt + (uint)(field << shift);
        }

        if (SeqNum.Gt(edge, tcb.RcvAdvertisedEdge))
        {
            tcb.RcvAdvertisedEdge = edge;
        }

        return (ushort)field;
    }

    /// <summary>
    /// Our SYN (<paramref name="ack"/> false) or SYN-ACK, first or again: MSS, and Window Scale when
    /// <see cref="Tcb.OfferWindowScale"/> (RFC 7323 2.2: on a SYN-ACK only if the peer's SYN carried it); the
    /// window field unscaled.
    /// </summary>
    private void SendSyn(Tcb tcb, bool ack)
    {
        var flags = ack ? TcpFlags.Syn | TcpFlags.Ack : TcpFlags.Syn;
        var header = new TcpRepr(
            tcb.Local.Port,
            tcb.Remote.Port,
            tcb.Iss,
            ack ? tcb.RcvNxt : 0,
            flags,
            ack ? WindowToAdvertise(tcb, syn: true) : (ushort)Math.Min(tcb.ReceiveBuffer, ushort.MaxValue),
            (ushort)_options.Mss,
            tcb.OfferWindowScale ? (byte)tcb.WantedRcvWndShift : null);
        Emit(tcb.Local, tcb.Remote, header, null, 0, 0);
        tcb.SndNxt = tcb.Iss + 1;
        if (SeqNum.Gt(tcb.SndNxt, tcb.SndMax))
        {
            tcb.SndMax = tcb.SndNxt;
        }

        tcb.RtoDeadline ??= Now + tcb.Rto.Rto;
    }

    /// <summary>A bare ACK with the current window (answers, window updates, out-of-order duplicates).</summary>
    private void SendAck(Tcb tcb)
    {
        // SND.MAX, not SND.NXT: after a timeout SND.NXT goes back (go-back-N), and an ACK numbered below the
        // peer's RCV.NXT would be unacceptable there (RFC 9293 3.10.7.4) and dropped, stalling both ends.
        SendControl(tcb, tcb.SndMax, TcpFlags.Ack);
        tcb.DelayedAckDeadline = null;
        tcb.UnackedSegments = 0;
    }

    private void SendControl(Tcb tcb, uint sequence, TcpFlags flags)
    {
        var header = new TcpRepr(tcb.Local.Port, tcb.Remote.Port, sequence, tcb.RcvNxt, flags, WindowToAdvertise(tcb));
        Emit(tcb.Local, tcb.Remote, header, null, 0, 0);
    }

    /// <summary>RST for a live connection (abort, listener close): &lt;SEQ=SND.NXT&gt;&lt;CTL=RST&gt; (RFC 9293 3.10.4 ABORT).</summary>
    private void SendReset(Tcb tcb)
    {
        var header = new TcpRepr(tcb.Local.Port, tcb.Remote.Port, tcb.SndMax, tcb.RcvNxt, TcpFlags.Rst | TcpFlags.Ack, 0);
        Emit(tcb.Local, tcb.Remote, header, null, 0, 0);
        _resetsSent++;
    }

    /// <summary>
    /// RST for a segment that belongs to no connection (RFC 9293 3.10.7.1): with an ACK field,
    /// &lt;SEQ=SEG.ACK&gt;&lt;CTL=RST&gt;; otherwise &lt;SEQ=0&gt;&lt;ACK=SEG.SEQ+SEG.LEN&gt;&lt;CTL=RST,ACK&gt;. Never in answer to a RST.
    /// </summary>
    private void SendResetFor(TcpProtocol.SegmentReceivedEvent segment)
    {
        var seg = segment.Header;
        if ((seg.Flags & TcpFlags.Rst) != 0)
        {
            return;
        }

        var local = new Ipv4Endpoint(segment.Destination, seg.DestinationPort);
        var remote = new Ipv4Endpoint(segment.Source, seg.SourcePort);
        TcpRepr header = (seg.Flags & TcpFlags.Ack) != 0
            ? new TcpRepr(local.Port, remote.Port, seg.Acknowledgement, 0, TcpFlags.Rst, 0)
            : new TcpRepr(local.Port, remote.Port, 0, seg.Sequence + (uint)seg.SegmentLength(segment.Length), TcpFlags.Rst | TcpFlags.Ack, 0);
        Emit(local, remote, header, null, 0, 0);
        _resetsSent++;
    }

    private bool TransmitData(Tcb tcb, SendChunk chunk, int offset, int length, uint sequence, TcpFlags flags, int gsoSize = 0)
    {
        // A segment sent from another event's handler (an ACK opened the window, Nagle let it go,
        // the RTO fired) is still the work of the send() that queued it: resume its trace.
        using var resumed = Context.System.Tracing.Resume(chunk.Cause, "tcp_output");
        if (gsoSize > 0)
        {
            resumed.Span?.SetTag("edsos.tcp.gso_size", gsoSize);
        }

        var header = new TcpRepr(tcb.Local.Port, tcb.Remote.Port, sequence, tcb.RcvNxt, flags, WindowToAdvertise(tcb));
        if (Emit(tcb.Local, tcb.Remote, header, chunk, offset, length, gsoSize))
        {
            return true;
        }

        if (_memory.Locate(_ts, chunk.Node).Error == MemoryError.InvalidGva)
        {
            // The app's TS exited and its pages were lifted (seed 000 4.3): no retransmission can ever send
            // these bytes. OnTick aborts the connection; until then nothing more goes out.
            tcb.PayloadRevoked = true;
        }

        return false;
    }

    /// <summary>
    /// Builds one segment (seed 000 stage 3): the payload slice [<paramref name="offset"/>, +<paramref name="length"/>)
    /// of <paramref name="chunk"/> is summed in place and <c>ct_share</c>d into the IPv4 transmit TS (the chunk
    /// keeps its own reference for retransmission); header space is <c>push</c>ed, the TCP header with its final
    /// checksum written (the only bytes copied, counted as headers), shared on, and both go to IPv4. A first
    /// transmission's completion is tracked so the socket can be answered. Returns false when memory fails (the
    /// segment counts as lost; retransmission repairs it). With <paramref name="gsoSize"/> above 0 it is a TSO
    /// super-segment: the payload is not summed (the NIC sums each segment it cuts), the checksum field is left 0,
    /// and IPv4 gets the GSO size to pass down to the NIC.
    /// </summary>
    private bool Emit(Ipv4Endpoint local, Ipv4Endpoint remote, TcpRepr header, SendChunk? chunk, int offset, int length, int gsoSize = 0)
    {
        ChecksumAccumulator payloadSum = default;
        if (gsoSize == 0 && length > 0 && chunk is not null && !NodeOps.Sum(_memory, _ts, chunk.Node, offset, length, ref payloadSum).IsOk)
        {
            return false;
        }

        // Everything that can fail in our own TS first, so a failure leaves nothing mounted in IPv4's.
        int headerLength = header.HeaderLength;
        var pushed = _memory.Push(_ts, "tcp-hdr", FrameLayout.EthernetIpv4HeaderLength + headerLength);
        if (!pushed.IsOk)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[TcpPacket.MaxHeaderLength];
        if (gsoSize > 0)
        {
            header.EmitOffloadHeader(bytes);
        }
        else
        {
            header.EmitHeader(bytes, local.Address, remote.Address, in payloadSum);
        }

        if (!_memory.Write(_ts, pushed.Value, FrameLayout.EthernetIpv4HeaderLength, bytes[..headerLength], CopyKind.Header).IsOk)
        {
            NodeOps.Release(_memory, _ts, pushed.Value);
            return false;
        }

        Capability slice = default;
        if (length > 0 && chunk is not null)
        {
            var shared = _memory.CtShare(_ts, chunk.Node, chunk.Gva.Add(offset), length, _ipTxTs, "tcp-seg", SegmentRights);
            if (!shared.IsOk)
            {
                NodeOps.Release(_memory, _ts, pushed.Value);
                return false;
            }

            slice = shared.Value;
        }

        var headroom = NodeOps.ShareWhole(_memory, _ts, pushed.Value, _ipTxTs, "tcp-hdr", HeaderRights);
        NodeOps.Release(_memory, _ts, pushed.Value);
        if (!headroom.IsOk)
        {
            if (slice != default)
            {
                // Only IPv4 may pop a node in its TS: hand it the slice as a request it refuses (and pops).
                _ipTx.Tell(new Ipv4Protocol.IpQueueXmit(0, null, 0, local.Address, remote.Address, IpProtocol.Tcp, 0, default, headerLength, slice, -1), Self);
            }

            return false;
        }

        ulong requestId = 0;
        IActorRef? replyTo = null;
        int newBytes = chunk is null ? 0 : offset + length - Math.Max(offset, chunk.FirstTxIssued);
        if (newBytes > 0)
        {
            chunk!.FirstTxIssued = offset + length;
            requestId = ++_nextXmitId;
            replyTo = Self;
            _inFlight.Add(requestId, new InFlightSegment(chunk, newBytes));
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
            new Ipv4Protocol.IpQueueXmit(
                requestId,
                replyTo,
                length,
                local.Address,
                remote.Address,
                IpProtocol.Tcp,
                0,
                headroom.Value,
                headerLength,
                slice,
                length,
                gsoSize),
            Self);
        return true;
    }
}
