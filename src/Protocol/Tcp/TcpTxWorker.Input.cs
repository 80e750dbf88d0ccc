using Edsos.Memory;
using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Tcp;

/// <summary>The input half: RFC 9293 3.10.7 "SEGMENT ARRIVES", in-order delivery, reassembly, ACK processing and timers.</summary>
public sealed partial class TcpTxWorker
{
    // Received stream bytes as the socket gets them: readable, shareable on (an echo sends them back), mappable.
    private const Rights SocketDataRights = Rights.Read | Rights.Share | Rights.Map;

    private void OnSegment(TcpProtocol.SegmentReceivedEvent segment)
    {
        _segmentsReceived++;
        if (_quiesced)
        {
            Drop(segment.Payload);
            return;
        }

        var seg = segment.Header;
        var local = new Ipv4Endpoint(segment.Destination, seg.DestinationPort);
        var remote = new Ipv4Endpoint(segment.Source, seg.SourcePort);
        if (_connections.TryGetValue((local, remote), out var tcb))
        {
            OnConnectionSegment(tcb, segment);
            return;
        }

        if (_listeners.TryGetValue(seg.DestinationPort, out var listener)
            && (listener.Local.Address.IsUnspecified || listener.Local.Address == local.Address))
        {
            OnListenSegment(listener, local, remote, segment);
            return;
        }

        // RFC 9293 3.10.7.1: CLOSED. Anything but a RST is answered with a RST.
        Drop(segment.Payload);
        SendResetFor(segment);
    }

    /// <summary>
    /// RFC 9293 3.10.7.2, LISTEN: a SYN opens a TCB in SYN-RECEIVED; an ACK is reset; a RST is ignored. Text on
    /// the SYN is queued for delivery once ESTABLISHED (<see cref="HoldSynData"/>). <paramref name="iss"/> is
    /// set when the SYN reopens a TIME_WAIT 4-tuple (RFC 1122 4.2.2.13: above the old incarnation's numbers).
    /// </summary>
    private void OnListenSegment(Listener listener, Ipv4Endpoint local, Ipv4Endpoint remote, TcpProtocol.SegmentReceivedEvent segment, uint? iss = null)
    {
        var seg = segment.Header;
        if ((seg.Flags & TcpFlags.Rst) != 0)
        {
            Drop(segment.Payload);
            return;
        }

        if ((seg.Flags & TcpFlags.Ack) != 0 || (seg.Flags & TcpFlags.Syn) == 0)
        {
            Drop(segment.Payload);
            SendResetFor(segment);
            return;
        }

        int waiting = 0;
        foreach (var other in _byId.Values)
        {
            if (other.Listener == listener.Local && other.Socket is null && other.State != TcpState.Closed)
            {
                waiting++;
            }
        }

        if (waiting >= listener.Backlog)
        {
            // Backlog full: drop the SYN silently (Linux), the peer retries.
            Drop(segment.Payload);
            return;
        }

        var tcb = NewTcb(local, remote, iss);
        tcb.Listener = listener.Local;
        tcb.Irs = seg.Sequence;
        tcb.RcvNxt = seg.Sequence + 1;
        tcb.RcvAdvertisedEdge = tcb.RcvNxt;
        TakePeerMss(tcb, seg);

        // RFC 7323 2.2: a SYN-ACK carries Window Scale only in answer to a SYN that did; then both sides scale.
        tcb.OfferWindowScale = seg.WindowScale is not null;
        TakePeerWindowScale(tcb, seg);
        SetSendWindow(tcb, seg.Window);
        tcb.SndWl1 = seg.Sequence;
        tcb.SndWl2 = tcb.Iss;
        tcb.State = TcpState.SynReceived;
        HoldSynData(tcb, segment);
        StartSynTiming(tcb);
        SendSyn(tcb, ack: true);
    }

