using Edsos.Memory;
using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Tcp.Core;

/// <summary>RFC 9293 3.10.7 "SEGMENT ARRIVES": acceptability, RST, SYN, the handshake's ACK.</summary>
public sealed partial class TcpConnection
{
    /// <summary>
    /// An arriving segment for this connection (RFC 9293 3.10.7.3 / 3.10.7.4) with <paramref name="length"/> payload
    /// bytes in <paramref name="payload"/> (default when none), a node of the connection's TS that the connection owns
    /// from now on. Whatever it answers goes out through the host; the segment's data is delivered, held for
    /// reassembly or released. A connection already deleted only releases the payload. A dropped payload is released
    /// before anything is answered, so an ACK's header space never waits on it when the arena is short.
    /// </summary>
    public void Process(in TcpRepr seg, Capability payload, int length, DateTimeOffset now)
    {
        _now = now;
        using var held = _memory.Own(_ts, ref payload);
        if (State == TcpState.Closed)
        {
            return;
        }

        if (State == TcpState.SynSent)
        {
            OnSynSentSegment(seg, held.Transfer(), length);
        }
        else
        {
            OnSegment(seg, held.Transfer(), length);
        }

        if (State != TcpState.Closed)
        {
            AfterEvent();
        }
    }

    private void OnSegment(in TcpRepr seg, Capability payload, int length)
    {
        using var held = _memory.Own(_ts, ref payload);
        bool syn = (seg.Flags & TcpFlags.Syn) != 0;
        bool rst = (seg.Flags & TcpFlags.Rst) != 0;
        if (State == TcpState.SynReceived && (seg.Flags & (TcpFlags.Syn | TcpFlags.Ack | TcpFlags.Rst)) == TcpFlags.Syn && seg.Sequence == Irs)
        {
            // The peer did not get our SYN-ACK and sent its SYN again (any text on it is held already).
            held.Dispose();
            SendSyn(ack: true);
            return;
        }

        // Fourth step, taken first: a SYN in a synchronized state, whatever its sequence number, is answered with
        // a challenge ACK and dropped (RFC 5961 4.2, adopted by RFC 9293 3.10.7.4), so a blind in-window SYN
        // cannot reset the connection. (In TIME_WAIT the driver may first let it open a new incarnation: CanReopen.)
        if (syn && !rst && IsSynchronized)
        {
            held.Dispose();
            SendChallengeAck();
            return;
        }

        // First: the sequence number (RFC 9293 3.10.7.4, the four acceptability cases).
        int segLength = seg.SegmentLength(length);
        int window = Math.Max(0, SeqNum.Diff(RcvNxt, RcvAdvertisedEdge));
        uint windowEnd = RcvNxt + (uint)window;
        bool acceptable = segLength == 0
            ? (window == 0 ? seg.Sequence == RcvNxt : SeqNum.InWindow(seg.Sequence, RcvNxt, windowEnd))
            : window > 0 && (SeqNum.InWindow(seg.Sequence, RcvNxt, windowEnd) || SeqNum.InWindow(seg.Sequence + (uint)segLength - 1, RcvNxt, windowEnd));
        if (!acceptable)
        {
            held.Dispose();
            if (rst)
            {
                // RFC 5961 3.2 (1): a RST outside the window is dropped without an answer.
                _stats.ResetsIgnored++;
                return;
            }

            if (window == 0 && (seg.Flags & (TcpFlags.Ack | TcpFlags.Syn)) == TcpFlags.Ack && IsSynchronized)
            {
                // RFC 9293 3.10.7.4: with a zero receive window no segment is acceptable, "but special allowance
                // should be made to accept valid ACKs": otherwise a peer whose data we cannot take never learns
                // that we took its earlier data, and both ends wait on each other.
                if (ProcessAck(seg, 0) && State != TcpState.Closed)
                {
                    if (segLength > 0)
                    {
                        // Still an unacceptable segment, answered like any (below): for a zero-window probe that
                        // ACK is the one carrying the window the prober waits for.
                        SendAck();
                    }

                    Output();
                }

                return;
            }

            // A zero-window probe, an old duplicate or a retransmitted FIN in TIME-WAIT: answer with where we are.
            SendAck();
            if (State == TcpState.TimeWait && (seg.Flags & TcpFlags.Fin) != 0)
            {
                TimeWaitDeadline = _now + _options.TimeWait;
            }

            return;
        }

        // Second: RST. RFC 5961 3.2: only a RST at exactly RCV.NXT resets; one elsewhere in the window may be a
        // blind guess, so it gets a challenge ACK, which a peer that really reset answers with an exact RST.
        if (rst)
        {
            held.Dispose();
            if (seg.Sequence != RcvNxt)
            {
                _stats.ResetsIgnored++;
                SendChallengeAck();
                return;
            }

            _stats.ResetsReceived++;
            if (State == TcpState.SynReceived && IsPassive)
            {
                // Passive open reset before it completed: back to LISTEN, nobody to tell.
                Destroy(Errno.None);
                return;
            }

            Destroy(State is TcpState.Closing or TcpState.LastAck or TcpState.TimeWait ? Errno.None : Errno.ECONNRESET);
            return;
        }

        // Fourth, for SYN-RECEIVED (synchronized states were handled above): RFC 9293 3.10.7.4 sends a passive
        // open back to LISTEN; a simultaneous open is treated like a synchronized state.
        if (syn)
        {
            held.Dispose();
            if (IsPassive)
            {
                Destroy(Errno.None);
            }
            else
            {
                SendChallengeAck();
            }

            return;
        }

        // Fifth: the ACK field.
        if ((seg.Flags & TcpFlags.Ack) == 0)
        {
            return;
        }

        if (State == TcpState.SynReceived)
        {
            if (!SeqNum.Gt(seg.Acknowledgement, SndUna) || SeqNum.Gt(seg.Acknowledgement, SndMax))
            {
                held.Dispose();
                SendResetFor(seg, length);
                return;
            }

            bool synDataDelivered = Establish(seg);
            if (State == TcpState.Closed)
            {
                return;
            }

            if (synDataDelivered)
            {
                // Text that came on the SYN is now delivered: acknowledge it at once.
                SendAck();
            }
        }
        else if (!ProcessAck(seg, length))
        {
            return;
        }

        if (State == TcpState.Closed)
        {
            return;
        }

        // Seventh: the data.
        uint finPosition = seg.Sequence + (uint)length;
        if (length > 0 && SocketClosed && CanReceive && !FinReceived && SeqNum.Gt(finPosition, RcvNxt))
        {
            // RFC 1122 4.2.2.13 (Linux counts it as TCPAbortOnData): new data after close() has no reader and the
            // window would never open again; reset, so the peer learns the data was lost instead of waiting forever.
            held.Dispose();
            SendReset();
            Destroy(Errno.None);
            return;
        }

        if (length > 0)
        {
            if (CanReceive && !FinReceived)
            {
                ReceiveData(seg.Sequence, held.Transfer(), length);
            }
            else
            {
                held.Dispose();
            }
        }

        // Eighth: FIN, once every byte before it is in.
        if ((seg.Flags & TcpFlags.Fin) != 0 && !FinReceived && finPosition == RcvNxt)
        {
            OnFin();
        }

        Output();
    }

