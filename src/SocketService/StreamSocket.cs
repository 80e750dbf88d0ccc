using Edsos.Driver;
using Edsos.Protocol;
using Akka.Actor;
using Edsos.Scheduler;
using Edsos.SocketService.Internal;
using static Edsos.Protocol.InetProtocol;
using static Edsos.SocketService.SocketProtocol;

namespace Edsos.SocketService;

/// <summary>
/// A stream (TCP) socket. Phases: unbound, binding, bound, listen pending, listening, connecting (a handshake, or
/// the adoption of an accepted connection), connected (with the write side open or shut), closed. Connect is
/// blocking or <see cref="Errno.EINPROGRESS"/>; accept hands a connection to a fresh socket that adopts it; each
/// <c>send()</c> is one <c>XmitRequest</c> answered once TCP transmitted every byte (copy mode: once copied); a receive
/// returns every unread in-order byte its buffer holds (a zero-copy one all of them, joined into one node; partial reads
/// in copy mode; the window opened as the app consumes), then 0 at the end.
/// A call the phase cannot take is answered as Linux does (<see cref="Errno.EINVAL"/>, <see cref="Errno.EALREADY"/>,
/// <see cref="Errno.EISCONN"/>, <see cref="Errno.ENOTCONN"/>), including a call made while a bind is in flight.
/// </summary>
/// <remarks>
/// What TCP is told lives in <c>StreamSocket.Tcp.cs</c>: the only place that names the connection, so that
/// changing how a connection is named touches that file only.
/// </remarks>
public sealed partial class StreamSocket : SockNode
{
    private readonly StreamReceiveQueue _received = new();
    private bool _noDelay;

    /// <summary>Creates the socket in the unbound phase.</summary>
    public StreamSocket(SockNodeOptions options)
        : base(options)
    {
        Unbound();
    }