    private void OnConnectionSegment(Tcb tcb, TcpProtocol.SegmentReceivedEvent segment)
    {
        var seg = segment.Header;
        if (tcb.State == TcpState.SynSent)
        {
            OnSynSentSegment(tcb, segment);
            return;
        }

        bool syn = (seg.Flags & TcpFlags.Syn) != 0;
        bool rst = (seg.Flags & TcpFlags.Rst) != 0;
        if (tcb.State == TcpState.SynReceived && (seg.Flags & (TcpFlags.Syn | TcpFlags.Ack | TcpFlags.Rst)) == TcpFlags.Syn && seg.Sequence == tcb.Irs)
        {
            // The peer did not get our SYN-ACK and sent its SYN again (any text on it is held already).
            Drop(segment.Payload);
            SendSyn(tcb, ack: true);
            return;
        }

        // Fourth step, taken first: a SYN in a synchronized state, whatever its sequence number, is answered with
        // a challenge ACK and dropped (RFC 5961 4.2, adopted by RFC 9293 3.10.7.4), so a blind in-window SYN
        // cannot reset the connection. In TIME_WAIT it may instead open a new incarnation (RFC 6191 2 / RFC 1122
        // 4.2.2.13).
        if (syn && !rst && tcb.IsSynchronized)
        {
            if (tcb.State == TcpState.TimeWait && TryReopenFromTimeWait(tcb, segment))
            {
                return;
            }

            Drop(segment.Payload);
            SendChallengeAck(tcb);
            return;
        }

        // First: the sequence number (RFC 9293 3.10.7.4, the four acceptability cases).
        int segLength = seg.SegmentLength(segment.Length);
        int window = Math.Max(0, SeqNum.Diff(tcb.RcvNxt, tcb.RcvAdvertisedEdge));
        uint windowEnd = tcb.RcvNxt + (uint)window;
        bool acceptable = segLength == 0
            ? (window == 0 ? seg.Sequence == tcb.RcvNxt : SeqNum.InWindow(seg.Sequence, tcb.RcvNxt, windowEnd))
            : window > 0 && (SeqNum.InWindow(seg.Sequence, tcb.RcvNxt, windowEnd) || SeqNum.InWindow(seg.Sequence + (uint)segLength - 1, tcb.RcvNxt, windowEnd));
        if (!acceptable)
        {
            Drop(segment.Payload);
            if (rst)
            {
                // RFC 5961 3.2 (1): a RST outside the window is dropped without an answer.
                _resetsIgnored++;
                return;
            }

            if (window == 0 && (seg.Flags & (TcpFlags.Ack | TcpFlags.Syn)) == TcpFlags.Ack && tcb.IsSynchronized)
            {
                // RFC 9293 3.10.7.4: with a zero receive window no segment is acceptable, "but special allowance
                // should be made to accept valid ACKs": otherwise a peer whose data we cannot take never learns
                // that we took its earlier data, and both ends wait on each other.
                if (ProcessAck(tcb, seg, 0) && tcb.State != TcpState.Closed)
                {
                    if (segLength > 0)
                    {
                        // Still an unacceptable segment, answered like any (below): for a zero-window probe that
                        // ACK is the one carrying the window the prober waits for.
                        SendAck(tcb);
                    }

                    Output(tcb);
                }

                return;
            }

            // A zero-window probe, an old duplicate or a retransmitted FIN in TIME-WAIT: answer with where we are.
            SendAck(tcb);
            if (tcb.State == TcpState.TimeWait && (seg.Flags & TcpFlags.Fin) != 0)
            {
                tcb.TimeWaitDeadline = Now + _options.TimeWait;
            }

            return;
        }

        // Second: RST. RFC 5961 3.2: only a RST at exactly RCV.NXT resets; one elsewhere in the window may be a
        // blind guess, so it gets a challenge ACK, which a peer that really reset answers with an exact RST.
        if (rst)
        {
            Drop(segment.Payload);
            if (seg.Sequence != tcb.RcvNxt)
            {
                _resetsIgnored++;
                SendChallengeAck(tcb);
                return;
            }

            _resetsReceived++;
            if (tcb.State == TcpState.SynReceived && tcb.Listener is not null)
            {
                // Passive open reset before it completed: back to LISTEN, nobody to tell.
                Destroy(tcb, Errno.None);
                return;
            }

            Destroy(tcb, tcb.State is TcpState.Closing or TcpState.LastAck or TcpState.TimeWait ? Errno.None : Errno.ECONNRESET);
            return;
        }

        // Fourth, for SYN-RECEIVED (synchronized states were handled above): RFC 9293 3.10.7.4 sends a passive
        // open back to LISTEN; a simultaneous open is treated like a synchronized state.
        if (syn)
        {
            Drop(segment.Payload);
            if (tcb.Listener is not null)
            {
                Destroy(tcb, Errno.None);
            }
            else
            {
                SendChallengeAck(tcb);
            }

            return;
        }

        // Fifth: the ACK field.
        if ((seg.Flags & TcpFlags.Ack) == 0)
        {
            Drop(segment.Payload);
            return;
        }

        if (tcb.State == TcpState.SynReceived)
        {
            if (!SeqNum.Gt(seg.Acknowledgement, tcb.SndUna) || SeqNum.Gt(seg.Acknowledgement, tcb.SndMax))
            {
                Drop(segment.Payload);
                SendResetFor(segment);
                return;
            }

            bool synDataDelivered = Establish(tcb, seg);
            if (tcb.State == TcpState.Closed)
            {
                Drop(segment.Payload);
                return;
            }

            if (synDataDelivered)
            {
                // Text that came on the SYN is now delivered: acknowledge it at once.
                SendAck(tcb);
            }
        }
        else if (!ProcessAck(tcb, seg, segment.Length))
        {
            Drop(segment.Payload);
            return;
        }

        if (tcb.State == TcpState.Closed)
        {
            Drop(segment.Payload);
            return;
        }

        // Seventh: the data.
        uint finPosition = seg.Sequence + (uint)segment.Length;
        if (segment.Length > 0 && tcb.SocketClosed && tcb.CanReceive && !tcb.FinReceived && SeqNum.Gt(finPosition, tcb.RcvNxt))
        {
            // RFC 1122 4.2.2.13 (Linux counts it as TCPAbortOnData): new data after close() has no reader and the
            // window would never open again; reset, so the peer learns the data was lost instead of waiting forever.
            Drop(segment.Payload);
            SendReset(tcb);
            Destroy(tcb, Errno.None);
            return;
        }

        if (segment.Length > 0)
        {
            if (tcb.CanReceive && !tcb.FinReceived)
            {
                ReceiveData(tcb, seg.Sequence, segment.Payload, segment.Length);
            }
            else
            {
                Drop(segment.Payload);
            }
        }

        // Eighth: FIN, once every byte before it is in.
        if ((seg.Flags & TcpFlags.Fin) != 0 && !tcb.FinReceived && finPosition == tcb.RcvNxt)
        {
            OnFin(tcb);
        }

        Output(tcb);
    }

