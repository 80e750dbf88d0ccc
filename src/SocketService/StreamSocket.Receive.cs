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
/// The stream socket's receive side and the ends of a connection: in-order bytes from TCP, receives (split in copy
/// mode so a small buffer loses nothing), the peer's FIN, a connection error, <c>shutdown</c>, and the receive side's
/// close. The rules are <see cref="StreamReceiveQueue"/>'s; this file moves nodes and answers.
/// </summary>
public sealed partial class StreamSocket
{
    // The node a zero-copy read's joined segments become, until it is granted to the app under its own name.
    private const string JoinedNodeName = "recv-join";

    private void OnData(DatagramReceivedEvent message)
    {
        var data = new QueuedDatagram(message.Payload, message.Length, message.From);
        switch (_received.Arrive(data, out var waiter))
        {
            case StreamArrival.Discard:
                Release(message.Payload);
                TellConsumed(message.Length);
                break;
            case StreamArrival.HandToWaiter:
                DeliverSplit(waiter, data);
                break;
            case StreamArrival.Queued:
                // The stream's dual of the datagram point: data no reader took yet waits in the receive queue.
                Context.System.Faults.Hit(SocketFaultPoints.RxSocketQueue, Ts, message.Payload, FaultKind.TsExit | FaultKind.SocketClose);
                break;
        }
    }

    /// <summary>
    /// The data of one receive poll, from TCP in one event: every segment is queued before a waiting read is answered,
    /// so the read takes the poll's bytes together (joined, no copy) rather than the first segment alone.
    /// </summary>
    private void OnDataBurst(DatagramReceivedBatchEvent burst)
    {
        for (int i = 0; i < burst.Count; i++)
        {
            var message = burst[i];
            var data = new QueuedDatagram(message.Payload, message.Length, message.From);
            switch (_received.ArriveInBurst(data))
            {
                case StreamArrival.Discard:
                    Release(message.Payload);
                    TellConsumed(message.Length);
                    break;
                case StreamArrival.Queued:
                    Context.System.Faults.Hit(SocketFaultPoints.RxSocketQueue, Ts, message.Payload, FaultKind.TsExit | FaultKind.SocketClose);
                    break;
            }

            Edsrt.ReturnHandled(message);
        }

        while (_received.TryServe(out var waiter, out var first))
        {
            DeliverSplit(waiter, first);
        }

        Edsrt.ReturnHandled(burst);
    }

    private void OnRecv(RecvReqEvent message, bool connected)
    {
        var waiter = new RecvWaiter(message.ReqId, message.Mode, message.Target, Sender, message.MaxLength);
        switch (_received.Request(waiter, message.NonBlocking, connected, out var data))
        {
            case RecvOutcome.Deliver:
                DeliverSplit(waiter, data);
                break;
            case RecvOutcome.Failed:
                Sender.Tell(RecvFailed(message.ReqId, _received.Error));
                break;
            case RecvOutcome.EndOfStream:
                Sender.Tell(EndOfStream(message.ReqId));
                break;
            case RecvOutcome.NotConnected:
                Sender.Tell(RecvFailed(message.ReqId, Errno.ENOTCONN));
                break;
            case RecvOutcome.WouldBlock:
                Sender.Tell(RecvFailed(message.ReqId, Errno.EAGAIN));
                break;
        }
    }

    /// <summary>
    /// Hands <paramref name="data"/> to <paramref name="waiter"/>, cut to its buffer in copy mode (divide, no copy: the
    /// rest stays first in line), and tells TCP the window opens by what was handed over.
    /// </summary>
    private void DeliverSplit(in RecvWaiter waiter, QueuedDatagram data)
    {
        data = JoinQueued(data, StreamReceiveQueue.JoinLimit(waiter));
        int limit = StreamReceiveQueue.SplitAt(waiter, data.Length);
        if (limit > 0)
        {
            // Divide consumes the node and makes two, both this socket's; a failed divide leaves it whole.
            var cut = Memory.Divide(Ts, data.Payload, limit);
            if (cut.IsOk)
            {
                _received.PutBackFront(new QueuedDatagram(cut.Value.Tail, data.Length - limit, data.From));
                data = new QueuedDatagram(cut.Value.Head, limit, data.From);
            }
        }

        TellConsumed(data.Length);
        if (Deliver(waiter, data, revoked: Errno.ENETDOWN) == Errno.ENETDOWN && Remote is not null)
        {
            // Bytes TCP has acknowledged are gone (their pages' origin, the NIC driver's RX buffers, was revoked when the
            // driver died): the stream cannot go on with a hole in it. Every later call fails ENETDOWN and TCP resets the
            // connection, as the app's close would have.
            OnStreamError(Errno.ENETDOWN);
            Options.TxWorker.Tell(new StreamClose(_connectionId, Abort: true), Self);
        }
    }

    /// <summary>
    /// A read takes every unread byte its buffer holds, as Linux's <c>tcp_recvmsg</c> does: the segments queued behind
    /// <paramref name="data"/> are joined onto it (<c>merge</c>: their extents linked, nothing copied) until they reach
    /// <paramref name="limit"/>, the last one whole (the caller's split divides it at the limit, the rest staying first in
    /// line), so a zero-copy app gets them in one node it can send on in one write, and a copy read fills its buffer in one
    /// copy. Merge consumes both nodes (the joined one is this socket's) or neither: a segment that cannot be joined (a
    /// node's page or origin limit) stays first in line.
    /// </summary>
    private QueuedDatagram JoinQueued(QueuedDatagram data, int limit)
    {
        while (_received.TryTakeForRoom(limit - data.Length, out var next))
        {
            var joined = Memory.Merge(Ts, data.Payload, next.Payload, JoinedNodeName);
            if (!joined.IsOk)
            {
                _received.PutBackFront(next);
                break;
            }

            data = new QueuedDatagram(joined.Value, data.Length + next.Length, data.From);
        }

        return data;
    }

    private RecvRespEvent EndOfStream(ulong reqId) => new(ReqId: reqId, Error: Errno.None, Data: default, Length: 0, From: Remote ?? default);

    private void OnEof()
    {
        if (_received.MarkEof())
        {
            AnswerReadersAtEnd();
        }
    }

    private void OnStreamError(Errno error)
    {
        _received.Fail(error);
        SoError = error;
        while (_received.TryTakeWaiter(out var waiter))
        {
            waiter.ReplyTo.Tell(RecvFailed(waiter.ReqId, error));
        }

        FailParked(error);
    }

    private void AnswerReadersAtEnd()
    {
        while (_received.TryTakeWaiter(out var waiter))
        {
            waiter.ReplyTo.Tell(EndOfStream(waiter.ReqId));
        }
    }

    /// <summary><c>shutdown(how)</c> on a connected socket: SHUT_RD ends the reads, SHUT_WR sends a FIN after the queued data.</summary>
    private void Shutdown(ShutdownSocket message, bool writeShut)
    {
        if (message.How is 0 or 2)
        {
            _received.ShutRead();
            AnswerReadersAtEnd();
        }

        if (message.How is 1 or 2 && !writeShut)
        {
            TellShutdown();
            Become(() => Connected(writeShut: true));
        }

        Sender.Tell(new SocketReply(message.ReqId, Errno.None, 0));
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
        while (_received.TryTakeWaiter(out var waiter))
        {
            waiter.ReplyTo.Tell(RecvFailed(waiter.ReqId, Errno.EBADF));
        }

        while (_received.TryTake(out var data))
        {
            Release(data.Payload);
        }
    }
}
