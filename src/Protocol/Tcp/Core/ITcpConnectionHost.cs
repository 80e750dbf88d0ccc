using Edsos.Memory;

namespace Edsos.Protocol.Tcp.Core;

/// <summary>
/// What a <see cref="TcpConnection"/> needs from whatever drives it (smoltcp's <c>dispatch</c> emit closure and
/// socket events in one small interface): a way to put a segment on the wire, and a place to hand received data and
/// lifecycle events. The connection calls it synchronously, from inside <see cref="TcpConnection.Process"/>,
/// <see cref="TcpConnection.Poll"/> and the user operations; an implementation must not call back into the same
/// connection's state-changing operations from these callbacks, except <see cref="TcpConnection.ForgetUnread"/>.
/// </summary>
public interface ITcpConnectionHost
{
    /// <summary>
    /// Sends one segment. The payload, if any, is <see cref="TcpSegment.Length"/> bytes from <see cref="TcpSegment.Offset"/>
    /// of <see cref="TcpSegment.Chunk"/>, continued in the following chunks (<see cref="SendChunk.Next"/>) when it runs
    /// past that chunk's end; the connection keeps owning every chunk (the host shares slices of them on).
    /// Returns <see cref="TransmitOutcome.Sent"/>, or why not: the connection then counts the segment as not sent.
    /// </summary>
    TransmitOutcome Transmit(TcpConnection connection, in TcpSegment segment);

    /// <summary>
    /// In-order stream bytes for the reader: ownership of <paramref name="node"/> (a node of the connection's TS,
    /// <paramref name="length"/> bytes) moves to the host, which releases it on every path. Returns false when the
    /// bytes had nowhere to go (the reader's TS is gone): the connection then stops counting them as unread.
    /// </summary>
    bool Deliver(TcpConnection connection, Capability node, int length);

    /// <summary>
    /// The handshake completed (ESTABLISHED). Returns false when nobody can take the connection (its listener went
    /// away before the handshake ended): the connection then resets the peer and deletes itself.
    /// </summary>
    bool Established(TcpConnection connection);

    /// <summary>The peer's FIN arrived in order: no more bytes will come.</summary>
    void EndOfStream(TcpConnection connection);

    /// <summary>
    /// Send chunks were fully acknowledged and released (the connection's <see cref="TcpConnection.Chunks"/> is shorter).
    /// </summary>
    void ChunksReleased(TcpConnection connection);

    /// <summary>
    /// The connection is being deleted (RFC 9293 "delete the TCB") with <paramref name="error"/> (<see cref="Errno.None"/>:
    /// an orderly end). Called once, after the connection released every payload node it held; its
    /// <see cref="TcpConnection.Chunks"/> still lists the chunks it had (their nodes are released) so the host can answer
    /// the sends they carried. Its state is <see cref="TcpState.Closed"/> afterwards.
    /// </summary>
    void Closed(TcpConnection connection, Errno error);
}
