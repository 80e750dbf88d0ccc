using Edsos.Driver;
using Edsos.Protocol;
using Edsos.Protocol.Ipv4;
using Akka.Actor;
using Edsos.Scheduler;
using static Edsos.Protocol.InetProtocol;
using static Edsos.SocketService.SocketProtocol;

namespace Edsos.SocketService;

/// <summary>The end of every socket: the close common to all open phases, and the closed phase.</summary>
public abstract partial class SockNode
{
    /// <summary>Answers every waiting receive with <see cref="Errno.EBADF"/> and releases every node the receive side holds.</summary>
    private protected abstract void CloseReceiveSide();

    /// <summary>The stream socket's answers to TCP's late messages once closed; a datagram socket has none.</summary>
    private protected virtual void ClosedProtocol()
    {
    }

    /// <summary>
    /// Finishes a <see cref="CloseSocket"/> the phase has already done its own part of: answers and releases the send
    /// queue and the receive side, gives the port back unless <paramref name="portHandedOver"/> (TCP gives it back
    /// after TIME_WAIT), replies, and enters <see cref="Closed"/>. The TS exits now, or once the family answered a bind
    /// still in flight (<paramref name="bindPending"/>: the port it binds is given back) and TCP released the send
    /// buffers shared from this TS (<paramref name="awaitingRelease"/>: an orphan, as in Linux).
    /// </summary>
    private protected void FinishClose(CloseSocket message, bool portHandedOver, bool bindPending = false, bool awaitingRelease = false)
    {
        CloseSendQueue();
        CloseReceiveSide();
        if (OwnedPort is { } bound && !portHandedOver)
        {
            Unbind(bound);
        }

        Sender.Tell(new SocketReply(message.ReqId, Errno.None, 0));
        EnterClosed(bindPending, awaitingRelease);
    }

    private void EnterClosed(bool bindPending, bool awaitingRelease)
    {
        if (!bindPending && !awaitingRelease)
        {
            ExitTs();
        }

        Become(() => Closed(bindPending, awaitingRelease));
    }

    /// <summary>Closed: every call is <see cref="Errno.EBADF"/>, arriving nodes are released, the TS exits once nothing is owed.</summary>
    private void Closed(bool bindPending, bool awaitingRelease)
    {
        Receive<BindReply>(reply =>
        {
            if (!bindPending)
            {
                return;
            }

            // Closed while the family was binding: give the port back.
            if (reply.Error == Errno.None)
            {
                Unbind(reply.Bound);
            }

            EnterClosed(bindPending: false, awaitingRelease);
        });
        Receive<StreamReleased>(_ =>
        {
            if (awaitingRelease)
            {
                EnterClosed(bindPending, awaitingRelease: false);
            }
        });
        Receive<SendReqEvent>(message =>
        {
            Release(message.Ctrn);
            Sender.Tell(SendRespEvent.Rent(message.ReqId, 0, Errno.EBADF));
        });
        Receive<SendBatchReqEvent>(batch =>
        {
            foreach (var send in batch.Sends)
            {
                Release(send.Ctrn);
                Sender.Tell(SendRespEvent.Rent(send.ReqId, 0, Errno.EBADF));
            }
        });
        Receive<DatagramReceivedEvent>(message =>
        {
            Release(message.Payload);
            Edsrt.ReturnHandled(message);
        });
        Receive<DatagramReceivedBatchEvent>(batch =>
        {
            for (int i = 0; i < batch.Count; i++)
            {
                Release(batch[i].Payload);
                Edsrt.ReturnHandled(batch[i]);
            }

            Edsrt.ReturnHandled(batch);
        });
        Receive<RecvReqEvent>(message => Sender.Tell(RecvFailed(message.ReqId, Errno.EBADF)));
        Receive<RecvBatchReqEvent>(batch =>
        {
            foreach (var recv in batch.Recvs)
            {
                Sender.Tell(RecvFailed(recv.ReqId, Errno.EBADF));
            }
        });
        Receive<AcceptReqEvent>(message => Sender.Tell(AcceptFailed(message.ReqId, Errno.EBADF)));
        Receive<GetSocketStats>(message => ReplyStats(message, SocketState.Closed));

        // The socket gave its sends up at close (the worker releases its own share); every waiter was answered then.
        Receive<XmitComplete>(_ => { });
        Receive<Ipv4Protocol.IpXmitComplete>(_ => { });
        Receive<Ipv4Protocol.IpXmitCompleteBatch>(_ => { });
        Receive<RecvCancelEvent>(_ => { });

        Receive<BindSocket>(message => Sender.Tell(BadDescriptor(message.ReqId)));
        Receive<ConnectSocket>(message => Sender.Tell(BadDescriptor(message.ReqId)));
        Receive<ListenSocket>(message => Sender.Tell(BadDescriptor(message.ReqId)));
        Receive<ShutdownSocket>(message => Sender.Tell(BadDescriptor(message.ReqId)));
        Receive<AdoptConnection>(message => Sender.Tell(BadDescriptor(message.ReqId)));
        Receive<SetSocketOption>(message => Sender.Tell(BadDescriptor(message.ReqId)));
        Receive<GetSocketOption>(message => Sender.Tell(BadDescriptor(message.ReqId)));
        Receive<CloseSocket>(message => Sender.Tell(BadDescriptor(message.ReqId)));
        ClosedProtocol();
    }

    private static SocketReply BadDescriptor(ulong reqId) => new(reqId, Errno.EBADF, 0);

    private void ExitTs()
    {
        // The runtime stops this actor as part of the TS exit, then lifts whatever is still
        // mounted in the socket's TS; awaiting it here would wait for our own stop.
        _ = Context.System.ExitTsAsync(Ts);
    }
}