    /// <summary>RFC 9293 3.10.7.3, SYN-SENT. Text on the SYN-ACK (or on a simultaneous-open SYN) is held until ESTABLISHED.</summary>
    private void OnSynSentSegment(Tcb tcb, TcpProtocol.SegmentReceivedEvent segment)
    {
        var seg = segment.Header;
        bool hasAck = (seg.Flags & TcpFlags.Ack) != 0;
        if (hasAck && (SeqNum.Le(seg.Acknowledgement, tcb.Iss) || SeqNum.Gt(seg.Acknowledgement, tcb.SndMax)))
        {
            Drop(segment.Payload);
            SendResetFor(segment);
            return;
        }

        if ((seg.Flags & TcpFlags.Rst) != 0)
        {
            Drop(segment.Payload);
            if (hasAck)
            {
                _resetsReceived++;
                Destroy(tcb, Errno.ECONNREFUSED);
            }

            return;
        }

        if ((seg.Flags & TcpFlags.Syn) == 0)
        {
            Drop(segment.Payload);
            return;
        }

        tcb.Irs = seg.Sequence;
        tcb.RcvNxt = seg.Sequence + 1;
        tcb.RcvAdvertisedEdge = tcb.RcvNxt;
        TakePeerMss(tcb, seg);
        if (hasAck)
        {
            // RFC 7323 2.2: scaling is on only if our SYN offered it and the SYN-ACK carries the option too.
            TakePeerWindowScale(tcb, seg);
            HoldSynData(tcb, segment);
            Establish(tcb, seg);
            SendAck(tcb);
            Output(tcb);
            return;
        }

        // Simultaneous open (RFC 9293 figure 8): SYN-RECEIVED, answer SYN-ACK; it repeats our Window Scale
        // offer only if the peer's SYN made one too.
        tcb.OfferWindowScale &= seg.WindowScale is not null;
        TakePeerWindowScale(tcb, seg);
        SetSendWindow(tcb, seg.Window);
        tcb.SndWl1 = seg.Sequence;
        tcb.SndWl2 = tcb.Iss;
        tcb.State = TcpState.SynReceived;
        HoldSynData(tcb, segment);
        SendSyn(tcb, ack: true);
    }

    /// <summary>
    /// RFC 5961 challenge ACK (3.2, 4.2, 5.2): &lt;SEQ=SND.NXT&gt;&lt;ACK=RCV.NXT&gt;&lt;CTL=ACK&gt;, a plain ACK that
    /// only a peer that really is in sync can act on. Throttled per connection (RFC 5961 7): at most
    /// <see cref="TcpOptions.ChallengeAckLimit"/> per <see cref="TcpOptions.ChallengeAckInterval"/>, the rest counted.
    /// </summary>
    private void SendChallengeAck(Tcb tcb)
    {
        var now = Now;
        if (now - tcb.ChallengeAckPeriodStart >= _options.ChallengeAckInterval)
        {
            tcb.ChallengeAckPeriodStart = now;
            tcb.ChallengeAcksInPeriod = 0;
        }

        if (tcb.ChallengeAcksInPeriod >= _options.ChallengeAckLimit)
        {
            _challengeAcksThrottled++;
            return;
        }

        tcb.ChallengeAcksInPeriod++;
        _challengeAcks++;
        SendAck(tcb);
    }

