using Edsos.Driver;
using Edsos.Protocol;
using Akka.Actor;
using Edsos.Scheduler;
using Edsos.Scheduler.Faults;
using Edsos.SocketService.Internal;
using static Edsos.Protocol.InetProtocol;
using static Edsos.SocketService.SocketProtocol;

namespace Edsos.SocketService;

/// <summary>
/// A datagram (UDP) socket. Phases: unbound, binding (a <c>BindRequest</c> in flight: bind, connect and send wait
/// for it, in order), open (bound, with or without a default peer: <c>connect</c> only sets one, as on Linux), and
/// closed. Sends are checked in Linux's order (<see cref="Errno.EDESTADDRREQ"/>, <see cref="Errno.EINVAL"/> for port
/// 0, <see cref="Errno.EMSGSIZE"/> past the endpoint's maximum payload); an unbound socket binds an ephemeral port
/// for its first send or connect. Received datagrams meet the oldest waiting receive or join the queue; past
/// SO_RCVBUF they are dropped (released, counted).
/// </summary>
public sealed class DatagramSocket : SockNode
{
    // Calls that arrived while a bind was in flight; replayed in order when it settles.
    private readonly Queue<(object Message, IActorRef ReplyTo)> _deferred = new();
    private readonly DatagramReceiveQueue _received;

    /// <summary>Creates the socket in the unbound phase.</summary>
    public DatagramSocket(SockNodeOptions options)
        : base(options)
    {
        _received = new DatagramReceiveQueue();
        Unbound();
    }