    /// <summary>RFC 9293 3.10.7.3, SYN-SENT. Text on the SYN-ACK (or on a simultaneous-open SYN) is held until ESTABLISHED.</summary>
    private void OnSynSentSegment(in TcpRepr seg, Capability payload, int length)
    {
        using var held = _memory.Own(_ts, ref payload);
        bool hasAck = (seg.Flags & TcpFlags.Ack) != 0;
        if (hasAck && (SeqNum.Le(seg.Acknowledgement, Iss) || SeqNum.Gt(seg.Acknowledgement, SndMax)))
        {
            held.Dispose();
            SendResetFor(seg, length);
            return;
        }

        if ((seg.Flags & TcpFlags.Rst) != 0)
        {
            held.Dispose();
            if (hasAck)
            {
                _stats.ResetsReceived++;
                Destroy(Errno.ECONNREFUSED);
            }

            return;
        }

        if ((seg.Flags & TcpFlags.Syn) == 0)
        {
            return;
        }

        Irs = seg.Sequence;
        RcvNxt = seg.Sequence + 1;
        RcvAdvertisedEdge = RcvNxt;
        TakePeerMss(seg);
        if (hasAck)
        {
            // RFC 7323 2.2: scaling is on only if our SYN offered it and the SYN-ACK carries the option too.
            TakePeerWindowScale(seg);
            HoldSynData(held.Transfer(), length);
            Establish(seg);
            SendAck();
            Output();
            return;
        }

        // Simultaneous open (RFC 9293 figure 8): SYN-RECEIVED, answer SYN-ACK; it repeats our Window Scale
        // offer only if the peer's SYN made one too.
        OfferWindowScale &= seg.WindowScale is not null;
        TakePeerWindowScale(seg);
        SetSendWindow(seg.Window);
        SndWl1 = seg.Sequence;
        SndWl2 = Iss;
        State = TcpState.SynReceived;
        HoldSynData(held.Transfer(), length);
        SendSyn(ack: true);
    }

    /// <summary>
    /// RFC 5961 challenge ACK (3.2, 4.2, 5.2): &lt;SEQ=SND.NXT&gt;&lt;ACK=RCV.NXT&gt;&lt;CTL=ACK&gt;, a plain ACK that
    /// only a peer that really is in sync can act on. Throttled per connection (RFC 5961 7): at most
    /// <see cref="TcpOptions.ChallengeAckLimit"/> per <see cref="TcpOptions.ChallengeAckInterval"/>, the rest counted.
    /// </summary>
    private void SendChallengeAck()
    {
        var now = _now;
        if (now - ChallengeAckPeriodStart >= _options.ChallengeAckInterval)
        {
            ChallengeAckPeriodStart = now;
            ChallengeAcksInPeriod = 0;
        }

        if (ChallengeAcksInPeriod >= _options.ChallengeAckLimit)
        {
            _stats.ChallengeAcksThrottled++;
            return;
        }

        ChallengeAcksInPeriod++;
        _stats.ChallengeAcks++;
        SendAck();
    }