    /// <summary>
    /// A SYN for a 4-tuple in TIME_WAIT. Without timestamps, RFC 6191 2 falls back to RFC 1122 4.2.2.13: the
    /// SYN may open a new incarnation if a listener takes the port and its sequence number lies beyond
    /// everything the old one received (SEG.SEQ &gt; RCV.NXT), so no old duplicate can be taken for new data;
    /// our new ISS is then SND.MAX + MAX.SND.WND of the old one, past the right edge of any window the peer
    /// offered it, for the same reason in the other direction. Returns false otherwise (the caller answers with
    /// a challenge ACK).
    /// </summary>
    private bool TryReopenFromTimeWait(Tcb tcb, TcpProtocol.SegmentReceivedEvent segment)
    {
        var seg = segment.Header;
        if ((seg.Flags & TcpFlags.Ack) != 0
            || !SeqNum.Gt(seg.Sequence, tcb.RcvNxt)
            || !_listeners.TryGetValue(tcb.Local.Port, out var listener)
            || !(listener.Local.Address.IsUnspecified || listener.Local.Address == tcb.Local.Address))
        {
            return false;
        }

        uint iss = tcb.SndMax + Math.Max(tcb.MaxSndWnd, 1u);
        var (local, remote) = (tcb.Local, tcb.Remote);
        _timeWaitReopened++;
        Destroy(tcb, Errno.None);
        OnListenSegment(listener, local, remote, segment, iss);
        return true;
    }

    private void TakePeerMss(Tcb tcb, in TcpRepr seg)
    {
        int peer = seg.MaxSegmentSize != 0 ? seg.MaxSegmentSize : TcpRepr.DefaultMss;
        tcb.Mss = Math.Min(_options.Mss, peer);
        tcb.Congestion.SetSmss(tcb.Mss);
    }

    /// <summary>
    /// RFC 7323 2.2-2.3: with Window Scale on both SYNs, the peer's windows are shifted by its count (clamped to
    /// 14) and ours by the count we announced; otherwise neither side scales.
    /// </summary>
    private static void TakePeerWindowScale(Tcb tcb, in TcpRepr seg)
    {
        if (tcb.OfferWindowScale && seg.WindowScale is byte peer)
        {
            tcb.SndWndShift = Math.Min((int)peer, TcpRepr.MaxWindowScale);
            tcb.RcvWndShift = tcb.WantedRcvWndShift;
        }
        else
        {
            tcb.SndWndShift = 0;
            tcb.RcvWndShift = 0;
        }
    }

    /// <summary>SEG.WND in bytes: the field as is on a SYN (RFC 7323 2.2: never scaled there), shifted on every other segment.</summary>
    private static uint PeerWindow(Tcb tcb, in TcpRepr seg) =>
        (seg.Flags & TcpFlags.Syn) != 0 ? seg.Window : (uint)seg.Window << tcb.SndWndShift;

    private static void SetSendWindow(Tcb tcb, uint window)
    {
        tcb.SndWnd = window;
        if (window > tcb.MaxSndWnd)
        {
            tcb.MaxSndWnd = window;
        }
    }

    /// <summary>
    /// RFC 9293 3.10.7.2 / 3.10.7.3: text on a SYN (or SYN-ACK) is "queued for processing later", not
    /// acknowledged by our SYN-ACK or ACK: it waits in the reassembly queue at IRS + 1 (trimmed to the window
    /// the SYN-ACK offers) and is delivered in order once ESTABLISHED (<see cref="DeliverHeldData"/>). Until
    /// then RCV.NXT stays at IRS + 1, so a peer that gets no ACK for it simply retransmits it.
    /// </summary>
    private void HoldSynData(Tcb tcb, TcpProtocol.SegmentReceivedEvent segment)
    {
        if (segment.Length <= 0)
        {
            return;
        }

        var payload = segment.Payload;
        int length = segment.Length;
        int room = Math.Min(tcb.ReceiveBuffer, ushort.MaxValue);
        if (length > room && !TryDropTail(ref payload, room))
        {
            Drop(payload);
            return;
        }

        length = Math.Min(length, room);
        if (tcb.OutOfOrder.TryAdd(tcb.Irs + 1, length, payload))
        {
            _synDataHeld++;
        }
        else
        {
            Drop(payload);
        }
    }

    /// <summary>
    /// Delivers what the reassembly queue holds from RCV.NXT on (segments that had come out of order, text that
    /// came on the SYN) and drops what the advance made stale; true when something was delivered.
    /// </summary>
    private bool DeliverHeldData(Tcb tcb)
    {
        bool delivered = false;
        _scratch.Clear();
        while (tcb.OutOfOrder.TryTakeNext(tcb.RcvNxt, out _, out int heldLength, out Capability held, _scratch))
        {
            Deliver(tcb, held, heldLength);
            tcb.RcvNxt += (uint)heldLength;
            delivered = true;
        }

        foreach (var stale in _scratch)
        {
            Drop(stale);
        }

        _scratch.Clear();
        return delivered;
    }

    private void StartSynTiming(Tcb tcb)
    {
        tcb.Sampler.Clear();
        tcb.Sampler.OnSent(tcb.Iss, 1, Now);
    }

