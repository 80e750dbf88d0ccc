using Edsos.Memory;
using Edsos.Protocol.Ipv4;
using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Tcp.Core;

/// <summary>
/// The output half: what may be sent now (windows, Nagle, FIN), and each segment as a header plus a sequence range
/// of the send queue, which may cross chunk boundaries (one <c>send()</c>'s bytes join the next one's in a segment).
/// With segmentation offload new data goes as super-segments of whole MSS pieces that the NIC cuts; retransmissions
/// and probes stay at most one MSS, cut here.
/// </summary>
public sealed partial class TcpConnection
{
    // The largest TSO super-segment payload: an IPv4 datagram (65535) minus the IPv4 and TCP headers, within the NIC's 64 KiB.
    private const int MaxGsoPayload = ushort.MaxValue - FrameLayout.Ipv4HeaderLength - TcpRepr.MinHeaderLength;

    /// <summary>
    /// The most send chunks one segment's payload may touch, as Linux's MAX_SKB_FRAGS (17) bounds an skb's page
    /// fragments: the host merges one node per chunk into the segment's payload, and a merged node holds a bounded
    /// number of page references, so a queue of many tiny writes must not make a segment no host can build. A
    /// segment cut short by this bound is treated like one cut at a chunk's end before: it goes, it is no runt held
    /// by Nagle or SWS avoidance.
    /// </summary>
    public const int MaxChunksPerSegment = 16;

    /// <summary>
    /// Sends what the windows allow (RFC 9293 3.8.6; RFC 5681: min(cwnd, rwnd) minus the flight), Nagle's
    /// rule (RFC 896 / RFC 9293 3.7.4) unless TCP_NODELAY, sender SWS avoidance (RFC 9293 3.8.6.2.1), then the
    /// FIN once every queued byte went out. Arms the persist timer when a zero window stops data, or a window
    /// too small for anything but a runt does with nothing in flight.
    /// </summary>
    private void Output()
    {
        if (_revokedAt is not null || State is TcpState.Closed or TcpState.SynSent or TcpState.SynReceived or TcpState.TimeWait)
        {
            return;
        }

        bool sentAny = false;
        bool swsHeld = false;
        while (true)
        {
            int pending = SeqNum.Diff(SndNxt, SendEnd);
            if (pending > 0)
            {
                // RFC 3042 limited transmit: the first two duplicate ACKs each let one new segment out, so a
                // small window still collects the three duplicates fast retransmit needs.
                var congestion = Congestion;
                long cwnd = congestion.Cwnd + (!congestion.InRecovery && congestion.DuplicateAcks is 1 or 2 ? (long)congestion.DuplicateAcks * Mss : 0);
                long window = Math.Min(SndWnd, cwnd);
                long usable = window - FlightSize;
                if (usable <= 0)
                {
                    break;
                }

                if (!FindChunk(SndNxt, out var chunk, out int offset))
                {
                    break;
                }

                // The queued bytes one segment may carry from here, across chunk boundaries.
                int available = Available(chunk, offset, pending);
                int length = (int)Math.Min(Math.Min(Mss, available), usable);
                bool retransmit = SeqNum.Lt(SndNxt, SndMax);
                int gsoSize = 0;
                if (!retransmit && length == Mss && UsesTso())
                {
                    // New data, a full segment's worth allowed: let the NIC cut as many as fit in one super-segment.
                    length = SuperSegmentLength(available, usable, pending);
                    gsoSize = length > Mss ? Mss : 0;
                    if (DeferSuperSegment(length, window, pending))
                    {
                        break;
                    }
                }

                if (!retransmit && length < Mss && FlightSize > 0)
                {
                    // Nagle with Minshall's refinement: one small segment outstanding at a time, unless TCP_NODELAY.
                    // Full-sized segments in flight do not hold the tail of the queue back, so a bulk write ending
                    // in a runt does not wait for the peer's delayed ACK. Never a runt cut by the window when more is
                    // queued (sender SWS avoidance).
                    bool windowCut = length < available;
                    bool lastPiece = length == pending;
                    bool smallInFlight = SeqNum.Gt(SndSml, SndUna);
                    if (windowCut || (lastPiece && !NoDelay && !FinQueued && smallInFlight))
                    {
                        break;
                    }
                }
                else if (!retransmit && !SwsOverride && length == usable && length < Math.Min(Mss, available) && length < MaxSndWnd / 2)
                {
                    // Sender SWS avoidance with nothing in flight (RFC 9293 3.8.6.2.1): a runt the window cuts short
                    // waits until a full segment, or half the largest window the peer offered, fits; or for the
                    // override timeout (the persist timer below). Sending it would have the peer's next window
                    // update cut the stream into runts again.
                    swsHeld = true;
                    break;
                }

                // PSH on the segment that ends the data queued so far (Linux marks the tail of the write queue at the
                // end of each sendmsg). With TSO the NIC keeps it on the super-segment's last piece only.
                var flags = TcpFlags.Ack | (length == pending ? TcpFlags.Psh : TcpFlags.None);
                if (!TransmitData(chunk, offset, length, SndNxt, flags, gsoSize))
                {
                    break;
                }

                if (retransmit)
                {
                    CountRetransmit(SndNxt, SndNxt + (uint)length);
                }
                else
                {
                    _sampler.OnSent(SndNxt, length, _now);
                }

                SndNxt += (uint)length;
                if (length % Mss != 0)
                {
                    // A short segment (or a super-segment whose last piece the NIC cuts short) is now in flight.
                    SndSml = SndNxt;
                }

                if (SeqNum.Gt(SndNxt, SndMax))
                {
                    SndMax = SndNxt;
                }

                sentAny = true;
                ArmRto();
                continue;
            }

            if (FinQueued && SndNxt == SendEnd && State is TcpState.Established or TcpState.CloseWait or TcpState.FinWait1 or TcpState.Closing or TcpState.LastAck)
            {
                bool again = FinSent;
                if (again && SeqNum.Gt(SndNxt, FinSequence))
                {
                    break;
                }

                FinSent = true;
                FinSequence = SendEnd;
                SendControl(FinSequence, TcpFlags.Fin | TcpFlags.Ack);
                if (again)
                {
                    CountRetransmit(FinSequence, FinSequence + 1);
                }
                else
                {
                    _sampler.OnSent(FinSequence, 1, _now);
                }

                SndNxt = FinSequence + 1;
                if (SeqNum.Gt(SndNxt, SndMax))
                {
                    SndMax = SndNxt;
                }

                State = State switch
                {
                    TcpState.Established => TcpState.FinWait1,
                    TcpState.CloseWait => TcpState.LastAck,
                    _ => State,
                };
                sentAny = true;
                ArmRto();
            }

            break;
        }

        if (sentAny)
        {
            // Every segment carries the ACK: a pending delayed ACK is answered.
            DelayedAckDeadline = null;
            UnackedSegments = 0;
        }

        if (SeqNum.Lt(SndNxt, SendEnd) && (SndWnd == 0 || swsHeld) && FlightSize == 0 && PersistDeadline is null)
        {
            RtoDeadline = null;
            ProbeTimeoutDeadline = null;
            PersistDeadline = _now + PersistInterval();
        }
    }

