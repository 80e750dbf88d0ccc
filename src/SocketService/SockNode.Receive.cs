using Edsos.Memory;
using Edsos.Protocol;
using Akka.Actor;
using Edsos.Scheduler;
using Edsos.Scheduler.Faults;
using Edsos.SocketService.Internal;
using static Edsos.Protocol.InetProtocol;
using static Edsos.SocketService.SocketProtocol;

namespace Edsos.SocketService;

/// <summary>The receive half: datagrams in from the receive worker, handed to the KPN (copy) or the user (zero copy).</summary>
public sealed partial class SockNode
{
    // Zero-copy receive: the app may read the buffer, send it on (share, map for DMA), never write it.
    private const Rights UserRecvRights = Rights.Read | Rights.Share | Rights.Map;

    private readonly Queue<QueuedDatagram> _received = new();
    private readonly Queue<RecvWaiter> _recvWaiters = new();
    private int _receiveQueuedBytes;
    private ulong _recvSeq;
    private long _datagramsReceived;
    private long _datagramsDropped;

    private void OnDatagram(DatagramReceivedEvent message)
    {
        if (IsClosed)
        {
            Drop(message.Payload);
            return;
        }

        _datagramsReceived++;
        if (_isStream)
        {
            OnStreamData(message);
            return;
        }

        var datagram = new QueuedDatagram(message.Payload, message.Length, message.From);
        if (_recvWaiters.Count > 0)
        {
            Deliver(_recvWaiters.Dequeue(), datagram);
            return;
        }

        if ((long)_receiveQueuedBytes + message.Length > _receiveBuffer)
        {
            // SO_RCVBUF is full: UDP drops (Linux counts it in RcvbufErrors).
            Drop(message.Payload);
            _datagramsDropped++;
            return;
        }

        _received.Enqueue(datagram);
        _receiveQueuedBytes += message.Length;
        Context.System.Faults.Hit(SocketFaultPoints.RxSocketQueue, _ts, message.Payload, FaultKind.TsExit | FaultKind.SocketClose);
    }

    private void OnRecv(RecvReqEvent message)
    {
        var waiter = new RecvWaiter(message.ReqId, message.Mode, message.Target, Sender);
        if (IsClosed)
        {
            Sender.Tell(new RecvRespEvent(message.ReqId, Errno.EBADF, default, 0, default));
            return;
        }

        if (_isStream)
        {
            OnStreamRecv(message, waiter);
            return;
        }

        if (_received.Count > 0)
        {
            var datagram = _received.Dequeue();
            _receiveQueuedBytes -= datagram.Length;
            Deliver(waiter, datagram);
            return;
        }

        if (message.NonBlocking)
        {
            Sender.Tell(new RecvRespEvent(message.ReqId, Errno.EAGAIN, default, 0, default));
            return;
        }

        _recvWaiters.Enqueue(waiter);
    }

    private void OnRecvCancel(RecvCancelEvent message)
    {
        // Rotate the queue once, leaving out the cancelled waiter (and, on a stream, its length limit, kept in
        // the same order), so the order of the others is unchanged.
        int count = _recvWaiters.Count;
        for (int i = 0; i < count; i++)
        {
            var waiter = _recvWaiters.Dequeue();
            int maxLength = _isStream && _streamMaxLengths.Count > 0 ? _streamMaxLengths.Dequeue() : 0;
            if (waiter.ReqId == message.ReqId)
            {
                waiter.ReplyTo.Tell(new RecvRespEvent(waiter.ReqId, Errno.EINTR, default, 0, default));
                continue;
            }

            _recvWaiters.Enqueue(waiter);
            if (_isStream)
            {
                _streamMaxLengths.Enqueue(maxLength);
            }
        }
    }

    private void Deliver(RecvWaiter waiter, QueuedDatagram datagram)
    {
        if (datagram.Length == 0)
        {
            // An empty datagram is legal UDP (RFC 768) and carries no node: recv returns 0 bytes.
            waiter.ReplyTo.Tell(new RecvRespEvent(waiter.ReqId, Errno.None, default, 0, datagram.From));
            return;
        }

        var name = $"recv/sock_0x{_options.SocketId:X4}_{++_recvSeq}";
        MemoryResult<Capability> handed;
        if (waiter.Mode == RecvMode.ZeroCopy)
        {
            // Grant consumes the socket's node: the buffer becomes the app's, and only the app's
            // exit revokes it from now on.
            handed = _memory.Grant(_ts, datagram.Payload, waiter.Target, name, UserRecvRights & datagram.Payload.Rights);
        }
        else
        {
            var info = _memory.Locate(_ts, datagram.Payload);
            handed = info.IsOk
                ? _memory.CtShare(_ts, datagram.Payload, info.Value.Gva, datagram.Length, waiter.Target, name, Rights.Read)
                : info.AsResult();

            // The socket's own reference goes whether or not the share was made.
            Drop(datagram.Payload);
        }

        if (!handed.IsOk)
        {
            // The target cannot take it (its TS exited, or the payload was revoked): the datagram is lost.
            // A failed grant leaves the node with the socket; a copy-mode share already dropped it above.
            if (waiter.Mode == RecvMode.ZeroCopy)
            {
                Drop(datagram.Payload);
            }

            waiter.ReplyTo.Tell(new RecvRespEvent(waiter.ReqId, Errno.EFAULT, default, 0, default));
            return;
        }

        waiter.ReplyTo.Tell(new RecvRespEvent(waiter.ReqId, Errno.None, handed.Value, datagram.Length, datagram.From));
    }

    private void CloseReceiveQueue()
    {
        while (_recvWaiters.Count > 0)
        {
            var waiter = _recvWaiters.Dequeue();
            waiter.ReplyTo.Tell(new RecvRespEvent(waiter.ReqId, Errno.EBADF, default, 0, default));
        }

        while (_received.Count > 0)
        {
            Drop(_received.Dequeue().Payload);
        }

        if (_streamFront is { } front)
        {
            Drop(front.Payload);
            _streamFront = null;
        }

        _receiveQueuedBytes = 0;
    }
}
