using Edsos.Memory;
using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Tcp.Core;

/// <summary>ACK processing (RFC 5681, RFC 6298, RFC 5961 5.2), the window update rule, in-order delivery and reassembly, FIN.</summary>
public sealed partial class TcpConnection
{
    /// <summary>
    /// RFC 9293 3.10.7.4 fifth step for synchronized states, with RFC 6298 (RTT, timer), RFC 5681 / RFC 6582
    /// (new and duplicate ACKs) and the window update rule. Returns false when the segment must be dropped:
    /// RFC 5961 5.2 accepts SEG.ACK only in [SND.UNA − MAX.SND.WND, SND.MAX] (SND.MAX: what we ever sent, since
    /// a timeout moves SND.NXT back); outside it the segment, data included, is dropped and a challenge ACK sent.
    /// </summary>
    private bool ProcessAck(in TcpRepr seg, int payloadLength)
    {
        uint ack = seg.Acknowledgement;
        uint highest = ProbeOutstanding && SndNxt == SndMax ? SndMax + 1 : SndMax;
        if (SeqNum.Gt(ack, highest) || SeqNum.Lt(ack, SndUna - MaxSndWnd))
        {
            _stats.AcksDropped++;
            SendChallengeAck();
            return false;
        }

        if (SeqNum.Gt(ack, SndUna))
        {
            int acked = SeqNum.Diff(SndUna, ack);
            bool finAcked = FinSent && SeqNum.Gt(ack, FinSequence);
            if (_sampler.OnAck(SndUna, ack, _now) is { } rtt)
            {
                // RFC 6298 2.3, and the end of any back-off (a valid sample collapses it).
                Rto.Sample(rtt);
            }
            else if (Rto.Backoff > 0)
            {
                // New data acknowledged after a timeout, but no sample (Karn): the path delivers again, so the RTO
                // is the estimator's again (as lwIP does; RFC 6298 would keep the back-off until a sample). Under
                // heavy loss without timestamps samples are rare, and each timeout of a later segment would double
                // the RTO again until it sat at tens of seconds with the retry count at 0.
                Rto.ResetBackoff();
            }

            _progress.OnProgress(_now);

            SndUna = ack;
            if (SeqNum.Lt(SndNxt, ack))
            {
                SndNxt = ack;
            }

            if (SeqNum.Gt(ack, SndMax))
            {
                // The peer took a zero-window probe byte.
                SndMax = ack;
            }

            ProbeOutstanding = false;

            int dataAcked = acked - (finAcked ? 1 : 0);
            BytesAcked += dataAcked;
            _stats.BytesAcked += dataAcked;
            ReleaseAcknowledged();
            Backoffs = 0;
            PersistShift = 0;

            // RFC 6298 5.2 / 5.3: stop the timer when everything is acknowledged, restart it otherwise.
            RtoDeadline = SndUna == SndMax ? null : _now + Rto.Rto;
            LossProbeSent = false;
            ArmLossProbe(restart: true);
            if (Congestion.OnNewAck(ack, acked))
            {
                RetransmitFirst();
            }

            UpdateWindow(seg, acknowledgesNewData: true);
            if (finAcked)
            {
                switch (State)
                {
                    case TcpState.FinWait1:
                        State = TcpState.FinWait2;
                        break;
                    case TcpState.Closing:
                        EnterTimeWait();
                        break;
                    case TcpState.LastAck:
                        Destroy(Errno.None);
                        break;
                }
            }

            return true;
        }

        if (ack == SndUna)
        {
            // RFC 5681 section 2 "duplicate acknowledgment": no data, no SYN/FIN, same window, data outstanding.
            bool duplicate = payloadLength == 0
                && (seg.Flags & (TcpFlags.Syn | TcpFlags.Fin)) == 0
                && PeerWindow(seg) == SndWnd
                && seg.Window != 0
                && SndMax != SndUna;
            if (duplicate)
            {
                int flight = SeqNum.Diff(SndUna, SndMax);
                bool canSendNew = SeqNum.Lt(SndNxt, SendEnd) && Math.Min(SndWnd, (long)Congestion.Cwnd) > FlightSize;
                int threshold = NewRenoCongestion.DuplicateThreshold(flight, Mss, canSendNew);
                if (Congestion.OnDuplicateAck(flight, SndMax, SndUna, threshold))
                {
                    _stats.FastRetransmits++;
                    RetransmitFirst();
                }
                else if (Congestion.ResentSegmentLost(_now - ResentAt, Rto.Srtt))
                {
                    // The retransmission was lost too: resend it now rather than after an RTO.
                    _stats.LostRetransmits++;
                    RetransmitFirst();
                }
                else
                {
                    // Recovery may have begun: the probe may come sooner (LossProbe).
                    ArmLossProbe(restart: false);
                }
            }

            UpdateWindow(seg, acknowledgesNewData: false);
        }

        return true;
    }

