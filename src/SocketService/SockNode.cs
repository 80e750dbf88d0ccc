using Edsos.Memory;
using Edsos.Protocol;
using Akka.Actor;
using Edsos.Scheduler;
using Edsos.SocketService.Internal;
using static Edsos.Protocol.InetProtocol;
using static Edsos.SocketService.SocketProtocol;

namespace Edsos.SocketService;

/// <summary>
/// One socket, the <c>sock_node</c> of seed 000 (<c>/net/sockets/sock_0xABCD</c>): it owns the send
/// queue of CTRNs the KPN shares in (<c>send_q/&lt;n&gt;</c>), hands them to the transmit worker,
/// queues received datagrams and hands them to the KPN or the user. Every CTRN it is given is
/// popped on every path (completion, error, drop, close). Answers every request of
/// <see cref="SocketProtocol"/> with its reply type; errors are <see cref="Errno"/> values in the
/// replies, never exceptions.
/// </summary>
public sealed partial class SockNode : EdsrtActor
{
    private readonly SockNodeOptions _options;
    private readonly MemoryManager _memory;
    private readonly TsId _ts;
    private readonly string _txPrefix;

    // Calls that arrived while a BindRequest was in flight; replayed in order when it settles.
    private readonly Queue<DeferredCall> _deferred = new();

    private SocketState _state = SocketState.Unbound;
    private Ipv4Endpoint _local;

    // The endpoint as the family bound it (0.0.0.0 stays 0.0.0.0): what Unbind must name. A connected stream
    // socket's _local is the connection's, with the address connect picked.
    private Ipv4Endpoint _binding;
    private Ipv4Endpoint? _remote;
    private int _sendBuffer;
    private int _receiveBuffer;
    private Errno _soError;
    private bool _bindInFlight;
    private BindWaiter _bindWaiter;
    private bool _exitAfterBind;

    // Closed, but TCP still holds send buffers shared from this TS (copy mode's copies): the TS waits for StreamReleased.
    private bool _awaitingRelease;

    /// <summary>Creates the socket; <paramref name="options"/> carry the endpoint the family opened.</summary>
    public SockNode(SockNodeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _memory = Context.System.Memory;
        _ts = Ts;
        _sendBuffer = options.SendBuffer;
        _receiveBuffer = options.ReceiveBuffer;
        _txPrefix = $"sock_0x{options.SocketId:X4}/";
        _isStream = options.Type == SocketKind.Stream;

        Receive<SendReqEvent>(message => OnSend(message, Sender));
        Receive<XmitComplete>(OnXmitComplete);
        Receive<DatagramReceivedEvent>(OnDatagram);
        Receive<RecvReqEvent>(OnRecv);
        Receive<RecvCancelEvent>(OnRecvCancel);
        Receive<BindSocket>(message => OnBind(message, Sender));
        Receive<ConnectSocket>(message => OnConnect(message, Sender));
        Receive<BindReply>(OnBindReply);
        Receive<SetSocketOption>(OnSetOption);
        Receive<GetSocketOption>(OnGetOption);
        Receive<GetSocketStats>(OnStats);
        Receive<CloseSocket>(OnClose);
        Receive<ListenSocket>(OnListen);
        Receive<AcceptReqEvent>(OnAccept);
        Receive<AdoptConnection>(OnAdopt);
        Receive<ShutdownSocket>(OnShutdown);
        Receive<StreamConnected>(OnStreamConnected);
        Receive<StreamListening>(OnStreamListening);
        Receive<StreamIncoming>(OnStreamIncoming);
        Receive<StreamEofEvent>(OnStreamEof);
        Receive<StreamErrorEvent>(OnStreamError);
        Receive<StreamReleased>(OnStreamReleased);
    }

