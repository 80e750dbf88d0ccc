using Edsos.Memory;
using Edsos.Protocol;
using Akka.Actor;
using static Edsos.Protocol.InetProtocol;

namespace Edsos.SocketService;

/// <summary>
/// Everything the stream socket tells TCP, in one place: the messages that name the connection (today by its
/// endpoints, <see cref="SockNode.Local"/> and the peer). Changing how a connection is named (for example to the
/// connection id TCP mints) touches this file only.
/// </summary>
public sealed partial class StreamSocket
{
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
        if (Remote is { } peer)
        {
            Options.TxWorker.Tell(new StreamConsumed(Local, peer, bytes), Self);
        }
    }

    private void TellShutdown() => Options.TxWorker.Tell(new StreamShutdown(Local, Remote!.Value), Self);

    private void TellNoDelay(bool noDelay) => Options.TxWorker.Tell(new StreamNoDelay(Local, Remote!.Value, noDelay), Self);

    /// <summary>
    /// Closes the connection to <paramref name="peer"/>; <paramref name="binding"/>, the socket's own port if it has
    /// one, is handed over with it: TCP unbinds it once the connection is deleted, so the port stays taken through
    /// TIME_WAIT. TCP answers <see cref="StreamReleased"/> once it no longer needs pages shared from this TS.
    /// </summary>
    private void TellClose(Ipv4Endpoint peer, bool abort, Ipv4Endpoint? binding)
        => Options.TxWorker.Tell(new StreamClose(Local, peer, abort, binding), Self);

    /// <summary>A connection nobody will accept, or that completed after the socket closed: TCP closes (or resets) it.</summary>
    private void RejectIncoming(StreamIncoming message)
        => Options.TxWorker.Tell(new StreamClose(message.Local, message.Remote, Abort: true), Self);

    /// <summary>A send names its connection by the endpoints (the same <c>XmitRequest</c> a datagram uses).</summary>
    private protected override void TellTransmit(ulong xmitId, Capability share, int length, Ipv4Endpoint destination)
        => Options.TxWorker.Tell(
            new XmitRequest(RequestId: xmitId, Payload: share, Length: length, Source: Local, Destination: destination, ReplyTo: Self),
            Self);

    /// <summary>TCP's answers that reach the socket after its close: a connection or listener it started is not wanted.</summary>
    private protected override void ClosedProtocol()
    {
        Receive<StreamConnected>(message =>
        {
            if (message.Error == Errno.None)
            {
                Options.TxWorker.Tell(new StreamClose(message.Local, message.Remote, Abort: false), Self);
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