    private void UpdateWindow(in TcpRepr seg, bool acknowledgesNewData)
    {
        // RFC 9293 3.10.7.4: only a segment newer than the last window update may change the window. A segment
        // that acknowledges new data is newer whatever its sequence number (as Linux's tcp_may_update_window
        // has it): bare ACKs carry SND.MAX, so after a timeout the peer's resent data has lower sequence
        // numbers than its earlier ACKs, and SND.WL1 alone would ignore the windows it carries.
        if (acknowledgesNewData || SeqNum.Lt(SndWl1, seg.Sequence) || (SndWl1 == seg.Sequence && SeqNum.Le(SndWl2, seg.Acknowledgement)))
        {
            SetSendWindow(PeerWindow(seg));
            SndWl1 = seg.Sequence;
            SndWl2 = seg.Acknowledgement;
            if (SndWnd > 0)
            {
                if (PersistDeadline is not null)
                {
                    // A zero window opened: progress for the user timeout.
                    _progress.OnProgress(_now);
                }

                PersistDeadline = null;
                PersistShift = 0;
                ProbeOutstanding = false;
            }
        }
    }

    /// <summary>Pops every chunk whose bytes are all acknowledged: the retransmission reference goes (seed 000).</summary>
    private void ReleaseAcknowledged()
    {
        int done = 0;
        while (done < _chunks.Count && SeqNum.Le(_chunks[done].End, SndUna))
        {
            var chunk = _chunks[done];
            Release(chunk.Node);
            chunk.Node = default;
            chunk.Next = null;
            done++;
        }

        if (done > 0)
        {
            _chunks.RemoveRange(0, done);
            _host.ChunksReleased(this);
        }
    }

