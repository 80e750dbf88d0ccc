using Edsos.Driver;
using Edsos.Memory;
using Edsos.Protocol;
using Akka.Actor;
using Edsos.Scheduler;
using Edsos.Scheduler.Faults;
using Edsos.Scheduler.Tracing;
using Edsos.SocketService.Internal;
using static Edsos.Protocol.InetProtocol;
using static Edsos.SocketService.SocketProtocol;

namespace Edsos.SocketService;

/// <summary>
/// The send half both socket kinds share: a send admitted by the subclass's checks is parked on SO_SNDBUF or handed
/// to the transmit worker (<c>XmitRequest</c> out, <c>XmitComplete</c> back, <c>send_resp_event</c> to the KPN).
/// Ownership: the socket owns the CTRN of every <see cref="SendReqEvent"/> it is given; it keeps it in
/// <c>send_q</c> until the completion (zero copy) or releases it once its bytes are in a kernel buffer (copy),
/// and shares a CTRN into the worker's TS that the <c>XmitRequest</c> hands over.
/// </summary>
public abstract partial class SockNode
{
    // What the transmit worker may do with a payload: read it (checksum, header build), share it on
    // (the merged skb goes to the driver's TS) and map it for DMA.
    private const Rights TxRights = Rights.Read | Rights.Share | Rights.Map;

    private readonly string _txPrefix;

    // The sends of one batch (a ring submission, or the parked sends a batch of completions frees) reach the
    // transmit worker in one XmitBatchRequest.
    private readonly BatchOutbox<XmitBatchRequest, XmitRequest> _toTx = new();

    /// <summary>
    /// Starts collecting the transmit requests of a burst (a batch of sends or of completions): until the matching
    /// <see cref="EndTransmitBatch"/> they go to the transmit worker in one <see cref="XmitBatchRequest"/>, when it takes
    /// batches (<see cref="SockNodeOptions.TxBatches"/>).
    /// </summary>
    private protected void BeginTransmitBatch()
    {
        if (Options.TxBatches)
        {
            _toTx.Open();
        }
    }

    /// <summary>Hands the burst's transmit requests to the worker (one alone as itself); call it in a <c>finally</c>.</summary>
    private protected void EndTransmitBatch() => _toTx.Flush(Self);

    /// <summary>Refuses a send: releases its CTRN and answers <paramref name="error"/>.</summary>
    private protected void RejectSend(SendReqEvent message, IActorRef replyTo, Errno error)
    {
        Release(message.Ctrn);
        replyTo.Tell(SendRespEvent.Rent(message.ReqId, 0, error));
    }

    /// <summary>
    /// Queues an admitted send to <paramref name="destination"/>: parked behind earlier ones or for SO_SNDBUF room
    /// (a non-blocking one is refused with <see cref="Errno.EAGAIN"/>), else transmitted now.
    /// </summary>
    private protected void Enqueue(SendReqEvent message, IActorRef replyTo, Ipv4Endpoint destination)
    {
        if (Sends.MustWait(message.Length))
        {
            if (message.NonBlocking)
            {
                RejectSend(message, replyTo, Errno.EAGAIN);
                return;
            }

            Sends.Park(new ParkedSend(message.ReqId, message.Ctrn, message.Length, destination, replyTo, message.AnswerQueued));
            return;
        }

        Transmit(message.ReqId, message.Ctrn, message.Length, destination, replyTo, message.AnswerQueued);
    }

    /// <summary>
    /// Hands the transmit worker its share of a send: <c>XmitRequest</c> naming the send by <paramref name="xmitId"/>.
    /// The stream socket overrides it to name its connection (see <c>StreamSocket.Tcp.cs</c>).
    /// </summary>
    private protected virtual void TellTransmit(ulong xmitId, Capability share, int length, Ipv4Endpoint destination)
    {
        var request = XmitRequest.Rent(requestId: xmitId, payload: share, length: length, source: Local, destination: destination, replyTo: Self);
        if (!_toTx.TryAdd(Options.TxWorker, request))
        {
            Options.TxWorker.Tell(request, Self);
        }
    }

    /// <summary>Fails every parked send with <paramref name="error"/>, releasing its CTRN.</summary>
    private protected void FailParked(Errno error)
    {
        while (Sends.TryDrainParked(out var parked))
        {
            Release(parked.Ctrn);
            parked.ReplyTo.Tell(SendRespEvent.Rent(parked.ReqId, 0, error));
        }
    }