    /// <summary>
    /// Our SYN is acknowledged: ESTABLISHED. Active opens answer the connect; passive ones are announced to the
    /// listener. Text held from the peer's SYN is delivered then; returns true when some was (it needs an ACK).
    /// </summary>
    private bool Establish(Tcb tcb, in TcpRepr seg)
    {
        if (tcb.Sampler.OnAck(tcb.SndUna, seg.Acknowledgement, Now) is { } rtt)
        {
            tcb.Rto.Sample(rtt);
        }

        tcb.Sampler.Clear();
        tcb.SndUna = seg.Acknowledgement;
        if (SeqNum.Lt(tcb.SndNxt, tcb.SndUna))
        {
            tcb.SndNxt = tcb.SndUna;
        }

        SetSendWindow(tcb, PeerWindow(tcb, seg));
        tcb.SndWl1 = seg.Sequence;
        tcb.SndWl2 = seg.Acknowledgement;
        tcb.Backoffs = 0;
        tcb.RtoDeadline = null;
        tcb.State = TcpState.Established;
        if (tcb.ConnectReplyTo is { } waiter)
        {
            tcb.ConnectReplyTo = null;
            waiter.Tell(new InetProtocol.StreamConnected(tcb.ConnectReqId, Errno.None, tcb.Local, tcb.Remote), Self);
        }
        else if (tcb.Listener is { } listening && tcb.Socket is null)
        {
            if (!_listeners.TryGetValue(listening.Port, out var listener) || listener.Local != listening)
            {
                SendReset(tcb);
                Destroy(tcb, Errno.None);
                return false;
            }

            tcb.AwaitingAccept = true;
            listener.Socket.Tell(new InetProtocol.StreamIncoming(tcb.Id, tcb.Local, tcb.Remote), Self);
        }

        bool delivered = DeliverHeldData(tcb);
        if (tcb.FinQueued)
        {
            Output(tcb);
        }

        return delivered;
    }

    /// <summary>
    /// RFC 9293 3.10.7.4 fifth step for synchronized states, with RFC 6298 (RTT, timer), RFC 5681 / RFC 6582
    /// (new and duplicate ACKs) and the window update rule. Returns false when the segment must be dropped:
    /// RFC 5961 5.2 accepts SEG.ACK only in [SND.UNA − MAX.SND.WND, SND.MAX] (SND.MAX: what we ever sent, since
    /// a timeout moves SND.NXT back); outside it the segment, data included, is dropped and a challenge ACK sent.
    /// </summary>
    private bool ProcessAck(Tcb tcb, in TcpRepr seg, int payloadLength)
    {
        uint ack = seg.Acknowledgement;
        uint highest = tcb.ProbeOutstanding && tcb.SndNxt == tcb.SndMax ? tcb.SndMax + 1 : tcb.SndMax;
        if (SeqNum.Gt(ack, highest) || SeqNum.Lt(ack, tcb.SndUna - tcb.MaxSndWnd))
        {
            _acksDropped++;
            SendChallengeAck(tcb);
            return false;
        }

        if (SeqNum.Gt(ack, tcb.SndUna))
        {
            int acked = SeqNum.Diff(tcb.SndUna, ack);
            bool finAcked = tcb.FinSent && SeqNum.Gt(ack, tcb.FinSequence);
            if (tcb.Sampler.OnAck(tcb.SndUna, ack, Now) is { } rtt)
            {
                // RFC 6298 2.3, and the end of any back-off (a valid sample collapses it).
                tcb.Rto.Sample(rtt);
            }
            else if (tcb.Rto.Backoff > 0)
            {
                // New data acknowledged after a timeout, but no sample (Karn): the path delivers again, so the RTO
                // is the estimator's again (as lwIP does; RFC 6298 would keep the back-off until a sample). Under
                // heavy loss without timestamps samples are rare, and each timeout of a later segment would double
                // the RTO again until it sat at tens of seconds with the retry count at 0.
                tcb.Rto.ResetBackoff();
            }

            tcb.Progress.OnProgress(Now);

            tcb.SndUna = ack;
            if (SeqNum.Lt(tcb.SndNxt, ack))
            {
                tcb.SndNxt = ack;
            }

            if (SeqNum.Gt(ack, tcb.SndMax))
            {
                // The peer took a zero-window probe byte.
                tcb.SndMax = ack;
            }

            tcb.ProbeOutstanding = false;

            int dataAcked = acked - (finAcked ? 1 : 0);
            tcb.BytesAcked += dataAcked;
            _bytesAcked += dataAcked;
            ReleaseAcknowledged(tcb);
            tcb.Backoffs = 0;
            tcb.PersistShift = 0;

            // RFC 6298 5.2 / 5.3: stop the timer when everything is acknowledged, restart it otherwise.
            tcb.RtoDeadline = tcb.SndUna == tcb.SndMax ? null : Now + tcb.Rto.Rto;
            tcb.LossProbeSent = false;
            ArmLossProbe(tcb, restart: true);
            if (tcb.Congestion.OnNewAck(ack, acked))
            {
                RetransmitFirst(tcb);
            }

            UpdateWindow(tcb, seg, acknowledgesNewData: true);
            if (finAcked)
            {
                switch (tcb.State)
                {
                    case TcpState.FinWait1:
                        tcb.State = TcpState.FinWait2;
                        break;
                    case TcpState.Closing:
                        EnterTimeWait(tcb);
                        break;
                    case TcpState.LastAck:
                        Destroy(tcb, Errno.None);
                        break;
                }
            }

            return true;
        }

        if (ack == tcb.SndUna)
        {
            // RFC 5681 section 2 "duplicate acknowledgment": no data, no SYN/FIN, same window, data outstanding.
            bool duplicate = payloadLength == 0
                && (seg.Flags & (TcpFlags.Syn | TcpFlags.Fin)) == 0
                && PeerWindow(tcb, seg) == tcb.SndWnd
                && seg.Window != 0
                && tcb.SndMax != tcb.SndUna;
            if (duplicate)
            {
                int flight = SeqNum.Diff(tcb.SndUna, tcb.SndMax);
                bool canSendNew = SeqNum.Lt(tcb.SndNxt, tcb.SendEnd) && Math.Min(tcb.SndWnd, (long)tcb.Congestion.Cwnd) > tcb.FlightSize;
                int threshold = NewRenoCongestion.DuplicateThreshold(flight, tcb.Mss, canSendNew);
                if (tcb.Congestion.OnDuplicateAck(flight, tcb.SndMax, tcb.SndUna, threshold))
                {
                    _fastRetransmits++;
                    RetransmitFirst(tcb);
                }
                else if (tcb.Congestion.ResentSegmentLost(Now - tcb.ResentAt, tcb.Rto.Srtt))
                {
                    // The retransmission was lost too: resend it now rather than after an RTO.
                    _lostRetransmits++;
                    RetransmitFirst(tcb);
                }
                else
                {
                    // Recovery may have begun: the probe may come sooner (LossProbe).
                    ArmLossProbe(tcb, restart: false);
                }
            }

            UpdateWindow(tcb, seg, acknowledgesNewData: false);
        }

        return true;
    }

