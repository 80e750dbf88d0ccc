using Edsos.Memory;
using Edsos.Protocol;
using Akka.Actor;
using Edsos.Scheduler;
using Edsos.Scheduler.Faults;
using Edsos.SocketService.Internal;
using static Edsos.Protocol.InetProtocol;
using static Edsos.SocketService.SocketProtocol;

namespace Edsos.SocketService;

/// <summary>
/// The stream half (TCP sockets): connect (blocking or <c>EINPROGRESS</c>), listen, accept and adoption of an
/// accepted connection, a byte-stream receive (end of stream, partial reads in copy mode, the window opened
/// as the app consumes), shutdown and close. Sends reuse the datagram path: each <c>send()</c> is one
/// <c>XmitRequest</c> naming the connection by its endpoints, answered once TCP transmitted every byte.
/// </summary>
public sealed partial class SockNode
{
    private readonly bool _isStream;
    private readonly Queue<StreamIncoming> _incoming = new();
    private readonly Queue<(ulong ReqId, IActorRef ReplyTo)> _acceptWaiters = new();

    // The MaxLength of each blocked stream receive, in the order of _recvWaiters.
    private readonly Queue<int> _streamMaxLengths = new();
    private bool _ownsPort;
    private bool _connectNonBlocking;
    private bool _noDelay;
    private bool _eof;
    private bool _shutRead;
    private bool _shutWrite;
    private Errno _streamError;
    private ulong _streamReqId;
    private IActorRef? _streamReplyTo;
    private QueuedDatagram? _streamFront;

    /// <summary>Linux's answers to connect by state; false when the call was answered here.</summary>
    private bool CheckStreamConnect(ConnectSocket message, IActorRef replyTo)
    {
        var error = _state switch
        {
            SocketState.Connecting => Errno.EALREADY,
            SocketState.Connected => Errno.EISCONN,
            SocketState.Listening => Errno.EINVAL,
            _ => Errno.None,
        };
        if (error == Errno.None && (message.Remote.Port == 0 || message.Remote.Address.IsUnspecified))
        {
            error = Errno.ECONNREFUSED;
        }

        if (error != Errno.None)
        {
            replyTo.Tell(new SocketReply(message.ReqId, error, 0));
            return false;
        }

        return true;
    }

    private void StartStreamConnect(ulong reqId, IActorRef replyTo, Ipv4Endpoint remote, bool nonBlocking)
    {
        _state = SocketState.Connecting;
        _remote = remote;
        _streamReqId = reqId;
        _streamReplyTo = nonBlocking ? null : replyTo;
        _options.TxWorker.Tell(new StreamConnect(reqId, _local, remote, Self, _ts), Self);
        if (nonBlocking)
        {
            replyTo.Tell(new SocketReply(reqId, Errno.EINPROGRESS, 0));
        }
    }

    private void OnStreamConnected(StreamConnected message)
    {
        if (message.ReqId != _streamReqId)
        {
            return;
        }

        var waiter = _streamReplyTo;
        _streamReplyTo = null;
        if (IsClosed)
        {
            // Closed while the handshake ran: the connection is not wanted.
            if (message.Error == Errno.None)
            {
                _options.TxWorker.Tell(new StreamClose(message.Local, message.Remote, Abort: false), Self);
            }

            return;
        }

        if (message.Error != Errno.None)
        {
            // Linux: a failed connect leaves the socket unconnected, the error in SO_ERROR for a non-blocking one.
            _state = _ownsPort ? SocketState.Bound : SocketState.Unbound;
            _remote = null;
            if (waiter is null)
            {
                _soError = message.Error;
            }

            waiter?.Tell(new SocketReply(message.ReqId, message.Error, 0));
            return;
        }

        _state = SocketState.Connected;
        _local = message.Local;
        _remote = message.Remote;
        if (_noDelay)
        {
            _options.TxWorker.Tell(new StreamNoDelay(_local, message.Remote, true), Self);
        }

        waiter?.Tell(new SocketReply(message.ReqId, Errno.None, 0));
    }