    /// <summary>Props binding a stream socket to its own TS <paramref name="tsPath"/>.</summary>
    public static new Props CreateProps(SockNodeOptions options, string tsPath)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Props.Create(() => new StreamSocket(options)).WithTs(tsPath);
    }

    private protected override (int Queued, int QueuedBytes, int Waiters, long Received, long Dropped) ReceiveStats
        => (_received.Count, _received.QueuedBytes, _received.WaiterCount, _received.Received, 0);

    private protected override bool KeepsTransmitErrors => Remote is not null;

    private void Unbound()
    {
        Receive<BindSocket>(message => StartBind(message.Local, new BindWaiter(BindPurpose.Explicit, message.ReqId, Sender)));
        Receive<ConnectSocket>(message =>
        {
            if (CheckPeer(message))
            {
                // The connect picks its ephemeral port first.
                StartBind(Ephemeral, new BindWaiter(BindPurpose.Connect, message.ReqId, Sender, message.Remote, message.NonBlocking));
            }
        });
        Receive<AdoptConnection>(message =>
        {
            TellAttach(message.ReqId, message.ConnectionId);
            Become(() => Connecting(message.ReqId, Sender));
        });
        Receive<CloseSocket>(message => FinishClose(message, portHandedOver: false));
        Open(SocketState.Unbound, connected: false);
    }

    private void Binding(BindWaiter waiter)
    {
        Receive<ConnectSocket>(message => Refuse(message.ReqId, waiter.Purpose == BindPurpose.Connect ? Errno.EALREADY : Errno.EINVAL));
        Receive<BindReply>(reply => Settle(waiter, reply));
        Receive<CloseSocket>(message =>
        {
            waiter.ReplyTo.Tell(new SocketReply(waiter.ReqId, Errno.EBADF, 0));
            FinishClose(message, portHandedOver: false, bindPending: true);
        });
        Open(SocketState.Unbound, connected: false);
    }

    private void Bound()
    {
        Receive<ConnectSocket>(message =>
        {
            if (CheckPeer(message))
            {
                StartConnect(message.ReqId, Sender, message.Remote, message.NonBlocking);
            }
        });
        Receive<ListenSocket>(message =>
        {
            TellListen(message.ReqId, message.Backlog);
            Become(() => ListenPending(message.ReqId, Sender));
        });
        Receive<CloseSocket>(message => FinishClose(message, portHandedOver: false));
        Open(SocketState.Bound, connected: false);
    }

    private void ListenPending(ulong reqId, IActorRef replyTo)
    {
        Receive<StreamListening>(message =>
        {
            if (message.Error == Errno.None)
            {
                Become(() => Listening(new Queue<StreamIncoming>(), new Queue<(ulong, IActorRef)>()));
            }
            else
            {
                Become(Bound);
            }

            replyTo.Tell(new SocketReply(message.ReqId, message.Error, 0));
        }, message => message.ReqId == reqId);
        Receive<CloseSocket>(message =>
        {
            // The closed phase stops the listener if TCP starts it after all.
            replyTo.Tell(new SocketReply(reqId, Errno.EBADF, 0));
            FinishClose(message, portHandedOver: false);
        });
        Open(SocketState.Bound, connected: false);
    }

    /// <summary>Listening: connections that completed their handshake wait in <paramref name="incoming"/>, accepts in <paramref name="accepts"/>.</summary>
    private void Listening(Queue<StreamIncoming> incoming, Queue<(ulong ReqId, IActorRef ReplyTo)> accepts)
    {
        Receive<ListenSocket>(message => Sender.Tell(new SocketReply(message.ReqId, Errno.None, 0)));
        Receive<StreamIncoming>(message =>
        {
            if (accepts.TryDequeue(out var accept))
            {
                accept.ReplyTo.Tell(Accepted(accept.ReqId, message));
                return;
            }

            incoming.Enqueue(message);
        });
        Receive<AcceptReqEvent>(message =>
        {
            if (incoming.TryDequeue(out var ready))
            {
                Sender.Tell(Accepted(message.ReqId, ready));
            }
            else if (message.NonBlocking)
            {
                Sender.Tell(AcceptFailed(message.ReqId, Errno.EAGAIN));
            }
            else
            {
                accepts.Enqueue((message.ReqId, Sender));
            }
        });
        Receive<CloseSocket>(message =>
        {
            while (accepts.TryDequeue(out var accept))
            {
                accept.ReplyTo.Tell(AcceptFailed(accept.ReqId, Errno.EBADF));
            }

            // Connections announced but never accepted are reset by TCP with the listener.
            TellUnlisten();
            FinishClose(message, portHandedOver: false);
        });
        Open(SocketState.Listening, connected: false);
    }

    /// <summary>A handshake (or an adoption) under way; <paramref name="replyTo"/> waits for it unless the connect did not block.</summary>
    private void Connecting(ulong reqId, IActorRef? replyTo)
    {
        Receive<ConnectSocket>(message => Refuse(message.ReqId, Errno.EALREADY));
        Receive<StreamConnected>(message => OnConnected(message, replyTo), message => message.ReqId == reqId);
        Receive<CloseSocket>(message =>
        {
            replyTo?.Tell(new SocketReply(reqId, Errno.EBADF, 0));
            if (Remote is null)
            {
                // An adoption: TCP has not attached the connection yet; the closed phase closes it if it does.
                FinishClose(message, portHandedOver: false);
                return;
            }

            // TCP drops the handshake (or closes the connection, if it just completed), and gives the port back.
            TellCancelConnect(reqId, OwnedPort);
            FinishClose(message, portHandedOver: OwnedPort is not null, awaitingRelease: true);
        });
        Open(SocketState.Connecting, connected: true);
    }

    /// <summary>Connected to <see cref="SockNode.Remote"/>; <paramref name="writeShut"/> after <c>shutdown(SHUT_WR)</c>.</summary>
    private void Connected(bool writeShut)
    {
        Receive<ConnectSocket>(message => Refuse(message.ReqId, Errno.EISCONN));
        Receive<SendReqEvent>(message => SendConnected(message, Sender, writeShut));
        Receive<SendBatchReqEvent>(batch =>
        {
            foreach (var send in batch.Sends)
            {
                SendConnected(send, Sender, writeShut);
            }
        });
        Receive<ShutdownSocket>(message => Shutdown(message, writeShut), message => message.How is >= 0 and <= 2);
        Receive<SetSocketOption>(
            message =>
            {
                _noDelay = message.Value != 0;
                TellNoDelay(_noDelay);
                Sender.Tell(new SocketReply(message.ReqId, Errno.None, 0));
            },
            message => message.Option == SocketOption.NoDelay);
        Receive<CloseSocket>(message =>
        {
            // Unread data makes the close an abort (RST), as in Linux.
            TellClose(abort: _received.HasUnread, OwnedPort);
            FinishClose(message, portHandedOver: OwnedPort is not null, awaitingRelease: true);
        });
        Open(SocketState.Connected, connected: true);
    }

    /// <summary>A send on a connected socket: the connection's error, EPIPE after SHUT_WR, else queued to the peer.</summary>
    private void SendConnected(SendReqEvent message, IActorRef replyTo, bool writeShut)
    {
        var error = _received.Error != Errno.None ? _received.Error
            : writeShut ? Errno.EPIPE
            : message.Length <= 0 ? Errno.EINVAL
            : Errno.None;
        if (error != Errno.None)
        {
            RejectSend(message, replyTo, error);
            return;
        }

        Enqueue(message, replyTo, Remote!.Value);
    }

    /// <summary>
    /// The answers every open phase gives alike, registered after the phase's own: the receive side, the end of the
    /// connection, and Linux's refusals of calls the phase does not take. <paramref name="connected"/>: a receive may
    /// wait (connecting or connected) rather than fail <see cref="Errno.ENOTCONN"/>.
    /// </summary>
    private void Open(SocketState state, bool connected)
    {
        Receive<DatagramReceivedEvent>(message =>
        {
            OnData(message);
            Edsrt.ReturnHandled(message);
        });
        Receive<DatagramReceivedBatchEvent>(OnDataBurst);
        Receive<RecvReqEvent>(message => OnRecv(message, connected));
        Receive<RecvBatchReqEvent>(batch =>
        {
            foreach (var recv in batch.Recvs)
            {
                OnRecv(recv, connected);
            }
        });
        Receive<StreamEofEvent>(_ => OnEof());
        Receive<StreamErrorEvent>(message => OnStreamError(message.Error));
        Receive<SendReqEvent>(message => RejectSend(message, Sender, _received.Error != Errno.None ? _received.Error : Errno.ENOTCONN));
        Receive<BindSocket>(message => Refuse(message.ReqId, Errno.EINVAL));
        Receive<ConnectSocket>(message => Refuse(message.ReqId, Errno.EINVAL));
        Receive<ListenSocket>(message => Refuse(message.ReqId, Errno.EINVAL));
        Receive<AdoptConnection>(message => Refuse(message.ReqId, Errno.EINVAL));
        Receive<ShutdownSocket>(message => Refuse(message.ReqId, message.How is < 0 or > 2 ? Errno.EINVAL : Errno.ENOTCONN));
        Receive<AcceptReqEvent>(message => Sender.Tell(AcceptFailed(message.ReqId, Errno.EINVAL)));

        // Nobody will accept it: TCP resets it.
        Receive<StreamIncoming>(RejectIncoming);

        // Answers to a call this phase no longer waits for, and TCP's release of an open socket's buffers: nothing to do.
        Receive<StreamConnected>(_ => { });
        Receive<StreamListening>(_ => { });
        Receive<StreamReleased>(_ => { });
        Common(state);
    }

    private void Refuse(ulong reqId, Errno error) => Sender.Tell(new SocketReply(reqId, error, 0));

    private static AcceptRespEvent Accepted(ulong reqId, StreamIncoming connection) => new(
        ReqId: reqId,
        Error: Errno.None,
        ConnectionId: connection.ConnectionId,
        Local: connection.Local,
        Remote: connection.Remote);

    /// <summary>Linux's answer to a connect to nowhere (port 0, 0.0.0.0); false when the call was answered here.</summary>
    private bool CheckPeer(ConnectSocket message)
    {
        if (message.Remote.Port == 0 || message.Remote.Address.IsUnspecified)
        {
            Refuse(message.ReqId, Errno.ECONNREFUSED);
            return false;
        }

        return true;
    }

    private void StartBind(Ipv4Endpoint local, BindWaiter waiter)
    {
        RequestBind(local);
        Become(() => Binding(waiter));
    }

    private void Settle(BindWaiter waiter, BindReply reply)
    {
        if (reply.Error != Errno.None)
        {
            Become(Unbound);
            waiter.ReplyTo.Tell(new SocketReply(waiter.ReqId, reply.Error, 0));
            return;
        }

        Local = reply.Bound;
        OwnedPort = reply.Bound;
        if (waiter.Purpose == BindPurpose.Connect)
        {
            StartConnect(waiter.ReqId, waiter.ReplyTo, waiter.Remote, waiter.NonBlocking);
            return;
        }

        Become(Bound);
        waiter.ReplyTo.Tell(new SocketReply(waiter.ReqId, Errno.None, reply.Bound.Port));
    }

    private void StartConnect(ulong reqId, IActorRef replyTo, Ipv4Endpoint remote, bool nonBlocking)
    {
        Remote = remote;
        TellConnect(reqId, remote);
        Become(() => Connecting(reqId, nonBlocking ? null : replyTo));
        if (nonBlocking)
        {
            replyTo.Tell(new SocketReply(reqId, Errno.EINPROGRESS, 0));
        }
    }

    private void OnConnected(StreamConnected message, IActorRef? replyTo)
    {
        if (message.Error != Errno.None)
        {
            // Linux: a failed connect leaves the socket unconnected, the error in SO_ERROR for a non-blocking one.
            Remote = null;
            Become(OwnedPort is null ? Unbound : Bound);
            if (replyTo is null)
            {
                SoError = message.Error;
            }

            replyTo?.Tell(new SocketReply(message.ReqId, message.Error, 0));
            return;
        }

        Local = message.Local;
        Remote = message.Remote;
        TookConnection(message);
        Become(() => Connected(writeShut: false));
        if (_noDelay)
        {
            TellNoDelay(true);
        }

        replyTo?.Tell(new SocketReply(message.ReqId, Errno.None, 0));
    }

    private protected override bool TrySetProtocolOption(SetSocketOption message)
    {
        if (message.Option != SocketOption.NoDelay)
        {
            return false;
        }

        // Not connected yet: TCP is told once the connection exists.
        _noDelay = message.Value != 0;
        Sender.Tell(new SocketReply(message.ReqId, Errno.None, 0));
        return true;
    }

    private protected override bool TryGetProtocolOption(SocketOption option, out long value)
    {
        value = _noDelay ? 1 : 0;
        return option == SocketOption.NoDelay;
    }
}
