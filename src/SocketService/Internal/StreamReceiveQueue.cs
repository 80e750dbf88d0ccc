using Edsos.Protocol;

namespace Edsos.SocketService.Internal;

/// <summary>
/// A stream socket's receive side as plain rules: the segments TCP delivered in order (the rest of a split segment
/// first in line), the receives waiting with their buffer sizes, and how the stream ended (the peer's FIN, a local
/// <c>shutdown(SHUT_RD)</c>, or a connection error). Bytes are read before an end is reported; an error after a FIN
/// is not reported (reads return 0). It never releases a node: whoever takes a segment out owns it.
/// </summary>
/// <remarks>TCP's window bounds what arrives, so nothing is dropped for SO_RCVBUF here.</remarks>
internal sealed class StreamReceiveQueue
{
    private readonly Queue<QueuedDatagram> _segments = new();
    private readonly Queue<RecvWaiter> _waiters = new();
    private QueuedDatagram? _front;

    /// <summary>Segments queued (the rest of a split segment not counted).</summary>
    public int Count => _segments.Count;

    /// <summary>Payload bytes of the queued segments.</summary>
    public int QueuedBytes { get; private set; }

    /// <summary>Receives waiting for data.</summary>
    public int WaiterCount => _waiters.Count;

    /// <summary>Segments that arrived (handed over, queued or discarded).</summary>
    public long Received { get; private set; }

    /// <summary>The peer's FIN arrived: every byte before it was delivered.</summary>
    public bool Eof { get; private set; }

    /// <summary><c>shutdown(SHUT_RD)</c>: reads return 0 once the queued bytes are read; later bytes are discarded.</summary>
    public bool ReadShut { get; private set; }

    /// <summary>The connection's error (<see cref="Errno.ECONNRESET"/>, <see cref="Errno.ETIMEDOUT"/>), or <see cref="Errno.None"/>.</summary>
    public Errno Error { get; private set; }

    /// <summary>Bytes delivered and not read yet.</summary>
    public bool HasUnread => _front is not null || _segments.Count > 0;

    /// <summary>
    /// Where a classic (copy) read of <paramref name="length"/> bytes into a buffer of <paramref name="waiter"/>'s
    /// <see cref="RecvWaiter.MaxLength"/> splits the segment: that length, or 0 when it takes the whole segment (a
    /// zero-copy read takes whole nodes; a limit of 0 means none).
    /// </summary>
    public static int SplitAt(in RecvWaiter waiter, int length)
        => waiter.Mode == RecvMode.Copy && waiter.MaxLength > 0 && length > waiter.MaxLength ? waiter.MaxLength : 0;

    /// <summary>
    /// How many bytes a read by <paramref name="waiter"/> takes in one node: a copy read its buffer's size (a limit of 0
    /// means none), a zero-copy read everything unread.
    /// </summary>
    public static int JoinLimit(in RecvWaiter waiter)
        => waiter.Mode == RecvMode.Copy && waiter.MaxLength > 0 ? waiter.MaxLength : int.MaxValue;

    /// <summary>
    /// In-order bytes arrive: <see cref="StreamArrival.Discard"/> when the read side is shut (the caller still owns
    /// them), <see cref="StreamArrival.HandToWaiter"/> with the oldest <paramref name="waiter"/> when nothing is
    /// unread, else <see cref="StreamArrival.Queued"/> (the queue owns them now).
    /// </summary>
    public StreamArrival Arrive(in QueuedDatagram segment, out RecvWaiter waiter)
    {
        waiter = default;
        Received++;
        if (ReadShut)
        {
            return StreamArrival.Discard;
        }

        if (!HasUnread && _waiters.TryDequeue(out waiter))
        {
            return StreamArrival.HandToWaiter;
        }

        _segments.Enqueue(segment);
        QueuedBytes += segment.Length;
        return StreamArrival.Queued;
    }

    /// <summary>
    /// In-order bytes that arrive with others in one burst (a receive poll's segments, handed over together): queued
    /// even when a receive is waiting, so that it is answered once the whole burst is in and takes all it can (joined),
    /// as a reader woken after Linux's softirq finds the poll's segments queued. <see cref="StreamArrival.Discard"/> when
    /// the read side is shut (the caller still owns them), <see cref="StreamArrival.QueuedForWaiter"/> when a receive
    /// waits (answer it with <see cref="TryServe"/> after the burst), else <see cref="StreamArrival.Queued"/>; the queue
    /// owns what it queued.
    /// </summary>
    public StreamArrival ArriveInBurst(in QueuedDatagram segment)
    {
        Received++;
        if (ReadShut)
        {
            return StreamArrival.Discard;
        }

        _segments.Enqueue(segment);
        QueuedBytes += segment.Length;
        return _waiters.Count > 0 ? StreamArrival.QueuedForWaiter : StreamArrival.Queued;
    }

