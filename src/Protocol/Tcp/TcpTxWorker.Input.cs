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

    /// <summary>RFC 9293 3.10.7.2, LISTEN: a SYN opens a TCB in SYN-RECEIVED; an ACK is reset; a RST is ignored.</summary>
    private void OnListenSegment(Listener listener, Ipv4Endpoint local, Ipv4Endpoint remote, TcpProtocol.SegmentReceivedEvent segment)
    {
        var seg = segment.Header;

        // Data on a SYN is not kept here: the peer retransmits it once the connection is open.
        Drop(segment.Payload);
        if ((seg.Flags & TcpFlags.Rst) != 0)
        {
            return;
        }

        if ((seg.Flags & TcpFlags.Ack) != 0 || (seg.Flags & TcpFlags.Syn) == 0)
        {
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
            return;
        }

        var tcb = NewTcb(local, remote);
        tcb.Listener = listener.Local;
        tcb.Irs = seg.Sequence;
        tcb.RcvNxt = seg.Sequence + 1;
        tcb.RcvAdvertisedEdge = tcb.RcvNxt;
        TakePeerMss(tcb, seg);
        tcb.SndWnd = seg.Window;
        tcb.SndWl1 = seg.Sequence;
        tcb.SndWl2 = tcb.Iss;
        tcb.State = TcpState.SynReceived;
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

        if (tcb.State == TcpState.SynReceived && (seg.Flags & (TcpFlags.Syn | TcpFlags.Ack | TcpFlags.Rst)) == TcpFlags.Syn && seg.Sequence == tcb.Irs)
        {
            // The peer did not get our SYN-ACK and sent its SYN again.
            Drop(segment.Payload);
            SendSyn(tcb, ack: true);
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
            if (window == 0 && (seg.Flags & (TcpFlags.Ack | TcpFlags.Rst | TcpFlags.Syn)) == TcpFlags.Ack && tcb.IsSynchronized)
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

            if ((seg.Flags & TcpFlags.Rst) == 0)
            {
                // A zero-window probe, an old duplicate or a retransmitted FIN in TIME-WAIT: answer with where we are.
                SendAck(tcb);
                if (tcb.State == TcpState.TimeWait && (seg.Flags & TcpFlags.Fin) != 0)
                {
                    tcb.TimeWaitDeadline = Now + _options.TimeWait;
                }
            }

            return;
        }

        // Second: RST.
        if ((seg.Flags & TcpFlags.Rst) != 0)
        {
            Drop(segment.Payload);
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

        // Fourth: a SYN in a synchronized state gets a challenge ACK (RFC 5961 4.2, adopted by RFC 9293).
        if ((seg.Flags & TcpFlags.Syn) != 0)
        {
            Drop(segment.Payload);
            SendAck(tcb);
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

            Establish(tcb, seg);
            if (tcb.State == TcpState.Closed)
            {
                Drop(segment.Payload);
                return;
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

    /// <summary>RFC 9293 3.10.7.3, SYN-SENT.</summary>
    private void OnSynSentSegment(Tcb tcb, TcpProtocol.SegmentReceivedEvent segment)
    {
        var seg = segment.Header;
        Drop(segment.Payload);
        bool hasAck = (seg.Flags & TcpFlags.Ack) != 0;
        if (hasAck && (SeqNum.Le(seg.Acknowledgement, tcb.Iss) || SeqNum.Gt(seg.Acknowledgement, tcb.SndMax)))
        {
            SendResetFor(segment);
            return;
        }

        if ((seg.Flags & TcpFlags.Rst) != 0)
        {
            if (hasAck)
            {
                _resetsReceived++;
                Destroy(tcb, Errno.ECONNREFUSED);
            }

            return;
        }

        if ((seg.Flags & TcpFlags.Syn) == 0)
        {
            return;
        }

        tcb.Irs = seg.Sequence;
        tcb.RcvNxt = seg.Sequence + 1;
        tcb.RcvAdvertisedEdge = tcb.RcvNxt;
        TakePeerMss(tcb, seg);
        if (hasAck)
        {
            Establish(tcb, seg);
            SendAck(tcb);
            Output(tcb);
            return;
        }

        // Simultaneous open (RFC 9293 figure 8): SYN-RECEIVED, answer SYN-ACK.
        tcb.SndWnd = seg.Window;
        tcb.SndWl1 = seg.Sequence;
        tcb.SndWl2 = tcb.Iss;
        tcb.State = TcpState.SynReceived;
        SendSyn(tcb, ack: true);
    }

    private void TakePeerMss(Tcb tcb, in TcpRepr seg)
    {
        int peer = seg.MaxSegmentSize != 0 ? seg.MaxSegmentSize : TcpRepr.DefaultMss;
        tcb.Mss = Math.Min(_options.Mss, peer);
        tcb.Congestion.SetSmss(tcb.Mss);
    }

    private void StartSynTiming(Tcb tcb)
    {
        tcb.Timing = true;
        tcb.TimedSequence = tcb.Iss + 1;
        tcb.TimedAt = Now;
    }

    /// <summary>Our SYN is acknowledged: ESTABLISHED. Active opens answer the connect; passive ones are announced to the listener.</summary>
    private void Establish(Tcb tcb, in TcpRepr seg)
    {
        if (tcb.Timing && SeqNum.Ge(seg.Acknowledgement, tcb.TimedSequence))
        {
            tcb.Rto.Sample(Now - tcb.TimedAt);
        }

        tcb.Timing = false;
        tcb.SndUna = seg.Acknowledgement;
        if (SeqNum.Lt(tcb.SndNxt, tcb.SndUna))
        {
            tcb.SndNxt = tcb.SndUna;
        }

        tcb.SndWnd = seg.Window;
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
                return;
            }

            tcb.AwaitingAccept = true;
            listener.Socket.Tell(new InetProtocol.StreamIncoming(tcb.Id, tcb.Local, tcb.Remote), Self);
        }

        if (tcb.FinQueued)
        {
            Output(tcb);
        }
    }

    /// <summary>
    /// RFC 9293 3.10.7.4 fifth step for synchronized states, with RFC 6298 (RTT, timer), RFC 5681 / RFC 6582
    /// (new and duplicate ACKs) and the window update rule. Returns false when the segment must be dropped
    /// (it acknowledges something not yet sent; an ACK was sent in answer).
    /// </summary>
    private bool ProcessAck(Tcb tcb, in TcpRepr seg, int payloadLength)
    {
        uint ack = seg.Acknowledgement;
        uint highest = tcb.ProbeOutstanding && tcb.SndNxt == tcb.SndMax ? tcb.SndMax + 1 : tcb.SndMax;
        if (SeqNum.Gt(ack, highest))
        {
            SendAck(tcb);
            return false;
        }

        if (SeqNum.Gt(ack, tcb.SndUna))
        {
            int acked = SeqNum.Diff(tcb.SndUna, ack);
            bool finAcked = tcb.FinSent && SeqNum.Gt(ack, tcb.FinSequence);
            if (tcb.Timing && SeqNum.Ge(ack, tcb.TimedSequence))
            {
                tcb.Rto.Sample(Now - tcb.TimedAt);
                tcb.Timing = false;
            }

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
            if (tcb.Congestion.OnNewAck(ack, acked))
            {
                RetransmitFirst(tcb);
            }

            UpdateWindow(tcb, seg);
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
                && seg.Window == tcb.SndWnd
                && seg.Window != 0
                && tcb.SndMax != tcb.SndUna;
            if (duplicate)
            {
                if (tcb.Congestion.OnDuplicateAck(SeqNum.Diff(tcb.SndUna, tcb.SndMax), tcb.SndMax, tcb.SndUna))
                {
                    _fastRetransmits++;
                    RetransmitFirst(tcb);
                }
            }

            UpdateWindow(tcb, seg);
        }

        return true;
    }

    private static void UpdateWindow(Tcb tcb, in TcpRepr seg)
    {
        // RFC 9293 3.10.7.4: only a segment newer than the last window update may change the window.
        if (SeqNum.Lt(tcb.SndWl1, seg.Sequence) || (tcb.SndWl1 == seg.Sequence && SeqNum.Le(tcb.SndWl2, seg.Acknowledgement)))
        {
            tcb.SndWnd = seg.Window;
            tcb.SndWl1 = seg.Sequence;
            tcb.SndWl2 = seg.Acknowledgement;
            if (tcb.SndWnd > 0)
            {
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

        if (sequence != tcb.RcvNxt)
        {
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
        bool filled = false;
        _scratch.Clear();
        while (tcb.OutOfOrder.TryTakeNext(tcb.RcvNxt, out _, out int heldLength, out Capability held, _scratch))
        {
            Deliver(tcb, held, heldLength);
            tcb.RcvNxt += (uint)heldLength;
            filled = true;
        }

        foreach (var stale in _scratch)
        {
            Drop(stale);
        }

        _scratch.Clear();
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
        tcb.PersistDeadline = null;
        tcb.DelayedAckDeadline = null;
        tcb.TimeWaitDeadline = Now + _options.TimeWait;
        ReleaseAcknowledged(tcb);
    }

    // ---- timers ---------------------------------------------------------------------------------

    private void OnTick()
    {
        if (_byId.Count == 0)
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

            if (tcb.DelayedAckDeadline is { } delayed && delayed <= now)
            {
                SendAck(tcb);
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
            }
        }

        _tickList.Clear();
    }

    /// <summary>RFC 6298 5.4-5.7 and RFC 5681 (4): retransmit the earliest unacknowledged segment, back off, go back to slow start.</summary>
    private void OnRetransmissionTimeout(Tcb tcb)
    {
        tcb.RtoDeadline = null;
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
            CountRetransmit(tcb);
            return;
        }

        if (tcb.SndUna == tcb.SndMax)
        {
            return;
        }

        tcb.Congestion.OnRetransmissionTimeout(SeqNum.Diff(tcb.SndUna, tcb.SndMax), tcb.SndMax);
        tcb.SndNxt = tcb.SndUna;
        Output(tcb);
        ArmRto(tcb);
    }

    private void Drop(Capability node) => NodeOps.Release(_memory, _ts, node);
}