    private void OnListen(ListenSocket message)
    {
        if (IsClosed)
        {
            Sender.Tell(new SocketReply(message.ReqId, Errno.EBADF, 0));
            return;
        }

        if (!_isStream)
        {
            Sender.Tell(new SocketReply(message.ReqId, Errno.EOPNOTSUPP, 0));
            return;
        }

        if (_state == SocketState.Listening)
        {
            Sender.Tell(new SocketReply(message.ReqId, Errno.None, 0));
            return;
        }

        if (_state != SocketState.Bound || _streamReplyTo is not null)
        {
            Sender.Tell(new SocketReply(message.ReqId, Errno.EINVAL, 0));
            return;
        }

        _streamReqId = message.ReqId;
        _streamReplyTo = Sender;
        _options.TxWorker.Tell(new StreamListen(message.ReqId, _local, message.Backlog, Self), Self);
    }

    private void OnStreamListening(StreamListening message)
    {
        if (message.ReqId != _streamReqId || _streamReplyTo is not { } waiter)
        {
            return;
        }

        _streamReplyTo = null;
        if (IsClosed)
        {
            if (message.Error == Errno.None)
            {
                _options.TxWorker.Tell(new StreamUnlisten(_local), Self);
            }

            return;
        }

        if (message.Error == Errno.None)
        {
            _state = SocketState.Listening;
        }

        waiter.Tell(new SocketReply(message.ReqId, message.Error, 0));
    }

    private void OnStreamIncoming(StreamIncoming message)
    {
        if (_state != SocketState.Listening)
        {
            // Nobody will accept it: TCP resets it when the listener goes (or now, if it already went).
            _options.TxWorker.Tell(new StreamClose(message.Local, message.Remote, Abort: true), Self);
            return;
        }

        if (_acceptWaiters.Count > 0)
        {
            var (reqId, replyTo) = _acceptWaiters.Dequeue();
            replyTo.Tell(new AcceptRespEvent(reqId, Errno.None, message.ConnectionId, message.Local, message.Remote));
            return;
        }

        _incoming.Enqueue(message);
    }

    private void OnAccept(AcceptReqEvent message)
    {
        if (IsClosed)
        {
            Sender.Tell(new AcceptRespEvent(message.ReqId, Errno.EBADF, 0, default, default));
            return;
        }

        if (_state != SocketState.Listening)
        {
            Sender.Tell(new AcceptRespEvent(message.ReqId, _isStream ? Errno.EINVAL : Errno.EOPNOTSUPP, 0, default, default));
            return;
        }

        if (_incoming.Count > 0)
        {
            var ready = _incoming.Dequeue();
            Sender.Tell(new AcceptRespEvent(message.ReqId, Errno.None, ready.ConnectionId, ready.Local, ready.Remote));
            return;
        }

        if (message.NonBlocking)
        {
            Sender.Tell(new AcceptRespEvent(message.ReqId, Errno.EAGAIN, 0, default, default));
            return;
        }

        _acceptWaiters.Enqueue((message.ReqId, Sender));
    }

    private void OnAdopt(AdoptConnection message)
    {
        if (IsClosed || !_isStream || _state != SocketState.Unbound || _streamReplyTo is not null)
        {
            Sender.Tell(new SocketReply(message.ReqId, IsClosed ? Errno.EBADF : Errno.EINVAL, 0));
            return;
        }

        _state = SocketState.Connecting;
        _streamReqId = message.ReqId;
        _streamReplyTo = Sender;
        _options.TxWorker.Tell(new StreamAttach(message.ReqId, message.ConnectionId, Self, _ts), Self);
    }