    private void UpdateWindow(Tcb tcb, in TcpRepr seg, bool acknowledgesNewData)
    {
        // RFC 9293 3.10.7.4: only a segment newer than the last window update may change the window. A segment
        // that acknowledges new data is newer whatever its sequence number (as Linux's tcp_may_update_window
        // has it): bare ACKs carry SND.MAX, so after a timeout the peer's resent data has lower sequence
        // numbers than its earlier ACKs, and SND.WL1 alone would ignore the windows it carries.
        if (acknowledgesNewData || SeqNum.Lt(tcb.SndWl1, seg.Sequence) || (tcb.SndWl1 == seg.Sequence && SeqNum.Le(tcb.SndWl2, seg.Acknowledgement)))
        {
            SetSendWindow(tcb, PeerWindow(tcb, seg));
            tcb.SndWl1 = seg.Sequence;
            tcb.SndWl2 = seg.Acknowledgement;
            if (tcb.SndWnd > 0)
            {
                if (tcb.PersistDeadline is not null)
                {
                    // A zero window opened: progress for the user timeout.
                    tcb.Progress.OnProgress(Now);
                }

                tcb.PersistDeadline = null;
                tcb.PersistShift = 0;
                tcb.ProbeOutstanding = false;
            }
        }
    }

    /// <summary>Pops every chunk whose bytes are all acknowledged: the retransmission reference goes (seed 000).</summary>
    private void ReleaseAcknowledged(Tcb tcb)
    {
        int done = 0;
        while (done < tcb.Chunks.Count && SeqNum.Le(tcb.Chunks[done].End, tcb.SndUna))
        {
            var chunk = tcb.Chunks[done];
            NodeOps.Release(_memory, _ts, chunk.Node);
            chunk.Node = default;
            done++;
        }

        if (done > 0)
        {
            tcb.Chunks.RemoveRange(0, done);
            NotifyReleased(tcb);
        }
    }