    private void Transmit(ulong reqId, Capability ctrn, int length, Ipv4Endpoint destination, IActorRef replyTo, bool answerQueued)
    {
        var xmitId = Sends.NextXmitId();
        Capability own;
        if (Options.Mode == DataPathMode.ZeroCopy)
        {
            own = ctrn;
        }
        else
        {
            // Copy mode: the user's CTRN goes as soon as its bytes are in the kernel buffer (or could not be).
            var copied = CopyIntoKernelBuffer(xmitId, ctrn, length);
            Release(ctrn);
            if (!copied.IsOk)
            {
                replyTo.Tell(SendRespEvent.Rent(reqId, 0, MemoryErrno.From(copied.Error)));
                return;
            }

            own = copied.Value;
        }

        var share = ShareToTx(xmitId, own, length);
        if (!share.IsOk)
        {
            // Nothing reached the worker: the send fails, in either mode, before anyone was answered.
            Release(own);
            replyTo.Tell(SendRespEvent.Rent(reqId, 0, MemoryErrno.From(share.Error)));
            return;
        }

        // Copy mode answers once the data is in the kernel buffer, as Linux's sendmsg does; zero copy at the completion,
        // or now for MSG_ZEROCOPY (answerQueued): the pages stay shared until the completion, copy-on-write for the app.
        bool answered = Options.Mode == DataPathMode.Copy || answerQueued;
        if (answered)
        {
            // Traced as the completion's answer is: in a console cluster it takes the same lane back to the KPN.
            replyTo.TellTraced(SendRespEvent.Rent(reqId, length, Errno.None));
        }

        Sends.Launch(xmitId, new InFlightSend(reqId, own, length, replyTo, answered));
        Context.System.Faults.Hit(SocketFaultPoints.SocketQueue, Ts, own, FaultKind.TsExit | FaultKind.SocketClose);
        TellTransmit(xmitId, share.Value, length, destination);
    }

    private MemoryResult<Capability> CopyIntoKernelBuffer(ulong xmitId, Capability ctrn, int length)
    {
        // Not zeroed: the copy below writes every byte of it, and on failure it is released unseen (Linux's copy path
        // does not clear an skb's data either; clearing it cost copy mode a third pass over the payload).
        var pushed = Memory.PushUnzeroed(Ts, $"send_q/k{xmitId}", length, Rights.All);
        if (!pushed.IsOk)
        {
            return pushed;
        }

        var copied = PayloadCopy.Run(Memory, Ts, ctrn, length, Ts, pushed.Value, 0);
        if (!copied.IsOk)
        {
            Release(pushed.Value);
            return copied;
        }

        return pushed;
    }

    // The whole node from its first byte: the share by offset finds the node's GVA under its own lock (no Locate first).
    // Named sock_0x…/<xmitId> by the numbered form, so no name string is made per datagram.
    private MemoryResult<Capability> ShareToTx(ulong xmitId, Capability own, int length)
        => Memory.CtShare(Ts, own, offset: 0, length, Options.TxTs, _txPrefix, xmitId, TxRights);

    private void OnXmitComplete(ulong requestId, int bytesSent, Errno error)
    {
        if (!Sends.TryComplete(requestId, error == Errno.None, out var sent))
        {
            // Late completion of a send the socket already gave up.
            return;
        }

        Release(sent.Own);
        if (error != Errno.None && (sent.Replied || KeepsTransmitErrors))
        {
            // Copy mode answered already; a connected socket also keeps the error, like an ICMP
            // error on a connected Linux UDP socket.
            SoError = error;
        }

        if (!sent.Replied)
        {
            var bytes = error == Errno.None ? bytesSent : 0;
            var answer = SendRespEvent.Rent(sent.ReqId, bytes, error);
            if (!_sendAnswers.TryAdd(sent.ReplyTo, answer))
            {
                sent.ReplyTo.TellTraced(answer);
            }
        }

        PumpParked();
    }

    /// <summary>Whether a failed transmission also sets SO_ERROR on this socket (a connected one).</summary>
    private protected abstract bool KeepsTransmitErrors { get; }

    private void PumpParked()
    {
        while (Sends.TryTakeParked(out var next))
        {
            Transmit(next.ReqId, next.Ctrn, next.Length, next.Destination, next.ReplyTo, next.AnswerQueued);
        }
    }

    private void CloseSendQueue()
    {
        FailParked(Errno.EBADF);

        // The transmit worker keeps its own share until its completion; the socket's node goes now.
        while (Sends.TryDrainInFlight(out var sent))
        {
            Release(sent.Own);
            if (!sent.Replied)
            {
                sent.ReplyTo.Tell(SendRespEvent.Rent(sent.ReqId, 0, Errno.EBADF));
            }
        }
    }
}