    /// <summary>Props binding a datagram socket to its own TS <paramref name="tsPath"/>.</summary>
    public static new Props CreateProps(SockNodeOptions options, string tsPath)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Props.Create(() => new DatagramSocket(options)).WithTs(tsPath);
    }

    private protected override (int Queued, int QueuedBytes, int Waiters, long Received, long Dropped) ReceiveStats
        => (_received.Count, _received.QueuedBytes, _received.WaiterCount, _received.Received, _received.Dropped);

    private protected override bool KeepsTransmitErrors => Remote is not null;

    private void Unbound()
    {
        Receive<SendReqEvent>(message => SendUnbound(message, Sender));
        Receive<SendBatchReqEvent>(batch => SendBatchUnbound(batch, Sender));
        Receive<BindSocket>(message => BindUnbound(message, Sender));
        Receive<ConnectSocket>(message => ConnectUnbound(message, Sender));
        Receive<CloseSocket>(message => FinishClose(message, portHandedOver: false));
        Receiving(SocketState.Unbound);
    }

    private void Binding(BindWaiter waiter)
    {
        Receive<SendReqEvent>(message => _deferred.Enqueue((message, Sender)));
        Receive<SendBatchReqEvent>(batch =>
        {
            foreach (var send in batch.Sends)
            {
                _deferred.Enqueue((send, Sender));
            }
        });
        Receive<BindSocket>(message => _deferred.Enqueue((message, Sender)));
        Receive<ConnectSocket>(message => _deferred.Enqueue((message, Sender)));
        Receive<BindReply>(reply => Settle(waiter, reply));
        Receive<CloseSocket>(message => CloseWhileBinding(message, waiter));
        Receiving(SocketState.Unbound);
    }

    private void Open()
    {
        Receive<SendReqEvent>(message =>
        {
            SendOpen(message, Sender);
            Edsrt.ReturnHandled(message);
        });
        Receive<SendBatchReqEvent>(batch =>
        {
            // The batch goes on down as one XmitBatchRequest (seed 000's batching below the socket).
            BeginTransmitBatch();
            try
            {
                // By index: a foreach over the IReadOnlyList would allocate its enumerator per batch. Each send is
                // returned as the single event is (SendOpen keeps none of them).
                var sends = batch.Sends;
                for (int i = 0; i < sends.Count; i++)
                {
                    SendOpen(sends[i], Sender);
                    Edsrt.ReturnHandled(sends[i]);
                }
            }
            finally
            {
                EndTransmitBatch();
            }
        });
        Receive<BindSocket>(message => Sender.Tell(new SocketReply(message.ReqId, Errno.EINVAL, 0)));
        Receive<ConnectSocket>(message => ConnectOpen(message, Sender));
        Receive<CloseSocket>(message => FinishClose(message, portHandedOver: false));
        Receiving(Remote is null ? SocketState.Bound : SocketState.Connected);
    }

    /// <summary>What every open phase serves alike: the receive side, the calls a datagram socket refuses, and <see cref="SockNode.Common"/>.</summary>
    private void Receiving(SocketState state)
    {
        Receive<DatagramReceivedEvent>(message =>
        {
            OnDatagram(message);
            Edsrt.ReturnHandled(message);
        });
        Receive<DatagramReceivedBatchEvent>(batch =>
        {
            BeginRecvAnswers();
            try
            {
                for (int i = 0; i < batch.Count; i++)
                {
                    OnDatagram(batch[i]);
                    Edsrt.ReturnHandled(batch[i]);
                }
            }
            finally
            {
                EndRecvAnswers();
            }

            Edsrt.ReturnHandled(batch);
        });
        Receive<RecvReqEvent>(message =>
        {
            OnRecv(message);
            Edsrt.ReturnHandled(message);
        });
        Receive<RecvBatchReqEvent>(batch =>
        {
            var recvs = batch.Recvs;
            BeginRecvAnswers();
            try
            {
                for (int i = 0; i < recvs.Count; i++)
                {
                    OnRecv(recvs[i]);
                    Edsrt.ReturnHandled(recvs[i]);
                }
            }
            finally
            {
                EndRecvAnswers();
            }
        });
        Receive<ListenSocket>(message => Sender.Tell(new SocketReply(message.ReqId, Errno.EOPNOTSUPP, 0)));
        Receive<AcceptReqEvent>(message => Sender.Tell(AcceptFailed(message.ReqId, Errno.EOPNOTSUPP)));
        Receive<AdoptConnection>(message => Sender.Tell(new SocketReply(message.ReqId, Errno.EINVAL, 0)));
        Receive<ShutdownSocket>(message => Sender.Tell(new SocketReply(message.ReqId, message.How is < 0 or > 2 ? Errno.EINVAL : Errno.ENOTCONN, 0)));
        Common(state);
    }

    private void StartBind(Ipv4Endpoint local, BindWaiter waiter)
    {
        RequestBind(local);
        Become(() => Binding(waiter));
    }

    /// <summary>Linux's checks of a datagram send; the destination, or false when the send was refused here.</summary>
    private bool Check(SendReqEvent message, IActorRef replyTo, out Ipv4Endpoint destination)
    {
        destination = message.Destination ?? Remote ?? default;
        var error = message.Destination is null && Remote is null ? Errno.EDESTADDRREQ
            // Linux udp_sendmsg: a zero destination port is EINVAL.
            : destination.Port == 0 ? Errno.EINVAL
            : message.Length <= 0 ? Errno.EINVAL
            : message.Length > Options.MaxPayload ? Errno.EMSGSIZE
            : Errno.None;
        if (error != Errno.None)
        {
            RejectSend(message, replyTo, error);
            return false;
        }

        return true;
    }

    /// <summary>A send on an unbound socket; true when it started a bind (an ephemeral port, then this send).</summary>
    private bool SendUnbound(SendReqEvent message, IActorRef replyTo)
    {
        if (!Check(message, replyTo, out _))
        {
            return false;
        }

        StartBind(Ephemeral, new BindWaiter(BindPurpose.Send, message.ReqId, replyTo, Send: message));
        return true;
    }

    /// <summary>
    /// A batch on an unbound socket: sends are taken as if alone until one starts a bind; the rest wait for the
    /// bind with the calls deferred meanwhile, in order.
    /// </summary>
    private void SendBatchUnbound(SendBatchReqEvent batch, IActorRef replyTo)
    {
        bool binding = false;
        foreach (var send in batch.Sends)
        {
            if (binding)
            {
                _deferred.Enqueue((send, replyTo));
            }
            else
            {
                binding = SendUnbound(send, replyTo);
            }
        }
    }

    private void SendOpen(SendReqEvent message, IActorRef replyTo)
    {
        if (Check(message, replyTo, out var destination))
        {
            Enqueue(message, replyTo, destination);
        }
    }

    private bool BindUnbound(BindSocket message, IActorRef replyTo)
    {
        StartBind(message.Local, new BindWaiter(BindPurpose.Explicit, message.ReqId, replyTo));
        return true;
    }

    private bool ConnectUnbound(ConnectSocket message, IActorRef replyTo)
    {
        // Linux autobinds a datagram socket on connect.
        StartBind(Ephemeral, new BindWaiter(BindPurpose.Connect, message.ReqId, replyTo, message.Remote));
        return true;
    }

    private void ConnectOpen(ConnectSocket message, IActorRef replyTo)
    {
        Remote = message.Remote;
        Become(Open);
        replyTo.Tell(new SocketReply(message.ReqId, Errno.None, 0));
    }

    private void Settle(BindWaiter waiter, BindReply reply)
    {
        bool bound = reply.Error == Errno.None;
        if (bound)
        {
            Local = reply.Bound;
            OwnedPort = reply.Bound;
            if (waiter.Purpose == BindPurpose.Connect)
            {
                Remote = waiter.Remote;
            }

            Become(Open);
        }
        else
        {
            Become(Unbound);
        }

        switch (waiter.Purpose)
        {
            case BindPurpose.Explicit:
                waiter.ReplyTo.Tell(new SocketReply(waiter.ReqId, reply.Error, bound ? reply.Bound.Port : 0));
                break;
            case BindPurpose.Connect:
                waiter.ReplyTo.Tell(new SocketReply(waiter.ReqId, reply.Error, 0));
                break;
            case BindPurpose.Send when bound:
                SendOpen(waiter.Send!, waiter.ReplyTo);
                break;
            case BindPurpose.Send:
                // Every send waiting for this bind needs the port that could not be had: fail them, or they
                // would ask again forever.
                RejectSend(waiter.Send!, waiter.ReplyTo, reply.Error);
                FailDeferredSends(reply.Error);
                break;
        }

        Replay(bound);
    }

    /// <summary>
    /// Replays the calls that waited for the bind, in order, in the phase it settled in: open (none of them changes
    /// the phase), or unbound again, where the first one that starts a new bind leaves the rest waiting for that one.
    /// </summary>
    private void Replay(bool open)
    {
        while (_deferred.TryDequeue(out var call))
        {
            if (open)
            {
                switch (call.Message)
                {
                    case SendReqEvent send:
                        SendOpen(send, call.ReplyTo);
                        break;
                    case BindSocket bind:
                        call.ReplyTo.Tell(new SocketReply(bind.ReqId, Errno.EINVAL, 0));
                        break;
                    case ConnectSocket connect:
                        ConnectOpen(connect, call.ReplyTo);
                        break;
                }

                continue;
            }

            bool binding = call.Message switch
            {
                SendReqEvent send => SendUnbound(send, call.ReplyTo),
                BindSocket bind => BindUnbound(bind, call.ReplyTo),
                ConnectSocket connect => ConnectUnbound(connect, call.ReplyTo),
                _ => false,
            };
            if (binding)
            {
                return;
            }
        }
    }

    private void FailDeferredSends(Errno error)
    {
        int count = _deferred.Count;
        for (int i = 0; i < count; i++)
        {
            var call = _deferred.Dequeue();
            if (call.Message is SendReqEvent send)
            {
                RejectSend(send, call.ReplyTo, error);
                continue;
            }

            _deferred.Enqueue(call);
        }
    }

    private void CloseWhileBinding(CloseSocket message, BindWaiter waiter)
    {
        while (_deferred.TryDequeue(out var call))
        {
            switch (call.Message)
            {
                case SendReqEvent send:
                    RejectSend(send, call.ReplyTo, Errno.EBADF);
                    break;
                case BindSocket bind:
                    call.ReplyTo.Tell(new SocketReply(bind.ReqId, Errno.EBADF, 0));
                    break;
                case ConnectSocket connect:
                    call.ReplyTo.Tell(new SocketReply(connect.ReqId, Errno.EBADF, 0));
                    break;
            }
        }

        if (waiter.Send is { } first)
        {
            RejectSend(first, waiter.ReplyTo, Errno.EBADF);
        }
        else
        {
            waiter.ReplyTo.Tell(new SocketReply(waiter.ReqId, Errno.EBADF, 0));
        }

        // The family still owes a BindReply: the closed phase waits for it so the port it binds is given back.
        FinishClose(message, portHandedOver: false, bindPending: true);
    }

    private void OnDatagram(DatagramReceivedEvent message)
    {
        var datagram = new QueuedDatagram(message.Payload, message.Length, message.From);
        switch (_received.Arrive(datagram, ReceiveBuffer, out var waiter))
        {
            case DatagramArrival.HandToWaiter:
                Deliver(waiter, datagram);
                break;
            case DatagramArrival.Dropped:
                // SO_RCVBUF is full: UDP drops (Linux counts it in RcvbufErrors).
                Release(message.Payload);
                break;
            case DatagramArrival.Queued:
                Context.System.Faults.Hit(SocketFaultPoints.RxSocketQueue, Ts, message.Payload, FaultKind.TsExit | FaultKind.SocketClose);
                break;
        }
    }

    private void OnRecv(RecvReqEvent message)
    {
        var waiter = new RecvWaiter(message.ReqId, message.Mode, message.Target, Sender);
        switch (_received.Request(waiter, message.NonBlocking, out var datagram))
        {
            case RecvOutcome.Deliver:
                Deliver(waiter, datagram);
                break;
            case RecvOutcome.WouldBlock:
                Sender.Tell(RecvFailed(message.ReqId, Errno.EAGAIN));
                break;
        }
    }

    private protected override void OnRecvCancel(RecvCancelEvent message)
    {
        if (_received.TryCancel(message.ReqId, out var waiter))
        {
            waiter.ReplyTo.Tell(RecvFailed(waiter.ReqId, Errno.EINTR));
        }
    }

    private protected override void CloseReceiveSide()
    {
        while (_received.TryDrainWaiter(out var waiter))
        {
            waiter.ReplyTo.Tell(RecvFailed(waiter.ReqId, Errno.EBADF));
        }

        while (_received.TryDrainDatagram(out var datagram))
        {
            Release(datagram.Payload);
        }
    }
}