    /// <summary>
    /// TSO is used for this connection: the NIC does it (<see cref="InetStackOptions.Tso"/>), the peer is not one
    /// of our own addresses (loopback has no NIC to cut), and an MSS-sized segment fits the MTU whole.
    /// </summary>
    private bool UsesTso() =>
        _offload && Mss + FrameLayout.Ipv4HeaderLength + TcpRepr.MinHeaderLength <= _mtu;

    /// <summary>
    /// The payload of one super-segment at SND.NXT (Linux <c>tcp_mss_split_point</c>): as many whole MSS pieces
    /// as the usable window, the queued bytes (<paramref name="available"/>, across chunks) and
    /// <see cref="MaxGsoPayload"/> allow. The queue's last bytes ride along as a final shorter piece only where
    /// Nagle would let that runt go on its own at this point: more data is queued behind it (only when
    /// <see cref="MaxChunksPerSegment"/> cut the segment short), TCP_NODELAY is set, a FIN follows, or no short
    /// segment is unacknowledged (Minshall; the super-segment's full pieces are in flight by then, so it is exactly
    /// the test <see cref="Output"/> applies to a lone runt). At least one MSS.
    /// </summary>
    private int SuperSegmentLength(int available, long usable, int pending)
    {
        int limit = (int)Math.Min(Math.Min(available, usable), MaxGsoPayload);
        int whole = limit / Mss * Mss;
        if (limit == available && limit > whole)
        {
            bool lastPiece = available == pending;
            bool smallInFlight = SeqNum.Gt(SndSml, SndUna);
            if (!lastPiece || NoDelay || FinQueued || !smallInFlight)
            {
                return available;
            }
        }

        return whole;
    }

