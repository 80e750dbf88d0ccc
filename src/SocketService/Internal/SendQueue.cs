namespace Edsos.SocketService.Internal;

/// <summary>
/// A socket's send queue (<c>send_q</c>) as plain bookkeeping, shared by datagram and stream sockets: the sends in
/// flight to the transmit worker by transmit id, the sends parked on SO_SNDBUF in FIFO order, the payload bytes they
/// hold, and the count of completed sends. It holds capabilities but never releases one: whoever takes an entry out
/// (<see cref="TryComplete"/>, <see cref="TryTakeParked"/>, the drains) owns its node from then on.
/// </summary>
internal sealed class SendQueue
{
    private readonly Dictionary<ulong, InFlightSend> _inFlight = new();
    private readonly Queue<ParkedSend> _parked = new();
    private ulong _xmitSeq;

    /// <summary>Creates an empty queue bounded by <paramref name="capacity"/> payload bytes (SO_SNDBUF).</summary>
    public SendQueue(int capacity)
    {
        Capacity = capacity;
    }

    /// <summary>SO_SNDBUF in payload bytes (taken as given: Linux doubles it for its skb overhead, here only payload counts).</summary>
    public int Capacity { get; set; }

    /// <summary>Payload bytes of the sends in flight (parked sends do not count: they hold nothing of the worker's).</summary>
    public int QueuedBytes { get; private set; }

    /// <summary>Sends handed to the transmit worker and not yet completed.</summary>
    public int InFlightCount => _inFlight.Count;

    /// <summary>Blocking sends waiting for room.</summary>
    public int ParkedCount => _parked.Count;

    /// <summary>Sends completed without an error.</summary>
    public long Sent { get; private set; }

    /// <summary>
    /// Room for <paramref name="length"/> more bytes. A send larger than the whole buffer still goes when nothing is in
    /// flight; otherwise it could never be sent (Linux likewise only waits while the queue is full).
    /// </summary>
    public bool HasRoom(int length) => QueuedBytes == 0 || (long)QueuedBytes + length <= Capacity;

    /// <summary>A send of <paramref name="length"/> bytes must wait: one is parked before it (FIFO), or there is no room.</summary>
    public bool MustWait(int length) => _parked.Count > 0 || !HasRoom(length);

    /// <summary>Parks a blocking send behind the others.</summary>
    public void Park(in ParkedSend send) => _parked.Enqueue(send);

    /// <summary>Takes the oldest parked send if there is room for it now; false when none or no room.</summary>
    public bool TryTakeParked(out ParkedSend send)
    {
        if (_parked.Count > 0 && HasRoom(_parked.Peek().Length))
        {
            send = _parked.Dequeue();
            return true;
        }

        send = default;
        return false;
    }

    /// <summary>Takes the oldest parked send whether or not there is room (close, a dead connection).</summary>
    public bool TryDrainParked(out ParkedSend send) => _parked.TryDequeue(out send);

    /// <summary>The next transmit id (1, 2, ...): names the send to the worker and in its completion.</summary>
    public ulong NextXmitId() => ++_xmitSeq;

    /// <summary>Records a send handed to the worker under <paramref name="xmitId"/>; its bytes count against the buffer.</summary>
    public void Launch(ulong xmitId, in InFlightSend send)
    {
        _inFlight.Add(xmitId, send);
        QueuedBytes += send.Length;
    }

    /// <summary>
    /// Takes the send <paramref name="xmitId"/> out on its completion (counted as sent when
    /// <paramref name="succeeded"/>); false for an id not in flight (a late completion after close).
    /// </summary>
    public bool TryComplete(ulong xmitId, bool succeeded, out InFlightSend send)
    {
        if (!_inFlight.Remove(xmitId, out send))
        {
            return false;
        }

        QueuedBytes -= send.Length;
        if (succeeded)
        {
            Sent++;
        }

        return true;
    }

    /// <summary>Takes any send still in flight (close: the socket gives up on it); false when none is left.</summary>
    public bool TryDrainInFlight(out InFlightSend send)
    {
        foreach (var (xmitId, entry) in _inFlight)
        {
            // Removing and leaving the loop at once: the enumerator is not used again.
            _inFlight.Remove(xmitId);
            QueuedBytes -= entry.Length;
            send = entry;
            return true;
        }

        send = default;
        return false;
    }
}
