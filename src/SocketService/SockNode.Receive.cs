using Edsos.Memory;
using Edsos.Protocol;
using Akka.Actor;
using Edsos.Scheduler;
using Edsos.Scheduler.Tracing;
using Edsos.SocketService.Internal;
using static Edsos.SocketService.SocketProtocol;

namespace Edsos.SocketService;

/// <summary>The hand-over of received data both socket kinds share: to the KPN (copy) or the user (zero copy).</summary>
public abstract partial class SockNode
{
    // Zero-copy receive: the app may read the buffer, send it on (share, map for DMA), never write it.
    private const Rights UserRecvRights = Rights.Read | Rights.Share | Rights.Map;

    private ulong _recvSeq;

    /// <summary>A receive that ends without data: <paramref name="error"/>, no node.</summary>
    private protected static RecvRespEvent RecvFailed(ulong reqId, Errno error)
        => new(ReqId: reqId, Error: error, Data: default, Length: 0, From: default);

    /// <summary>An accept that ends without a connection: <paramref name="error"/>.</summary>
    private protected static AcceptRespEvent AcceptFailed(ulong reqId, Errno error)
        => new(ReqId: reqId, Error: error, ConnectionId: 0, Local: default, Remote: default);

    /// <summary>
    /// Hands <paramref name="data"/>, which this socket owns, to <paramref name="waiter"/> and answers it.
    /// <see cref="RecvMode.ZeroCopy"/> grants the node to the user's TS (the grant consumes the socket's node: the
    /// buffer becomes the app's); <see cref="RecvMode.Copy"/> shares it read-only into the KPN's TS and releases the
    /// socket's own. On every failure the socket's node is released once and the data is lost: the receive is answered
    /// <see cref="Errno.EFAULT"/> when the target's TS is gone (the caller exited), else <paramref name="revoked"/> (the
    /// payload itself was revoked: its origin, the NIC driver's TS, exited; a datagram socket's EFAULT). Returns the
    /// errno answered, <see cref="Errno.None"/> when handed over.
    /// </summary>
    private protected Errno Deliver(in RecvWaiter waiter, in QueuedDatagram data, Errno revoked = Errno.EFAULT)
    {
        if (data.Length == 0)
        {
            // An empty datagram is legal UDP (RFC 768) and carries no node: recv returns 0 bytes.
            Answer(waiter.ReplyTo, RecvRespEvent.Rent(reqId: waiter.ReqId, error: Errno.None, data: default, length: 0, from: data.From), traced: false);
            return Errno.None;
        }

        var payload = data.Payload;
        using var held = Memory.Own(Ts, ref payload);
        // The node is named recv/sock_0x…_<seq> by the numbered forms: no name string per delivery.
        ulong seq = ++_recvSeq;
        MemoryResult<Capability> handed;
        if (waiter.Mode == RecvMode.ZeroCopy)
        {
            handed = Memory.Grant(Ts, held.Node, waiter.Target, _recvPrefix, seq, UserRecvRights & held.Node.Rights);
            if (handed.IsOk)
            {
                // Consumed by the grant: the app owns the buffer now, and only its exit revokes it.
                _ = held.Transfer();
            }
        }
        else
        {
            handed = Memory.CtShare(Ts, held.Node, 0, data.Length, waiter.Target, _recvPrefix, seq, Rights.Read);
        }

        if (!handed.IsOk)
        {
            var error = handed.Error is MemoryError.TsExited or MemoryError.NoSuchTs ? Errno.EFAULT : revoked;
            Answer(waiter.ReplyTo, RecvFailed(waiter.ReqId, error), traced: false);
            return error;
        }

        Answer(waiter.ReplyTo, RecvRespEvent.Rent(reqId: waiter.ReqId, error: Errno.None, data: handed.Value, length: data.Length, from: data.From), traced: true);
        return Errno.None;
    }

    /// <summary>
    /// Answers a delivery: into the burst's <see cref="RecvRespBatchEvent"/> when one is open (every delivery's answer,
    /// the empty and the failed ones too, so a KPN sees them in the order the datagrams were taken), else alone.
    /// </summary>
    private void Answer(IActorRef replyTo, RecvRespEvent answer, bool traced)
    {
        if (_recvAnswers.TryAdd(replyTo, answer))
        {
            return;
        }

        if (traced)
        {
            replyTo.TellTraced(answer);
        }
        else
        {
            replyTo.Tell(answer);
        }
    }
}