    /// <summary>
    /// Linux's <c>tcp_tso_should_defer</c> without its clock: new data the window cuts short of a full super-segment,
    /// with more queued behind it and data in flight, waits for the next ACK (which opens more of the window) unless it
    /// is at least a third of the window (<c>tcp_tso_win_divisor</c> 3). Without it, a congestion window growing by one
    /// MSS per ACK sends a full super-segment and a one-MSS frame for every ACK. Never in recovery or while duplicate
    /// ACKs let segments out (RFC 3042 limited transmit: those segments bring the duplicates fast retransmit needs),
    /// and never with nothing in flight (no ACK would come to send it).
    /// </summary>
    private bool DeferSuperSegment(int length, long window, int pending)
    {
        const int winDivisor = 3;
        int full = MaxGsoPayload / Mss * Mss;
        return length < full
            && length < pending
            && FlightSize > 0
            && !Congestion.InRecovery
            && Congestion.DuplicateAcks == 0
            && length < Math.Min(window, full) / winDivisor;
    }

    private TimeSpan PersistInterval()
    {
        // RFC 9293 3.8.6.1: probes back off exponentially like retransmissions, bounded by the maximum RTO.
        var interval = Rto.Rto * (1L << Math.Min(PersistShift, 16));
        return interval > _options.MaxRto ? _options.MaxRto : interval;
    }

    /// <summary>RFC 9293 3.8.6.1 zero-window probe: one byte past the window; the peer's answer carries its window.</summary>
    private void SendZeroWindowProbe()
    {
        if (!FindChunk(SndNxt, out var chunk, out int offset))
        {
            return;
        }

        if (TransmitData(chunk, offset, 1, SndNxt, TcpFlags.Ack))
        {
            // The probe byte may be accepted: an ACK of SND.NXT + 1 must then be acceptable. SND.NXT itself does
            // not move, so the probe neither counts as flight nor starts the retransmission timer.
            _stats.ZeroWindowProbes++;
            ProbeOutstanding = true;
            _sampler.OnRetransmitted(SndNxt, SndNxt + 1);
        }
    }

    /// <summary>Resends the segment at SND.UNA (at most one MSS, across chunks; fast retransmit, partial ACK) without moving SND.NXT.</summary>
    private void RetransmitFirst()
    {
        if (FindChunk(SndUna, out var chunk, out int offset))
        {
            int length = Math.Min(Mss, Available(chunk, offset, SeqNum.Diff(SndUna, SendEnd)));
            if (TransmitData(chunk, offset, length, SndUna, TcpFlags.Ack))
            {
                CountRetransmit(SndUna, SndUna + (uint)length);
                ResentAt = _now;
                Congestion.OnResent();
            }
        }
        else if (FinSent && SndUna == FinSequence)
        {
            SendControl(FinSequence, TcpFlags.Fin | TcpFlags.Ack);
            CountRetransmit(FinSequence, FinSequence + 1);
        }

        ArmRto();
    }

    private void CountRetransmit(uint start, uint end)
    {
        _stats.Retransmits++;
        Retransmits++;

        // Karn's rule (RFC 6298 3): an ACK that covers a retransmitted segment gives no RTT sample.
        _sampler.OnRetransmitted(start, end);
    }

    /// <summary>
    /// The bytes one segment starting at <paramref name="offset"/> of <paramref name="chunk"/> may carry: the rest of
    /// that chunk and of the chunks queued after it (<see cref="SendChunk.Next"/>), at most
    /// <see cref="MaxChunksPerSegment"/> of them, at most <paramref name="queued"/> (the bytes queued from there on).
    /// The walk stops once a super-segment's worth is reached, so it costs a few steps whatever the queue holds.
    /// </summary>
    private static int Available(SendChunk chunk, int offset, int queued)
    {
        int available = chunk.Length - offset;
        int touched = 1;
        for (var next = chunk.Next; next is not null && touched < MaxChunksPerSegment && available < MaxGsoPayload && available < queued; next = next.Next)
        {
            available += next.Length;
            touched++;
        }

        return Math.Min(available, queued);
    }