    /// <summary>
    /// Data of an acceptable segment: trimmed to [RCV.NXT, window edge) by <c>divide</c>, delivered when in
    /// order (then whatever the reassembly queue now continues), held when ahead. ACKs: immediate for
    /// out-of-order data and gap fills (RFC 5681 4.2), else at least every second segment or the delayed-ACK timer.
    /// </summary>
    private void ReceiveData(Tcb tcb, uint sequence, Capability payload, int length)
    {
        if (SeqNum.Lt(sequence, tcb.RcvNxt))
        {
            int cut = SeqNum.Diff(sequence, tcb.RcvNxt);
            if (cut >= length || !TryDropHead(ref payload, cut))
            {
                Drop(payload);
                SendAck(tcb);
                return;
            }

            sequence = tcb.RcvNxt;
            length -= cut;
        }

        int room = SeqNum.Diff(sequence, tcb.RcvAdvertisedEdge);
        if (room <= 0)
        {
            Drop(payload);
            SendAck(tcb);
            return;
        }

        if (length > room)
        {
            if (!TryDropTail(ref payload, room))
            {
                Drop(payload);
                return;
            }

            length = room;
        }

        if (tcb.RcvUnread + tcb.OutOfOrder.Bytes + length > tcb.ReceiveBuffer + (1 << tcb.RcvWndShift))
        {
            // More than the buffer holds (the window's edge may pass it by less than 2^shift bytes when rounding
            // keeps it from moving left, RFC 7323 2.4): drop and count, as Linux drops beyond sk_rcvbuf. The sender
            // resends it once the app has read.
            Drop(payload);
            _receiveMemoryDrops++;
            SendAck(tcb);
            return;
        }

        if (sequence != tcb.RcvNxt)
        {
            if (ReceiveMemory.UnderPressure(_memory.FreePagesHint, _memory.TotalPages))
            {
                // The arena is short: holding data ahead of a hole could leave no RX buffer for the segment that
                // fills it. Drop it (the sender resends it) and prune what is held, furthest ahead first.
                Drop(payload);
                _receiveMemoryDrops++;
                PruneOutOfOrder(tcb);
                SendAck(tcb);
                return;
            }

            if (tcb.OutOfOrder.TryAdd(sequence, length, payload))
            {
                _outOfOrderQueued++;
            }
            else
            {
                Drop(payload);
            }

            SendAck(tcb);
            return;
        }

        Deliver(tcb, payload, length);
        tcb.RcvNxt += (uint)length;
        bool filled = DeliverHeldData(tcb);
        tcb.UnackedSegments++;
        if (filled || tcb.OutOfOrder.Count > 0 || tcb.UnackedSegments >= 2)
        {
            SendAck(tcb);
        }
        else
        {
            tcb.DelayedAckDeadline ??= Now + _options.DelayedAck;
        }
    }

    /// <summary>Drops held out-of-order segments, furthest ahead first, until the arena is no longer short.</summary>
    private void PruneOutOfOrder(Tcb tcb)
    {
        while (ReceiveMemory.UnderPressure(_memory.FreePagesHint, _memory.TotalPages) && tcb.OutOfOrder.TryTakeLast(out var held))
        {
            Drop(held);
            _receiveMemoryDrops++;
        }
    }

    private bool TryDropHead(ref Capability payload, int cut)
    {
        var divided = _memory.Divide(_ts, payload, cut);
        if (!divided.IsOk)
        {
            return false;
        }

        Drop(divided.Value.Head);
        payload = divided.Value.Tail;
        return true;
    }

    private bool TryDropTail(ref Capability payload, int keep)
    {
        var divided = _memory.Divide(_ts, payload, keep);
        if (!divided.IsOk)
        {
            return false;
        }

        Drop(divided.Value.Tail);
        payload = divided.Value.Head;
        return true;
    }

    private void Deliver(Tcb tcb, Capability node, int length)
    {
        tcb.RcvUnread += length;
        _bytesDelivered += length;
        if (tcb.Socket is null || tcb.AwaitingAccept)
        {
            tcb.Undelivered.Enqueue((node, length));
            return;
        }

        ShareToSocket(tcb, node, length);
    }

    private void ShareToSocket(Tcb tcb, Capability node, int length)
    {
        var shared = NodeOps.ShareWhole(_memory, _ts, node, tcb.SocketTs, "tcp-data", SocketDataRights);
        Drop(node);
        if (!shared.IsOk)
        {
            // The socket's TS is gone (closed under us): the bytes have nowhere to go.
            tcb.RcvUnread = Math.Max(0, tcb.RcvUnread - length);
            return;
        }

        tcb.Socket!.Tell(new InetProtocol.DatagramReceivedEvent(shared.Value, length, tcb.Remote, tcb.Local), Self);
    }

    private void OnFin(Tcb tcb)
    {
        tcb.FinReceived = true;
        tcb.RcvNxt += 1;
        SendAck(tcb);
        if (tcb.Socket is { } socket && !tcb.AwaitingAccept)
        {
            socket.Tell(new InetProtocol.StreamEofEvent(tcb.Local, tcb.Remote), Self);
        }

        switch (tcb.State)
        {
            case TcpState.SynReceived:
            case TcpState.Established:
                tcb.State = TcpState.CloseWait;
                break;
            case TcpState.FinWait1:
                // Our FIN is not acknowledged yet (else we would be in FIN-WAIT-2): simultaneous close.
                tcb.State = TcpState.Closing;
                break;
            case TcpState.FinWait2:
                EnterTimeWait(tcb);
                break;
        }
    }

    private void EnterTimeWait(Tcb tcb)
    {
        tcb.State = TcpState.TimeWait;
        tcb.RtoDeadline = null;
        tcb.ProbeTimeoutDeadline = null;
        tcb.PersistDeadline = null;
        tcb.DelayedAckDeadline = null;
        tcb.TimeWaitDeadline = Now + _options.TimeWait;
        ReleaseAcknowledged(tcb);
    }