    /// <summary>
    /// Data of an acceptable segment: trimmed to [RCV.NXT, window edge) by <c>divide</c>, delivered when in
    /// order (then whatever the reassembly queue now continues), held when ahead. ACKs: immediate for
    /// out-of-order data and gap fills (RFC 5681 4.2), else at least every second segment or the delayed-ACK timer. A
    /// dropped payload is released before the ACK that answers it: with the arena short, that ACK's header needs the page.
    /// </summary>
    private void ReceiveData(uint sequence, Capability payload, int length)
    {
        using var held = _memory.Own(_ts, ref payload);
        if (SeqNum.Lt(sequence, RcvNxt))
        {
            int cut = SeqNum.Diff(sequence, RcvNxt);
            if (cut >= length || !TryDropHead(ref payload, cut))
            {
                held.Dispose();
                SendAck();
                return;
            }

            sequence = RcvNxt;
            length -= cut;
        }

        int room = SeqNum.Diff(sequence, RcvAdvertisedEdge);
        if (room <= 0)
        {
            held.Dispose();
            SendAck();
            return;
        }

        if (length > room)
        {
            if (!TryDropTail(ref payload, room))
            {
                return;
            }

            length = room;
        }

        if (RcvUnread + _outOfOrder.Bytes + length > ReceiveBuffer + (1 << RcvWndShift))
        {
            // More than the buffer holds (the window's edge may pass it by less than 2^shift bytes when rounding
            // keeps it from moving left, RFC 7323 2.4): drop and count, as Linux drops beyond sk_rcvbuf. The sender
            // resends it once the app has read.
            held.Dispose();
            _stats.ReceiveMemoryDrops++;
            SendAck();
            return;
        }

        if (sequence != RcvNxt)
        {
            if (ReceiveMemory.UnderPressure(_memory.FreePagesHint, _memory.TotalPages))
            {
                // The arena is short: holding data ahead of a hole could leave no RX buffer for the segment that
                // fills it. Drop it (the sender resends it) and prune what is held, furthest ahead first.
                held.Dispose();
                _stats.ReceiveMemoryDrops++;
                PruneOutOfOrder();
                SendAck();
                return;
            }

            if (_outOfOrder.TryAdd(sequence, length, payload))
            {
                // The queue owns it now.
                held.Transfer();
                _stats.OutOfOrderQueued++;
            }
            else
            {
                held.Dispose();
            }

            SendAck();
            return;
        }

        Deliver(held.Transfer(), length);
        RcvNxt += (uint)length;
        bool filled = DeliverHeldData();

        // A segment longer than one MSS is several full-sized segments joined by receive offload (TcpCoalescing):
        // RFC 5681 4.2's "at least every second full-sized segment" then asks for the ACK now.
        UnackedSegments += length > Mss ? 2 : 1;
        if (filled || _outOfOrder.Count > 0 || UnackedSegments >= 2)
        {
            SendAck();
        }
        else
        {
            DelayedAckDeadline ??= _now + _options.DelayedAck;
        }
    }

    /// <summary>Drops held out-of-order segments, furthest ahead first, until the arena is no longer short.</summary>
    private void PruneOutOfOrder()
    {
        while (ReceiveMemory.UnderPressure(_memory.FreePagesHint, _memory.TotalPages) && _outOfOrder.TryTakeLast(out var held))
        {
            Release(held);
            _stats.ReceiveMemoryDrops++;
        }
    }

    private bool TryDropHead(ref Capability payload, int cut)
    {
        var divided = _memory.Divide(_ts, payload, cut);
        if (!divided.IsOk)
        {
            return false;
        }

        Release(divided.Value.Head);
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

        Release(divided.Value.Tail);
        payload = divided.Value.Head;
        return true;
    }

    /// <summary>In-order bytes to the host (ownership of <paramref name="node"/> moves with them).</summary>
    private void Deliver(Capability node, int length)
    {
        RcvUnread += length;
        _stats.BytesDelivered += length;
        if (!_host.Deliver(this, node, length))
        {
            // The reader's TS is gone (closed under us): the bytes have nowhere to go.
            RcvUnread = Math.Max(0, RcvUnread - length);
        }
    }

    private void OnFin()
    {
        FinReceived = true;
        RcvNxt += 1;
        SendAck();
        _host.EndOfStream(this);

        switch (State)
        {
            case TcpState.SynReceived:
            case TcpState.Established:
                State = TcpState.CloseWait;
                break;
            case TcpState.FinWait1:
                // Our FIN is not acknowledged yet (else we would be in FIN-WAIT-2): simultaneous close.
                State = TcpState.Closing;
                break;
            case TcpState.FinWait2:
                EnterTimeWait();
                break;
        }
    }

    private void EnterTimeWait()
    {
        State = TcpState.TimeWait;
        RtoDeadline = null;
        ProbeTimeoutDeadline = null;
        PersistDeadline = null;
        DelayedAckDeadline = null;
        TimeWaitDeadline = _now + _options.TimeWait;
        ReleaseAcknowledged();
    }

}