    private void TakePeerMss(in TcpRepr seg)
    {
        int peer = seg.MaxSegmentSize != 0 ? seg.MaxSegmentSize : TcpRepr.DefaultMss;
        Mss = Math.Min(_options.Mss, peer);
        Congestion.SetSmss(Mss);
    }

    /// <summary>
    /// RFC 7323 2.2-2.3: with Window Scale on both SYNs, the peer's windows are shifted by its count (clamped to
    /// 14) and ours by the count we announced; otherwise neither side scales.
    /// </summary>
    private void TakePeerWindowScale(in TcpRepr seg)
    {
        if (OfferWindowScale && seg.WindowScale is byte peer)
        {
            SndWndShift = Math.Min((int)peer, TcpRepr.MaxWindowScale);
            RcvWndShift = WantedRcvWndShift;
        }
        else
        {
            SndWndShift = 0;
            RcvWndShift = 0;
        }
    }

    /// <summary>SEG.WND in bytes: the field as is on a SYN (RFC 7323 2.2: never scaled there), shifted on every other segment.</summary>
    private uint PeerWindow(in TcpRepr seg) =>
        (seg.Flags & TcpFlags.Syn) != 0 ? seg.Window : (uint)seg.Window << SndWndShift;

    private void SetSendWindow(uint window)
    {
        SndWnd = window;
        if (window > MaxSndWnd)
        {
            MaxSndWnd = window;
        }
    }

    /// <summary>
    /// RFC 9293 3.10.7.2 / 3.10.7.3: text on a SYN (or SYN-ACK) is "queued for processing later", not
    /// acknowledged by our SYN-ACK or ACK: it waits in the reassembly queue at IRS + 1 (trimmed to the window
    /// the SYN-ACK offers) and is delivered in order once ESTABLISHED (<see cref="DeliverHeldData"/>). Until
    /// then RCV.NXT stays at IRS + 1, so a peer that gets no ACK for it simply retransmits it.
    /// </summary>
    private void HoldSynData(Capability payload, int length)
    {
        using var held = _memory.Own(_ts, ref payload);
        if (length <= 0)
        {
            return;
        }

        int room = Math.Min(ReceiveBuffer, ushort.MaxValue);
        if (length > room && !TryDropTail(ref payload, room))
        {
            return;
        }

        length = Math.Min(length, room);
        if (_outOfOrder.TryAdd(Irs + 1, length, payload))
        {
            // The queue owns it now.
            held.Transfer();
            _stats.SynDataHeld++;
        }
        else
        {
            held.Dispose();
        }
    }

    /// <summary>
    /// Delivers what the reassembly queue holds from RCV.NXT on (segments that had come out of order, text that
    /// came on the SYN) and drops what the advance made stale; true when something was delivered.
    /// </summary>
    private bool DeliverHeldData()
    {
        bool delivered = false;
        _scratch.Clear();
        while (_outOfOrder.TryTakeNext(RcvNxt, out _, out int heldLength, out Capability held, _scratch))
        {
            Deliver(held, heldLength);
            RcvNxt += (uint)heldLength;
            delivered = true;
        }

        foreach (var stale in _scratch)
        {
            Release(stale);
        }

        _scratch.Clear();
        return delivered;
    }

    private void StartSynTiming()
    {
        _sampler.Clear();
        _sampler.OnSent(Iss, 1, _now);
    }

    /// <summary>
    /// Our SYN is acknowledged: ESTABLISHED, and the host told (it answers the connect, or announces a passive open
    /// to its listener; a listener gone by now resets the connection). Text held from the peer's SYN is delivered then; returns true when some was (it needs an ACK).
    /// </summary>
    private bool Establish(in TcpRepr seg)
    {
        if (_sampler.OnAck(SndUna, seg.Acknowledgement, _now) is { } rtt)
        {
            Rto.Sample(rtt);
        }

        _sampler.Clear();
        SndUna = seg.Acknowledgement;
        if (SeqNum.Lt(SndNxt, SndUna))
        {
            SndNxt = SndUna;
        }

        SetSendWindow(PeerWindow(seg));
        SndWl1 = seg.Sequence;
        SndWl2 = seg.Acknowledgement;
        Backoffs = 0;
        RtoDeadline = null;
        State = TcpState.Established;
        if (!_host.Established(this))
        {
            SendReset();
            Destroy(Errno.None);
            return false;
        }

        bool delivered = DeliverHeldData();
        if (FinQueued)
        {
            Output();
        }

        return delivered;
    }
}
