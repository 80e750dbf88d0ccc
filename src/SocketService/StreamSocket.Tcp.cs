using Edsos.Memory;
using Edsos.Protocol;
using Akka.Actor;
using static Edsos.Protocol.InetProtocol;

namespace Edsos.SocketService;

/// <summary>
/// Everything the stream socket tells TCP, in one place: the messages that name the connection, by the id TCP
/// minted for it (<see cref="StreamConnected.ConnectionId"/>), or by the connect request before TCP answered it.
/// </summary>
public sealed partial class StreamSocket
{
    // The id TCP minted for this socket's connection (0 until StreamConnected): every request about it names it.
    private ulong _connectionId;

    private void TellConnect(ulong reqId, Ipv4Endpoint remote)
        => Options.TxWorker.Tell(new StreamConnect(ReqId: reqId, Local: Local, Remote: remote, Socket: Self, SocketTs: Ts), Self);

    private void TellListen(ulong reqId, int backlog)
        => Options.TxWorker.Tell(new StreamListen(reqId, Local, backlog, Self), Self);

    private void TellAttach(ulong reqId, ulong connectionId)
        => Options.TxWorker.Tell(new StreamAttach(reqId, connectionId, Self, Ts), Self);

    private void TellUnlisten() => Options.TxWorker.Tell(new StreamUnlisten(Local), Self);

    /// <summary>The app consumed <paramref name="bytes"/>: the receive window opens (nothing to tell without a peer).</summary>
    private void TellConsumed(int bytes)
    {
        if (Remote is not null)
        {
            Options.TxWorker.Tell(new StreamConsumed(_connectionId, bytes), Self);
        }
    }

    private void TellShutdown() => Options.TxWorker.Tell(new StreamShutdown(_connectionId), Self);

    private void TellNoDelay(bool noDelay) => Options.TxWorker.Tell(new StreamNoDelay(_connectionId, noDelay), Self);

    /// <summary>The connection TCP answered with <paramref name="message"/> is this socket's: later requests name its id.</summary>
    private void TookConnection(StreamConnected message) => _connectionId = message.ConnectionId;

    /// <summary>
    /// Closes the connection; <paramref name="binding"/>, the socket's own port if it has one, is handed over with it:
    /// TCP unbinds it once the connection is deleted, so the port stays taken through TIME_WAIT. TCP answers
    /// <see cref="StreamReleased"/> once it no longer needs pages shared from this TS.
    /// </summary>
    private void TellClose(bool abort, Ipv4Endpoint? binding)
        => Options.TxWorker.Tell(new StreamClose(_connectionId, abort, binding), Self);

    /// <summary>
    /// Closes before connect <paramref name="reqId"/> was answered (no id yet): TCP drops the handshake, or closes the
    /// connection if it just completed; the binding as for <see cref="TellClose"/>.
    /// </summary>
    private void TellCancelConnect(ulong reqId, Ipv4Endpoint? binding)
        => Options.TxWorker.Tell(new StreamCancelConnect(reqId, binding), Self);

    /// <summary>A connection nobody will accept, or that completed after the socket closed: TCP closes (or resets) it.</summary>
    private void RejectIncoming(StreamIncoming message)
        => Options.TxWorker.Tell(new StreamClose(message.ConnectionId, Abort: true), Self);

    /// <summary>A send names its connection by its id (the same <c>XmitRequest</c> a datagram uses, endpoints informative).</summary>
    private protected override void TellTransmit(ulong xmitId, Capability share, int length, Ipv4Endpoint destination)
        => Options.TxWorker.Tell(
            XmitRequest.Rent(
                requestId: xmitId,
                payload: share,
                length: length,
                source: Local,
                destination: destination,
                replyTo: Self,
                connectionId: _connectionId),
            Self);

    /// <summary>TCP's answers that reach the socket after its close: a connection or listener it started is not wanted.</summary>
    private protected override void ClosedProtocol()
    {
        Receive<StreamConnected>(message =>
        {
            if (message.Error == Errno.None)
            {
                Options.TxWorker.Tell(new StreamClose(message.ConnectionId, Abort: false), Self);
            }
        });
        Receive<StreamListening>(message =>
        {
            if (message.Error == Errno.None)
            {
                TellUnlisten();
            }
        });
        Receive<StreamIncoming>(RejectIncoming);
        Receive<StreamEofEvent>(_ => { });
        Receive<StreamErrorEvent>(_ => { });
    }
}
