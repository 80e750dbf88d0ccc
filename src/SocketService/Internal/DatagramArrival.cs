namespace Edsos.SocketService.Internal;

/// <summary>What becomes of a datagram that arrives at a datagram socket.</summary>
internal enum DatagramArrival
{
    /// <summary>A receive was waiting: hand it the datagram now.</summary>
    HandToWaiter,

    /// <summary>Queued for the next receive.</summary>
    Queued,

    /// <summary>SO_RCVBUF is full: drop it (Linux counts it in RcvbufErrors); the caller releases its node.</summary>
    Dropped,
}
