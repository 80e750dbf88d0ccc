namespace Edsos.Protocol.Tcp;

/// <summary>
/// RTT measurement without timestamps, one record per segment of new data (Linux's tcp_clean_rtx_queue rule):
/// an ACK that newly acknowledges only segments sent once gives a sample, the time since the earliest of them
/// was sent; an ACK that covers any segment sent more than once gives none (Karn's rule, RFC 6298 3). Timing one
/// segment per round trip instead, and dropping the measurement at any retransmission, leaves a lossy connection
/// with almost no samples, so a backed-off RTO is never collapsed again (RFC 6298 5 note) and ratchets up.
/// The records acknowledged must cover the acknowledged range without a gap: bytes sent without a record (part
/// of a go-back-N resend beyond SND.MAX) may have been lost and resent, and the ACK would then carry the time
/// spent repairing them. Pure: sequence numbers and times in, samples out. Records are kept in sequence order.
/// </summary>
public sealed class RttSampler
{
    private readonly List<Record> _records = new();
    private int _head;

    /// <summary>Segments being timed.</summary>
    public int Count => _records.Count - _head;

    /// <summary>The first transmission of [<paramref name="start"/>, +<paramref name="length"/>) at <paramref name="at"/>.</summary>
    public void OnSent(uint start, int length, DateTimeOffset at)
    {
        if (length <= 0)
        {
            return;
        }

        if (Count > 0 && SeqNum.Lt(start, _records[^1].End))
        {
            // Not beyond what is timed already: it is a resend, whatever the caller thought.
            OnRetransmitted(start, start + (uint)length);
            return;
        }

        _records.Add(new Record(start, start + (uint)length, at, false));
    }

    /// <summary>[<paramref name="start"/>, <paramref name="end"/>) went out again: no ACK covering any of it may give a sample.</summary>
    public void OnRetransmitted(uint start, uint end)
    {
        for (int i = _head; i < _records.Count; i++)
        {
            var record = _records[i];
            if (!SeqNum.Lt(record.Start, end))
            {
                break;
            }

            if (SeqNum.Gt(record.End, start))
            {
                _records[i] = record with { Retransmitted = true };
            }
        }
    }

    /// <summary>The retransmission timer fired: everything outstanding will be resent (go-back-N), so none of it may be sampled.</summary>
    public void OnTimeout()
    {
        for (int i = _head; i < _records.Count; i++)
        {
            _records[i] = _records[i] with { Retransmitted = true };
        }
    }

    /// <summary>
    /// SND.UNA moved from <paramref name="una"/> to <paramref name="ack"/> at <paramref name="now"/>: forgets every segment
    /// wholly acknowledged and returns the RTT sample they give, the time since the earliest of them was sent; null when
    /// none was wholly acknowledged, one of them was sent more than once, or part of [una, ack) had no record.
    /// </summary>
    public TimeSpan? OnAck(uint una, uint ack, DateTimeOffset now)
    {
        DateTimeOffset? earliest = null;
        bool ambiguous = false;
        uint expected = una;
        while (_head < _records.Count && SeqNum.Le(_records[_head].End, ack))
        {
            var record = _records[_head++];
            ambiguous |= record.Retransmitted || SeqNum.Gt(record.Start, expected);
            if (SeqNum.Gt(record.End, expected))
            {
                expected = record.End;
            }

            earliest ??= record.SentAt;
        }

        // What is left of [una, ack) must be the head of a record still partly unacknowledged.
        uint next = _head < _records.Count ? _records[_head].Start : ack;
        ambiguous |= SeqNum.Lt(expected, ack) && SeqNum.Gt(next, expected);
        Compact();
        if (earliest is not { } sent || ambiguous)
        {
            return null;
        }

        var rtt = now - sent;
        return rtt < TimeSpan.Zero ? TimeSpan.Zero : rtt;
    }

    /// <summary>Forgets everything (the connection closed, or the handshake restarts timing).</summary>
    public void Clear()
    {
        _records.Clear();
        _head = 0;
    }

    private void Compact()
    {
        if (_head == _records.Count)
        {
            _records.Clear();
            _head = 0;
        }
        else if (_head > 64 && _head * 2 > _records.Count)
        {
            _records.RemoveRange(0, _head);
            _head = 0;
        }
    }

    private readonly record struct Record(uint Start, uint End, DateTimeOffset SentAt, bool Retransmitted);
}