    /// <summary>
    /// The oldest waiting receive and the next unread bytes for it (the caller owns them), once a burst is in; false
    /// when nothing is unread or no receive waits.
    /// </summary>
    public bool TryServe(out RecvWaiter waiter, out QueuedDatagram segment)
    {
        if (HasUnread && _waiters.TryDequeue(out waiter))
        {
            return TryTake(out segment);
        }

        waiter = default;
        segment = default;
        return false;
    }

    /// <summary>
    /// A receive on a socket that is (<paramref name="connected"/>) or is not connected or connecting, in Linux's
    /// order: unread bytes first (<see cref="RecvOutcome.Deliver"/>, the caller owns <paramref name="segment"/>),
    /// then the connection's error (<see cref="RecvOutcome.Failed"/>, unless after a FIN), then the end
    /// (<see cref="RecvOutcome.EndOfStream"/>), then <see cref="RecvOutcome.NotConnected"/>,
    /// <see cref="RecvOutcome.WouldBlock"/> when <paramref name="nonBlocking"/>, else <see cref="RecvOutcome.Waiting"/>.
    /// </summary>
    public RecvOutcome Request(in RecvWaiter waiter, bool nonBlocking, bool connected, out QueuedDatagram segment)
    {
        if (TryTake(out segment))
        {
            return RecvOutcome.Deliver;
        }

        if (Error != Errno.None && !Eof)
        {
            return RecvOutcome.Failed;
        }

        if (Eof || ReadShut)
        {
            return RecvOutcome.EndOfStream;
        }

        if (!connected)
        {
            return RecvOutcome.NotConnected;
        }

        if (nonBlocking)
        {
            return RecvOutcome.WouldBlock;
        }

        _waiters.Enqueue(waiter);
        return RecvOutcome.Waiting;
    }

    /// <summary>Puts the rest of a split segment first in line (the queue owns it again).</summary>
    public void PutBackFront(in QueuedDatagram rest) => _front = rest;

    /// <summary>The peer's FIN. True when nothing is left unread: the waiting receives are answered with the end now.</summary>
    public bool MarkEof()
    {
        Eof = true;
        return !HasUnread;
    }

    /// <summary><c>shutdown(SHUT_RD)</c>: the waiting receives are answered with the end now (by the caller).</summary>
    public void ShutRead() => ReadShut = true;

    /// <summary>The connection failed with <paramref name="error"/>: the waiting receives get it now (by the caller).</summary>
    public void Fail(Errno error) => Error = error;

    /// <summary>Takes the oldest waiting receive (to answer it with an end, an error or <c>EBADF</c>); false when none.</summary>
    public bool TryTakeWaiter(out RecvWaiter waiter) => _waiters.TryDequeue(out waiter);

    /// <summary>Removes the waiting receive <paramref name="reqId"/>, keeping the others' order; false when it is not waiting.</summary>
    public bool TryCancel(ulong reqId, out RecvWaiter cancelled) => WaiterQueue.TryRemove(_waiters, reqId, out cancelled);

    /// <summary>
    /// Takes the next unread segment (the rest of a split one first) while a read has <paramref name="room"/> left, to join
    /// it onto what the read already took, whatever its length: the read's split cuts off what its buffer does not hold,
    /// which stays first in line (Linux's <c>tcp_recvmsg</c> fills the buffer across segments). The caller owns it. False
    /// when nothing is unread or no room is left.
    /// </summary>
    public bool TryTakeForRoom(int room, out QueuedDatagram segment)
    {
        if (room <= 0)
        {
            segment = default;
            return false;
        }

        return TryTake(out segment);
    }

    /// <summary>Takes the next unread bytes (the rest of a split segment first); the caller owns them.</summary>
    public bool TryTake(out QueuedDatagram segment)
    {
        if (_front is { } front)
        {
            _front = null;
            segment = front;
            return true;
        }

        if (_segments.TryDequeue(out segment))
        {
            QueuedBytes -= segment.Length;
            return true;
        }

        return false;
    }
}
