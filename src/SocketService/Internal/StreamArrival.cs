namespace Edsos.SocketService.Internal;

/// <summary>What becomes of in-order bytes that arrive at a stream socket.</summary>
internal enum StreamArrival
{
    /// <summary>A receive was waiting and nothing is queued before these bytes: hand them to it now.</summary>
    HandToWaiter,

    /// <summary>Queued behind the bytes not read yet.</summary>
    Queued,

    /// <summary>
    /// Part of a burst (<see cref="StreamReceiveQueue.ArriveInBurst"/>): queued, and a receive is waiting; the caller
    /// answers it once the whole burst is in (<see cref="StreamReceiveQueue.TryServe"/>).
    /// </summary>
    QueuedForWaiter,

    /// <summary>The read side is shut down: nobody will read them; the caller releases them and opens the window.</summary>
    Discard,
}
