using Edsos.Memory;
using Akka.Actor;
using Edsos.Scheduler;

namespace Edsos.Protocol;

/// <summary>
/// The stream half of the socket ↔ inet contract (Linux <c>inet_stream_connect</c>, <c>inet_listen</c>,
/// <c>inet_accept</c>, <c>tcp_shutdown</c>, <c>tcp_close</c>). A stream socket sends these to the transmit
/// worker the family opened for it (TCP). A connection is named by the id TCP mints for it (in
/// <see cref="StreamConnected"/> and <see cref="StreamIncoming"/>): data goes down as <see cref="XmitRequest"/>
/// with that <see cref="XmitRequest.ConnectionId"/>, and comes up as <see cref="DatagramReceivedEvent"/> CTRNs
/// holding in-order stream bytes. Before the connect is answered, the socket names it by the connect's request id
/// (<see cref="StreamCancelConnect"/>).
/// </summary>
public static partial class InetProtocol
{
    /// <summary>
    /// Socket → TCP: active open from <paramref name="Local"/> (address 0.0.0.0: picked by route) to
    /// <paramref name="Remote"/>; received data is shared into <paramref name="SocketTs"/>. Reply:
    /// <see cref="StreamConnected"/> once the handshake completed or failed (<see cref="Errno.ECONNREFUSED"/>
    /// on a RST, <see cref="Errno.ETIMEDOUT"/> after the SYN retries, <see cref="Errno.EADDRINUSE"/> for a
    /// 4-tuple in use).
    /// </summary>
    public sealed record StreamConnect(ulong ReqId, Ipv4Endpoint Local, Ipv4Endpoint Remote, IActorRef Socket, TsId SocketTs);

    /// <summary>
    /// Reply to <see cref="StreamConnect"/> and <see cref="StreamAttach"/>: the connection's endpoints and the id TCP
    /// minted for it (what every later request names), or the error (id 0).
    /// </summary>
    public sealed record StreamConnected(ulong ReqId, Errno Error, Ipv4Endpoint Local, Ipv4Endpoint Remote, ulong ConnectionId = 0);

    /// <summary>
    /// Socket → TCP: passive open on <paramref name="Local"/> (a port the socket bound) with at most
    /// <paramref name="Backlog"/> connections not yet accepted. Established connections are announced to
    /// <paramref name="Socket"/> with <see cref="StreamIncoming"/>. Reply: <see cref="StreamListening"/>.
    /// </summary>
    public sealed record StreamListen(ulong ReqId, Ipv4Endpoint Local, int Backlog, IActorRef Socket);

    /// <summary>Reply to <see cref="StreamListen"/> (<see cref="Errno.EADDRINUSE"/> when the port has a listener).</summary>
    public sealed record StreamListening(ulong ReqId, Errno Error);

    /// <summary>TCP → listening socket: a connection completed its handshake and waits for <c>accept</c>.</summary>
    public sealed record StreamIncoming(ulong ConnectionId, Ipv4Endpoint Local, Ipv4Endpoint Remote);

    /// <summary>
    /// Socket → TCP: the accepted connection <paramref name="ConnectionId"/> is served by
    /// <paramref name="Socket"/> from now on (data held so far is shared into <paramref name="SocketTs"/>).
    /// Reply: <see cref="StreamConnected"/> (<see cref="Errno.ECONNABORTED"/> when it is gone meanwhile).
    /// </summary>
    public sealed record StreamAttach(ulong ReqId, ulong ConnectionId, IActorRef Socket, TsId SocketTs);

    /// <summary>Socket → TCP: the app consumed <paramref name="Bytes"/> received bytes of connection <paramref name="ConnectionId"/>; the receive window opens. No reply.</summary>
    public sealed record StreamConsumed(ulong ConnectionId, int Bytes);

    /// <summary>Socket → TCP: <c>shutdown(SHUT_WR)</c> of connection <paramref name="ConnectionId"/>: a FIN follows the queued data (half-close). No reply.</summary>
    public sealed record StreamShutdown(ulong ConnectionId);

    /// <summary>
    /// Socket → TCP: <c>close</c> of connection <paramref name="ConnectionId"/> (a connected socket's, or one announced
    /// with <see cref="StreamIncoming"/> that nobody will accept). The socket detaches; queued data is still sent, then
    /// FIN (RFC 9293 3.10.4); with <paramref name="Abort"/> (unread data, RFC 2525 2.17) a RST ends it at once.
    /// <paramref name="Binding"/>, when set, is the socket's own
    /// port binding (as the family bound it), handed over: TCP sends the family <see cref="Unbind"/> for it once
    /// the connection is deleted (after TIME_WAIT, or at once if it is gone already), so the port is not reused
    /// while segments of the old connection may still arrive. Reply: <see cref="StreamReleased"/>, once TCP holds
    /// none of the socket's send buffers any more.
    /// </summary>
    public sealed record StreamClose(ulong ConnectionId, bool Abort, Ipv4Endpoint? Binding = null);

    /// <summary>
    /// Socket → TCP: <c>close</c> of a socket whose <see cref="StreamConnect"/> <paramref name="ReqId"/> is not answered
    /// yet (it has no connection id). A connection still in SYN-SENT is dropped; one whose handshake just completed is
    /// closed like <see cref="StreamClose"/>. <paramref name="Binding"/> as for <see cref="StreamClose"/>. Reply:
    /// <see cref="StreamReleased"/>.
    /// </summary>
    public sealed record StreamCancelConnect(ulong ReqId, Ipv4Endpoint? Binding = null);

    /// <summary>Socket → TCP: the listener on <paramref name="Local"/> closes; connections not yet accepted are reset. No reply.</summary>
    public sealed record StreamUnlisten(Ipv4Endpoint Local);

    /// <summary>Socket → TCP: <c>setsockopt(TCP_NODELAY)</c> on connection <paramref name="ConnectionId"/>: Nagle's algorithm (RFC 896) off when true. No reply.</summary>
    public sealed record StreamNoDelay(ulong ConnectionId, bool NoDelay);

    /// <summary>
    /// TCP → a closed socket (the answer to <see cref="StreamClose"/>): the connection holds no node shared from
    /// the socket's TS any more (every queued byte acknowledged, or the connection gone). Until then the closed
    /// socket keeps its TS, as Linux keeps an orphaned socket: in copy mode TCP's unacknowledged bytes live in
    /// pages the socket copied them into, and the socket's TS exit would lift them before they were delivered.
    /// </summary>
    public sealed record StreamReleased(Ipv4Endpoint Local, Ipv4Endpoint Remote);

    /// <summary>TCP → socket: the peer's FIN: every byte before it was delivered; reads now return 0.</summary>
    public sealed record StreamEofEvent(Ipv4Endpoint Local, Ipv4Endpoint Remote);

    /// <summary>TCP → socket: the connection ended with <paramref name="Error"/> (<see cref="Errno.ECONNRESET"/>, <see cref="Errno.ETIMEDOUT"/>).</summary>
    public sealed record StreamErrorEvent(Ipv4Endpoint Local, Ipv4Endpoint Remote, Errno Error);
}