    /// <summary>Props binding a socket to its own TS <paramref name="tsPath"/> (for example <c>/net/sockets/sock_0x0001</c>).</summary>
    public static Props CreateProps(SockNodeOptions options, string tsPath)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Props.Create(() => new SockNode(options)).WithTs(tsPath);
    }

    /// <summary>The TS path of socket <paramref name="socketId"/> under the table's <paramref name="tablePath"/>.</summary>
    public static string TsPathOf(string tablePath, ulong socketId) => $"{tablePath}/sock_0x{socketId:X4}";

    private bool IsClosed => _state == SocketState.Closed;

    private static Ipv4Endpoint Ephemeral => new(default, 0);

    private void OnBind(BindSocket message, IActorRef replyTo)
    {
        if (IsClosed)
        {
            replyTo.Tell(new SocketReply(message.ReqId, Errno.EBADF, 0));
            return;
        }

        if (_bindInFlight)
        {
            _deferred.Enqueue(new DeferredCall(message, replyTo));
            return;
        }

        if (_state != SocketState.Unbound)
        {
            // Linux: binding a bound socket is EINVAL.
            replyTo.Tell(new SocketReply(message.ReqId, Errno.EINVAL, 0));
            return;
        }

        StartBind(message.Local, new BindWaiter(BindPurpose.Explicit, message.ReqId, replyTo, default));
    }

    private void OnConnect(ConnectSocket message, IActorRef replyTo)
    {
        if (IsClosed)
        {
            replyTo.Tell(new SocketReply(message.ReqId, Errno.EBADF, 0));
            return;
        }

        if (_bindInFlight)
        {
            _deferred.Enqueue(new DeferredCall(message, replyTo));
            return;
        }

        if (_isStream && !CheckStreamConnect(message, replyTo))
        {
            return;
        }

        if (_state == SocketState.Unbound)
        {
            // Linux autobinds a datagram socket on connect (and a stream socket picks its ephemeral port then).
            _connectNonBlocking = message.NonBlocking;
            StartBind(Ephemeral, new BindWaiter(BindPurpose.Connect, message.ReqId, replyTo, message.Remote));
            return;
        }

        if (_isStream)
        {
            StartStreamConnect(message.ReqId, replyTo, message.Remote, message.NonBlocking);
            return;
        }

        _remote = message.Remote;
        _state = SocketState.Connected;
        replyTo.Tell(new SocketReply(message.ReqId, Errno.None, 0));
    }

    private void StartBind(Ipv4Endpoint local, BindWaiter waiter)
    {
        _bindInFlight = true;
        _bindWaiter = waiter;
        _options.Family.Tell(new BindRequest(_options.Protocol, local, Self, _ts), Self);
    }

    private void OnBindReply(BindReply reply)
    {
        if (!_bindInFlight)
        {
            return;
        }

        _bindInFlight = false;
        var waiter = _bindWaiter;
        _bindWaiter = default;

        if (IsClosed)
        {
            // Closed while the family was binding: give the port back, then finish the exit close deferred.
            if (reply.Error == Errno.None)
            {
                _options.Family.Tell(new Unbind(_options.Protocol, reply.Bound), Self);
            }

            if (_exitAfterBind)
            {
                _exitAfterBind = false;
                if (!_awaitingRelease)
                {
                    ExitTs();
                }
            }

            return;
        }

        if (reply.Error == Errno.None)
        {
            _local = reply.Bound;
            _binding = reply.Bound;
            _state = SocketState.Bound;
        }

        switch (waiter.Purpose)
        {
            case BindPurpose.Explicit:
                _ownsPort = reply.Error == Errno.None;
                waiter.ReplyTo.Tell(new SocketReply(waiter.ReqId, reply.Error, reply.Error == Errno.None ? reply.Bound.Port : 0));
                break;
            case BindPurpose.Connect when _isStream:
                _ownsPort = reply.Error == Errno.None;
                if (reply.Error == Errno.None)
                {
                    StartStreamConnect(waiter.ReqId, waiter.ReplyTo, waiter.Remote, _connectNonBlocking);
                }
                else
                {
                    waiter.ReplyTo.Tell(new SocketReply(waiter.ReqId, reply.Error, 0));
                }

                break;
            case BindPurpose.Connect:
                if (reply.Error == Errno.None)
                {
                    _remote = waiter.Remote;
                    _state = SocketState.Connected;
                }

                waiter.ReplyTo.Tell(new SocketReply(waiter.ReqId, reply.Error, 0));
                break;
            case BindPurpose.Send:
                if (reply.Error != Errno.None)
                {
                    // Every deferred send needs the port that could not be had: fail them, or they
                    // would ask again forever.
                    FailDeferredSends(reply.Error);
                }

                break;
        }

        ReplayDeferred();
    }

    private void ReplayDeferred()
    {
        // A replayed call may start a new bind; the rest then wait for that one.
        while (!_bindInFlight && _deferred.Count > 0)
        {
            var call = _deferred.Dequeue();
            switch (call.Message)
            {
                case SendReqEvent send:
                    OnSend(send, call.ReplyTo);
                    break;
                case BindSocket bind:
                    OnBind(bind, call.ReplyTo);
                    break;
                case ConnectSocket connect:
                    OnConnect(connect, call.ReplyTo);
                    break;
            }
        }
    }

    private void FailDeferredSends(Errno error)
    {
        var count = _deferred.Count;
        for (int i = 0; i < count; i++)
        {
            var call = _deferred.Dequeue();
            if (call.Message is SendReqEvent send)
            {
                Drop(send.Ctrn);
                call.ReplyTo.Tell(new SendRespEvent(send.ReqId, 0, error));
            }
            else
            {
                _deferred.Enqueue(call);
            }
        }
    }

    private void OnSetOption(SetSocketOption message)
    {
        if (IsClosed)
        {
            Sender.Tell(new SocketReply(message.ReqId, Errno.EBADF, 0));
            return;
        }

        switch (message.Option)
        {
            case SocketOption.SendBuffer when message.Value > 0:
                // Taken as given (Linux doubles it for its skb overhead; here it counts payload bytes only).
                _sendBuffer = message.Value;
                Sender.Tell(new SocketReply(message.ReqId, Errno.None, 0));
                PumpParked();
                break;
            case SocketOption.ReceiveBuffer when message.Value > 0:
                _receiveBuffer = message.Value;
                Sender.Tell(new SocketReply(message.ReqId, Errno.None, 0));
                break;
            case SocketOption.SendBuffer or SocketOption.ReceiveBuffer:
                Sender.Tell(new SocketReply(message.ReqId, Errno.EINVAL, 0));
                break;
            case SocketOption.NoDelay when _isStream:
                _noDelay = message.Value != 0;
                if (_state == SocketState.Connected && _remote is not null)
                {
                    _options.TxWorker.Tell(new StreamNoDelay(_connectionId, _noDelay), Self);
                }

                Sender.Tell(new SocketReply(message.ReqId, Errno.None, 0));
                break;
            default:
                // SO_ERROR is read-only (Linux: ENOPROTOOPT).
                Sender.Tell(new SocketReply(message.ReqId, Errno.ENOPROTOOPT, 0));
                break;
        }
    }

    private void OnGetOption(GetSocketOption message)
    {
        if (IsClosed)
        {
            Sender.Tell(new SocketReply(message.ReqId, Errno.EBADF, 0));
            return;
        }

        switch (message.Option)
        {
            case SocketOption.SendBuffer:
                Sender.Tell(new SocketReply(message.ReqId, Errno.None, _sendBuffer));
                break;
            case SocketOption.ReceiveBuffer:
                Sender.Tell(new SocketReply(message.ReqId, Errno.None, _receiveBuffer));
                break;
            case SocketOption.NoDelay when _isStream:
                Sender.Tell(new SocketReply(message.ReqId, Errno.None, _noDelay ? 1 : 0));
                break;
            case SocketOption.Error:
                var error = _soError;
                _soError = Errno.None;
                Sender.Tell(new SocketReply(message.ReqId, Errno.None, (long)error));
                break;
            default:
                Sender.Tell(new SocketReply(message.ReqId, Errno.ENOPROTOOPT, 0));
                break;
        }
    }

    private void OnStats(GetSocketStats message)
    {
        Sender.Tell(new SocketStats(
            message.ReqId,
            _state,
            _state is SocketState.Bound or SocketState.Connected or SocketState.Connecting or SocketState.Listening ? _local : null,
            _remote,
            _inFlight.Count,
            _parked.Count,
            _sendQueuedBytes,
            _received.Count,
            _receiveQueuedBytes,
            _recvWaiters.Count,
            _datagramsSent,
            _datagramsReceived,
            _datagramsDropped));
    }

    private void OnClose(CloseSocket message)
    {
        if (IsClosed)
        {
            Sender.Tell(new SocketReply(message.ReqId, Errno.EBADF, 0));
            return;
        }

        var wasBound = _isStream ? _ownsPort : _state is SocketState.Bound or SocketState.Connected;
        var before = _state;
        _state = SocketState.Closed;

        while (_deferred.Count > 0)
        {
            var call = _deferred.Dequeue();
            switch (call.Message)
            {
                case SendReqEvent send:
                    Drop(send.Ctrn);
                    call.ReplyTo.Tell(new SendRespEvent(send.ReqId, 0, Errno.EBADF));
                    break;
                case BindSocket bind:
                    call.ReplyTo.Tell(new SocketReply(bind.ReqId, Errno.EBADF, 0));
                    break;
                case ConnectSocket connect:
                    call.ReplyTo.Tell(new SocketReply(connect.ReqId, Errno.EBADF, 0));
                    break;
            }
        }

        if (_bindInFlight && _bindWaiter.Purpose != BindPurpose.Send)
        {
            _bindWaiter.ReplyTo.Tell(new SocketReply(_bindWaiter.ReqId, Errno.EBADF, 0));
        }

        // A stream socket with a connection hands its port to TCP, which gives it back after TIME_WAIT.
        bool handedOver = CloseStream(before, wasBound ? _binding : null);
        CloseSendQueue();
        CloseReceiveQueue();

        if (wasBound && !handedOver)
        {
            _options.Family.Tell(new Unbind(_options.Protocol, _binding), Self);
        }

        Sender.Tell(new SocketReply(message.ReqId, Errno.None, 0));

        if (_bindInFlight)
        {
            // The family still owes a BindReply: wait for it so the port it binds is given back.
            _exitAfterBind = true;
            return;
        }

        if (_awaitingRelease)
        {
            // An orphan, as in Linux: the descriptor is gone, the TS stays until TCP no longer needs its pages.
            return;
        }

        ExitTs();
    }

    private void OnStreamReleased(StreamReleased message)
    {
        if (!_awaitingRelease)
        {
            return;
        }

        _awaitingRelease = false;
        if (IsClosed && !_exitAfterBind)
        {
            ExitTs();
        }
    }

    private void ExitTs()
    {
        // The runtime stops this actor as part of the TS exit, then lifts whatever is still
        // mounted in the socket's TS; awaiting it here would wait for our own stop.
        _ = Context.System.ExitTsAsync(_ts);
    }

    /// <summary>Pops a node the socket owns; a node already revoked by a lift is gone anyway.</summary>
    private void Drop(Capability node) => _memory.Pop(_ts, node);
}
