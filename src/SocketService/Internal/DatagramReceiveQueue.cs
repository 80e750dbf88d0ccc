namespace Edsos.SocketService.Internal;

/// <summary>
/// A datagram socket's receive side as plain rules: the datagrams queued (bounded by SO_RCVBUF in payload bytes, given
/// with each arrival since <c>setsockopt</c> may change it), the
/// receives waiting in FIFO order, and the counters. A datagram meets the oldest waiting receive, else joins the queue,
/// else (past SO_RCVBUF) is dropped. It never releases a node: whoever takes a datagram out owns it.
/// </summary>
internal sealed class DatagramReceiveQueue
{
    private readonly Queue<QueuedDatagram> _datagrams = new();
    private readonly Queue<RecvWaiter> _waiters = new();

    /// <summary>Datagrams queued.</summary>
    public int Count => _datagrams.Count;

    /// <summary>Payload bytes queued.</summary>
    public int QueuedBytes { get; private set; }

    /// <summary>Receives waiting for a datagram.</summary>
    public int WaiterCount => _waiters.Count;

    /// <summary>Datagrams that arrived (delivered, queued or dropped).</summary>
    public long Received { get; private set; }

    /// <summary>Datagrams dropped past SO_RCVBUF.</summary>
    public long Dropped { get; private set; }

    /// <summary>
    /// A datagram arrives at a socket whose SO_RCVBUF is <paramref name="capacity"/> payload bytes:
    /// <see cref="DatagramArrival.HandToWaiter"/> with the oldest <paramref name="waiter"/>,
    /// <see cref="DatagramArrival.Queued"/> (the queue owns it now), or <see cref="DatagramArrival.Dropped"/> when it
    /// does not fit (the caller still owns it and releases it).
    /// </summary>
    public DatagramArrival Arrive(in QueuedDatagram datagram, int capacity, out RecvWaiter waiter)
    {
        Received++;
        if (_waiters.TryDequeue(out waiter))
        {
            return DatagramArrival.HandToWaiter;
        }

        if ((long)QueuedBytes + datagram.Length > capacity)
        {
            Dropped++;
            return DatagramArrival.Dropped;
        }

        _datagrams.Enqueue(datagram);
        QueuedBytes += datagram.Length;
        return DatagramArrival.Queued;
    }

    /// <summary>
    /// A receive: <see cref="RecvOutcome.Deliver"/> with the oldest <paramref name="datagram"/> (the caller owns it
    /// now), <see cref="RecvOutcome.WouldBlock"/> when empty and <paramref name="nonBlocking"/>, else
    /// <see cref="RecvOutcome.Waiting"/> (the waiter is queued).
    /// </summary>
    public RecvOutcome Request(in RecvWaiter waiter, bool nonBlocking, out QueuedDatagram datagram)
    {
        if (_datagrams.TryDequeue(out datagram))
        {
            QueuedBytes -= datagram.Length;
            return RecvOutcome.Deliver;
        }

        if (nonBlocking)
        {
            return RecvOutcome.WouldBlock;
        }

        _waiters.Enqueue(waiter);
        return RecvOutcome.Waiting;
    }

    /// <summary>Removes the waiting receive <paramref name="reqId"/>, keeping the others' order; false when it is not waiting.</summary>
    public bool TryCancel(ulong reqId, out RecvWaiter cancelled) => WaiterQueue.TryRemove(_waiters, reqId, out cancelled);

    /// <summary>Takes the oldest waiting receive (close); false when none is left.</summary>
    public bool TryDrainWaiter(out RecvWaiter waiter) => _waiters.TryDequeue(out waiter);

    /// <summary>Takes the oldest queued datagram (close; the caller releases it); false when none is left.</summary>
    public bool TryDrainDatagram(out QueuedDatagram datagram)
    {
        if (_datagrams.TryDequeue(out datagram))
        {
            QueuedBytes -= datagram.Length;
            return true;
        }

        return false;
    }
}