    /// <summary>The chunk holding <paramref name="sequence"/> and its offset there: where a segment's payload starts.</summary>
    private bool FindChunk(uint sequence, out SendChunk chunk, out int offset)
    {
        foreach (var candidate in Chunks)
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

    private void ArmRto()
    {
        // RFC 6298 5.1: start the timer when data is sent and it is not running.
        RtoDeadline ??= _now + Rto.Rto;
        ArmLossProbe(restart: false);
    }

    /// <summary>
    /// Arms the tail loss probe (RFC 8985 7.2) unless one went out since the last ACK of new data: with
    /// <paramref name="restart"/> from now, else no later than it is (a duplicate ACK may bring it forward).
    /// </summary>
    private void ArmLossProbe(bool restart)
    {
        if (!_options.TailLossProbe || LossProbeSent || !IsSynchronized || SndUna == SndMax)
        {
            ProbeTimeoutDeadline = null;
            return;
        }

        {
            var pto = LossProbe.Timeout(
                Rto.Srtt,
                Rto.RttVar,
                SeqNum.Diff(SndUna, SndMax),
                Mss,
                _options.DelayedAck,
                Rto.Rto,
                lossSuspected: Congestion.InRecovery || SeqNum.Lt(SndNxt, SndMax));
            DateTimeOffset? deadline = pto is { } timeout ? _now + timeout : null;
            if (!restart && ProbeTimeoutDeadline is { } armed && (deadline is null || armed < deadline))
            {
                deadline = armed;
            }

            ProbeTimeoutDeadline = deadline;
        }
    }

    /// <summary>
    /// RFC 8985 7.3: the tail loss probe. One segment of new data if any is queued and the peer's window has room
    /// (cwnd aside), else the last segment sent (or the FIN) again; then the retransmission timer restarts. In
    /// recovery, or while a timeout's resends are under way, the segment known lost is SND.UNA's, already resent
    /// once: the probe resends it again, so a retransmission lost a second time costs two round trips, not an RTO.
    /// </summary>
    private void SendLossProbe()
    {
        LossProbeSent = true;
        ProbeTimeoutDeadline = null;
        _stats.LossProbes++;
        int pending = SeqNum.Diff(SndNxt, SendEnd);
        long room = (long)SndWnd - FlightSize;
        if (Congestion.InRecovery || SeqNum.Lt(SndNxt, SndMax)
            || Congestion.OnProbeTimeout(SeqNum.Diff(SndUna, SndMax), SndMax, SndUna))
        {
            var deadline = RtoDeadline;
            RetransmitFirst();
            RtoDeadline = deadline;
        }
        else if (SndNxt == SndMax && pending > 0 && room > 0 && FindChunk(SndNxt, out var fresh, out int freshOffset))
        {
            int length = (int)Math.Min(Math.Min(Mss, Available(fresh, freshOffset, pending)), room);
            var flags = TcpFlags.Ack | (length == pending ? TcpFlags.Psh : TcpFlags.None);
            if (TransmitData(fresh, freshOffset, length, SndNxt, flags))
            {
                _sampler.OnSent(SndNxt, length, _now);
                SndNxt += (uint)length;
                SndMax = SndNxt;
                if (length < Mss)
                {
                    SndSml = SndNxt;
                }
            }
        }
        else if (FinSent && SndMax == FinSequence + 1)
        {
            SendControl(FinSequence, TcpFlags.Fin | TcpFlags.Ack);
            CountRetransmit(FinSequence, FinSequence + 1);
        }
        else
        {
            uint start = SndMax - (uint)Math.Min(Mss, SeqNum.Diff(SndUna, SndMax));
            if (FindChunk(start, out var chunk, out int offset))
            {
                int length = Math.Min(SeqNum.Diff(start, SndMax), Available(chunk, offset, SeqNum.Diff(start, SendEnd)));
                if (TransmitData(chunk, offset, length, start, TcpFlags.Ack))
                {
                    CountRetransmit(start, start + (uint)length);
                }
            }
        }

        RtoDeadline = _now + Rto.Rto;
    }

    /// <summary>Buffer space not held by unread data, in bytes, bounded by what the scaled 16-bit field can say.</summary>
    private int AdvertisableWindow() => Math.Clamp(ReceiveBuffer - RcvUnread, 0, ushort.MaxValue << RcvWndShift);

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
    private ushort WindowToAdvertise(bool syn = false)
    {
        int shift = syn ? 0 : RcvWndShift;
        int window = Math.Min(AdvertisableWindow(), ushort.MaxValue << shift);

        // Receiver SWS avoidance (RFC 1122 4.2.3.3): a window below one MSS is announced as zero.
        if (window < Math.Min(Mss, ReceiveBuffer / 2))
        {
            window = 0;
        }

        if (!syn && (_outOfOrder.Count > 0 || ReceiveMemory.UnderPressure(_memory.FreePagesHint, _memory.TotalPages)))
        {
            // Promise nothing beyond the edge already advertised (the rule below keeps that) while the arena is short,
            // and while a hole is open: the ACKs sent for out-of-order segments then carry the same window as well as
            // the same number, so the sender counts them as duplicates (RFC 5681 2) and fast-retransmits; an app
            // reading meanwhile would otherwise change the window on every one of them.
            window = Math.Min(window, Math.Max(0, SeqNum.Diff(RcvNxt, RcvAdvertisedEdge)));
        }

        int field = window >> shift;
        uint edge = RcvNxt + (uint)(field << shift);
        if (SeqNum.Lt(edge, RcvAdvertisedEdge))
        {
            // RFC 9293 3.8.6.2.2: do not shrink the window.
            int previous = Math.Max(0, SeqNum.Diff(RcvNxt, RcvAdvertisedEdge));
            field = Math.Min(ushort.MaxValue, (previous + (1 << shift) - 1) >> shift);
            edge = RcvNxt + (uint)(field << shift);
        }

        if (SeqNum.Gt(edge, RcvAdvertisedEdge))
        {
            RcvAdvertisedEdge = edge;
        }

        return (ushort)field;
    }

    /// <summary>
    /// Our SYN (<paramref name="ack"/> false) or SYN-ACK, first or again: MSS, and Window Scale when
    /// <see cref="Tcb.OfferWindowScale"/> (RFC 7323 2.2: on a SYN-ACK only if the peer's SYN carried it); the
    /// window field unscaled.
    /// </summary>
    private void SendSyn(bool ack)
    {
        var flags = ack ? TcpFlags.Syn | TcpFlags.Ack : TcpFlags.Syn;
        var header = new TcpRepr(
            Local.Port,
            Remote.Port,
            Iss,
            ack ? RcvNxt : 0,
            flags,
            ack ? WindowToAdvertise(syn: true) : (ushort)Math.Min(ReceiveBuffer, ushort.MaxValue),
            (ushort)_options.Mss,
            OfferWindowScale ? (byte)WantedRcvWndShift : null);
        Transmit(new TcpSegment(header, null, 0, 0, 0));
        SndNxt = Iss + 1;
        if (SeqNum.Gt(SndNxt, SndMax))
        {
            SndMax = SndNxt;
        }

        RtoDeadline ??= _now + Rto.Rto;
    }

    /// <summary>A bare ACK with the current window (answers, window updates, out-of-order duplicates).</summary>
    private void SendAck()
    {
        // SND.MAX, not SND.NXT: after a timeout SND.NXT goes back (go-back-N), and an ACK numbered below the
        // peer's RCV.NXT would be unacceptable there (RFC 9293 3.10.7.4) and dropped, stalling both ends.
        SendControl(SndMax, TcpFlags.Ack);
        DelayedAckDeadline = null;
        UnackedSegments = 0;
    }

    private void SendControl(uint sequence, TcpFlags flags)
    {
        var header = new TcpRepr(Local.Port, Remote.Port, sequence, RcvNxt, flags, WindowToAdvertise());
        Transmit(new TcpSegment(header, null, 0, 0, 0));
    }

    /// <summary>RST for a live connection (abort, listener close): &lt;SEQ=SND.NXT&gt;&lt;CTL=RST&gt; (RFC 9293 3.10.4 ABORT).</summary>
    private void SendReset()
    {
        var header = new TcpRepr(Local.Port, Remote.Port, SndMax, RcvNxt, TcpFlags.Rst | TcpFlags.Ack, 0);
        Transmit(new TcpSegment(header, null, 0, 0, 0));
        _stats.ResetsSent++;
    }

    /// <summary>RST for a segment this connection refuses in a non-synchronized state (RFC 9293 3.10.7.3 / 3.10.7.4).</summary>
    private void SendResetFor(in TcpRepr segment, int length)
    {
        if (ResetFor(segment, length) is { } header)
        {
            Transmit(new TcpSegment(header, null, 0, 0, 0));
            _stats.ResetsSent++;
        }
    }

    private bool TransmitData(SendChunk chunk, int offset, int length, uint sequence, TcpFlags flags, int gsoSize = 0)
    {
        var header = new TcpRepr(Local.Port, Remote.Port, sequence, RcvNxt, flags, WindowToAdvertise());
        return Transmit(new TcpSegment(header, chunk, offset, length, gsoSize));
    }

    /// <summary>Hands one segment to the host; false when it was not sent (a revoked payload is noted for the next <see cref="Poll"/>).</summary>
    private bool Transmit(in TcpSegment segment)
    {
        switch (_host.Transmit(this, segment))
        {
            case TransmitOutcome.Sent:
                return true;
            case TransmitOutcome.PayloadRevoked:
                // The app's TS exited and its pages were lifted (seed 000 4.3): no retransmission can ever send
                // these bytes. The next Poll aborts the connection; until then nothing more goes out.
                _revokedAt ??= _now;
                return false;
            default:
                return false;
        }
    }
}
