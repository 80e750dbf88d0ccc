namespace Edsos.SocketService.Internal;

/// <summary>The answer to a receive request, decided by a receive queue.</summary>
internal enum RecvOutcome
{
    /// <summary>Data is there: deliver it now.</summary>
    Deliver,

    /// <summary>Nothing there and the call does not block: <c>EAGAIN</c>.</summary>
    WouldBlock,

    /// <summary>Nothing there: the receive waits in the queue.</summary>
    Waiting,

    /// <summary>Stream: the connection failed and every byte before the failure was read: the error.</summary>
    Failed,

    /// <summary>Stream: end of stream (the peer's FIN, or the read side shut down): a zero-length read.</summary>
    EndOfStream,

    /// <summary>Stream: not connected: <c>ENOTCONN</c>.</summary>
    NotConnected,
}