    private void OnShutdown(ShutdownSocket message)
    {
        if (IsClosed)
        {
            Sender.Tell(new SocketReply(message.ReqId, Errno.EBADF, 0));
            return;
        }

        if (message.How is < 0 or > 2)
        {
            Sender.Tell(new SocketReply(message.ReqId, Errno.EINVAL, 0));
            return;
        }

        if (!_isStream || _state != SocketState.Connected || _remote is not { } peer)
        {
            Sender.Tell(new SocketReply(message.ReqId, Errno.ENOTCONN, 0));
            return;
        }

        if (message.How is 0 or 2)
        {
            _shutRead = true;
            AnswerReadersAtEnd();
        }

        if (message.How is 1 or 2 && !_shutWrite)
        {
            _shutWrite = true;
            _options.TxWorker.Tell(new StreamShutdown(_local, peer), Self);
        }

        Sender.Tell(new SocketReply(message.ReqId, Errno.None, 0));
    }

    private void OnStreamSend(SendReqEvent message, IActorRef replyTo)
    {
        var error = _streamError != Errno.None ? _streamError
            : _shutWrite ? Errno.EPIPE
            : _state != SocketState.Connected || _remote is null ? Errno.ENOTCONN
            : message.Length <= 0 ? Errno.EINVAL
            : Errno.None;
        if (error != Errno.None)
        {
            RejectSend(message, replyTo, error);
            return;
        }

        var peer = _remote!.Value;
        if (_parked.Count > 0 || !HasRoom(message.Length))
        {
            if (message.NonBlocking)
            {
                RejectSend(message, replyTo, Errno.EAGAIN);
                return;
            }

            _parked.Enqueue(new ParkedSend(message.ReqId, message.Ctrn, message.Length, peer, replyTo));
            return;
        }

        Transmit(message.ReqId, message.Ctrn, message.Length, peer, replyTo);
    }

    private void OnStreamData(DatagramReceivedEvent message)
    {
        // TCP's window bounds what arrives: nothing is dropped for SO_RCVBUF here.
        var data = new QueuedDatagram(message.Payload, message.Length, message.From);
        if (_shutRead)
        {
            Drop(message.Payload);
            Consumed(message.Length);
            return;
        }

        if (_recvWaiters.Count > 0 && _received.Count == 0 && _streamFront is null)
        {
            DeliverStream(_recvWaiters.Dequeue(), data);
            return;
        }

        _received.Enqueue(data);
        _receiveQueuedBytes += message.Length;

        // The stream's dual of the datagram point: data no reader took yet waits in the receive queue.
        Context.System.Faults.Hit(SocketFaultPoints.RxSocketQueue, _ts, message.Payload, FaultKind.TsExit | FaultKind.SocketClose);
    }

    private void OnStreamRecv(RecvReqEvent message, RecvWaiter waiter)
    {
        if (TryTakeStream(out var data))
        {
            DeliverStream(waiter, data, message.MaxLength);
            return;
        }

        if (_streamError != Errno.None && !_eof)
        {
            Sender.Tell(new RecvRespEvent(message.ReqId, _streamError, default, 0, default));
            return;
        }

        if (_eof || _shutRead)
        {
            Sender.Tell(new RecvRespEvent(message.ReqId, Errno.None, default, 0, _remote ?? default));
            return;
        }

        if (_state is not (SocketState.Connected or SocketState.Connecting))
        {
            Sender.Tell(new RecvRespEvent(message.ReqId, Errno.ENOTCONN, default, 0, default));
            return;
        }

        if (message.NonBlocking)
        {
            Sender.Tell(new RecvRespEvent(message.ReqId, Errno.EAGAIN, default, 0, default));
            return;
        }

        _recvWaiters.Enqueue(waiter);
        _streamMaxLengths.Enqueue(message.MaxLength);
    }

    private bool TryTakeStream(out QueuedDatagram data)
    {
        if (_streamFront is { } front)
        {
            _streamFront = null;
            data = front;
            return true;
        }

        if (_received.Count > 0)
        {
            data = _received.Dequeue();
            _receiveQueuedBytes -= data.Length;
            return true;
        }

        data = default;
        return false;
    }