    // ---- timers ---------------------------------------------------------------------------------

    private void OnTick()
    {
        // Quiesced: the stack is stopping and the layers below may already have released their queues, so no
        // timer may send anything more (a loss probe or a retransmission then would be left in the driver).
        if (_byId.Count == 0 || _quiesced)
        {
            Timers.Cancel(TickKey);
            _ticking = false;
            return;
        }

        var now = Now;
        _tickList.Clear();
        _tickList.AddRange(_byId.Values);
        foreach (var tcb in _tickList)
        {
            if (tcb.State == TcpState.Closed)
            {
                continue;
            }

            if (tcb.TimeWaitDeadline is { } linger && linger <= now)
            {
                Destroy(tcb, Errno.None);
                continue;
            }

            if (tcb.PayloadRevoked)
            {
                // The bytes queued for the peer are gone with their TS: tell the peer the stream is cut.
                _revokedAborts++;
                SendReset(tcb);
                Destroy(tcb, Errno.ECONNABORTED);
                continue;
            }

            // RFC 5482: data waiting on the peer (in flight, or held by its zero window) that long without progress.
            bool waiting = tcb.IsSynchronized && tcb.State != TcpState.TimeWait
                && (tcb.SndUna != tcb.SndMax || (tcb.SndWnd == 0 && SeqNum.Lt(tcb.SndNxt, tcb.SendEnd)));
            tcb.Progress.Update(waiting, now);
            if (tcb.Progress.Expired(now, _options.UserTimeout))
            {
                _userTimeouts++;
                SendReset(tcb);
                Destroy(tcb, Errno.ETIMEDOUT);
                continue;
            }

            if (tcb.DelayedAckDeadline is { } delayed && delayed <= now)
            {
                SendAck(tcb);
            }

            if (tcb.ProbeTimeoutDeadline is { } probe && probe <= now && tcb.State != TcpState.Closed)
            {
                SendLossProbe(tcb);
            }

            if (tcb.RtoDeadline is { } rto && rto <= now)
            {
                OnRetransmissionTimeout(tcb);
                if (tcb.State == TcpState.Closed)
                {
                    continue;
                }
            }

            if (tcb.PersistDeadline is { } persist && persist <= now)
            {
                tcb.PersistDeadline = null;
                if (tcb.SndWnd == 0 && SeqNum.Lt(tcb.SndNxt, tcb.SendEnd))
                {
                    SendZeroWindowProbe(tcb);
                    tcb.PersistShift++;
                    tcb.PersistDeadline = now + PersistInterval(tcb);
                }
                else if (tcb.SndWnd > 0 && tcb.FlightSize == 0 && SeqNum.Lt(tcb.SndNxt, tcb.SendEnd))
                {
                    // RFC 9293 3.8.6.2.1 override timeout: the small window did not grow; send what it allows.
                    tcb.SwsOverride = true;
                    Output(tcb);
                    tcb.SwsOverride = false;
                }
            }
        }

        _tickList.Clear();
    }

    /// <summary>RFC 6298 5.4-5.7 and RFC 5681 (4): retransmit the earliest unacknowledged segment, back off, go back to slow start.</summary>
    private void OnRetransmissionTimeout(Tcb tcb)
    {
        tcb.RtoDeadline = null;
        tcb.ProbeTimeoutDeadline = null;

        // The resend below gets one loss probe of its own (SendLossProbe): if it is lost too, it goes again after
        // about two round trips instead of after the doubled RTO.
        tcb.LossProbeSent = false;
        _timeouts++;
        bool handshake = tcb.State is TcpState.SynSent or TcpState.SynReceived;
        tcb.Backoffs++;
        if (tcb.Backoffs > (handshake ? _options.MaxSynRetransmits : _options.MaxRetransmits))
        {
            if (!handshake)
            {
                SendReset(tcb);
            }

            Destroy(tcb, Errno.ETIMEDOUT);
            return;
        }

        tcb.Rto.BackOff();
        if (handshake)
        {
            SendSyn(tcb, ack: tcb.State == TcpState.SynReceived);
            CountRetransmit(tcb, tcb.Iss, tcb.Iss + 1);
            return;
        }

        if (tcb.SndUna == tcb.SndMax)
        {
            return;
        }

        // RFC 5681 3.1: ssthresh is set by the first timeout of a segment and held for its later ones.
        tcb.Congestion.OnRetransmissionTimeout(SeqNum.Diff(tcb.SndUna, tcb.SndMax), tcb.SndMax, firstTimeout: tcb.Backoffs == 1);
        tcb.Sampler.OnTimeout();
        tcb.SndNxt = tcb.SndUna;
        Output(tcb);
        ArmRto(tcb);
    }

    private void Drop(Capability node) => NodeOps.Release(_memory, _ts, node);
}