    private void DeliverStream(RecvWaiter waiter, QueuedDatagram data, int? maxLength = null)
    {
        int limit = maxLength ?? (_streamMaxLengths.Count > 0 ? _streamMaxLengths.Dequeue() : 0);
        if (waiter.Mode == RecvMode.Copy && limit > 0 && data.Length > limit)
        {
            // A classic recv into a smaller buffer: the rest stays first in line (divide, no copy).
            var cut = _memory.Divide(_ts, data.Payload, limit);
            if (cut.IsOk)
            {
                _streamFront = new QueuedDatagram(cut.Value.Tail, data.Length - limit, data.From);
                data = new QueuedDatagram(cut.Value.Head, limit, data.From);
            }
        }

        Consumed(data.Length);
        Deliver(waiter, data);
    }

    private void Consumed(int bytes)
    {
        if (_remote is { } peer)
        {
            _options.TxWorker.Tell(new StreamConsumed(_local, peer, bytes), Self);
        }
    }

    private void OnStreamEof(StreamEofEvent message)
    {
        _eof = true;
        if (_received.Count == 0 && _streamFront is null)
        {
            AnswerReadersAtEnd();
        }
    }

    private void OnStreamError(StreamErrorEvent message)
    {
        _streamError = message.Error;
        _soError = message.Error;
        while (_recvWaiters.Count > 0)
        {
            var waiter = _recvWaiters.Dequeue();
            waiter.ReplyTo.Tell(new RecvRespEvent(waiter.ReqId, message.Error, default, 0, default));
        }

        _streamMaxLengths.Clear();
        while (_parked.Count > 0)
        {
            var parked = _parked.Dequeue();
            Drop(parked.Ctrn);
            parked.ReplyTo.Tell(new SendRespEvent(parked.ReqId, 0, message.Error));
        }
    }

    private void AnswerReadersAtEnd()
    {
        while (_recvWaiters.Count > 0)
        {
            var waiter = _recvWaiters.Dequeue();
            waiter.ReplyTo.Tell(new RecvRespEvent(waiter.ReqId, Errno.None, default, 0, _remote ?? default));
        }

        _streamMaxLengths.Clear();
    }

    /// <summary>
    /// Tells TCP the socket closes. A connected or connecting socket hands over <paramref name="binding"/> (its own
    /// port, if it has one) with the <see cref="StreamClose"/>: TCP unbinds it once the connection is deleted, so
    /// the port stays taken through TIME_WAIT. Returns true when it did; the caller unbinds otherwise.
    /// </summary>
    private bool CloseStream(SocketState before, Ipv4Endpoint? binding)
    {
        if (!_isStream)
        {
            return false;
        }

        while (_acceptWaiters.Count > 0)
        {
            var (reqId, replyTo) = _acceptWaiters.Dequeue();
            replyTo.Tell(new AcceptRespEvent(reqId, Errno.EBADF, 0, default, default));
        }

        _streamMaxLengths.Clear();
        _streamReplyTo?.Tell(new SocketReply(_streamReqId, Errno.EBADF, 0));
        _streamReplyTo = null;
        switch (before)
        {
            case SocketState.Listening:
                // Connections announced but never accepted are reset by TCP with the listener.
                _incoming.Clear();
                _options.TxWorker.Tell(new StreamUnlisten(_local), Self);
                return false;
            case SocketState.Connected when _remote is { } peer:
                bool unread = _received.Count > 0 || _streamFront is not null;
                _awaitingRelease = true;
                _options.TxWorker.Tell(new StreamClose(_local, peer, Abort: unread, binding), Self);
                return binding is not null;
            case SocketState.Connecting when _remote is { } peer:
                // The handshake is still running: TCP drops it (or closes it, if it just completed).
                _awaitingRelease = true;
                _options.TxWorker.Tell(new StreamClose(_local, peer, Abort: false, binding), Self);
                return binding is not null;
            default:
                return false;
        }
    }
}
