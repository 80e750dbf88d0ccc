using Edsos.Memory;
using Edsos.Protocol;
using Akka.Actor;
using Edsos.Scheduler;
using Edsos.Scheduler.Faults;
using Edsos.SocketService.Internal;
using static Edsos.Protocol.InetProtocol;
using static Edsos.SocketService.SocketProtocol;

namespace Edsos.SocketService;

/// <summary>The send half: <c>send_req_event</c> in, <c>XmitRequest</c> out, <c>XmitComplete</c> back, <c>send_resp_event</c> to the KPN.</summary>
public sealed partial class SockNode
{
    // What the transmit worker may do with a payload: read it (checksum, header build), share it on
    // (the merged skb goes to the driver's TS) and map it for DMA.
    private const Rights TxRights = Rights.Read | Rights.Share | Rights.Map;

    private readonly Dictionary<ulong, InFlightSend> _inFlight = new();
    private readonly Queue<ParkedSend> _parked = new();
    private ulong _xmitSeq;
    private int _sendQueuedBytes;
    private long _datagramsSent;

    private void OnSend(SendReqEvent message, IActorRef replyTo)
    {
        if (IsClosed)
        {
            RejectSend(message, replyTo, Errno.EBADF);
            return;
        }

        if (_bindInFlight)
        {
            _deferred.Enqueue(new DeferredCall(message, replyTo));
            return;
        }

        if (_isStream)
        {
            OnStreamSend(message, replyTo);
            return;
        }

        Ipv4Endpoint destination;
        if (message.Destination is { } given)
        {
            destination = given;
        }
        else if (_remote is { } peer)
        {
            destination = peer;
        }
        else
        {
            RejectSend(message, replyTo, Errno.EDESTADDRREQ);
            return;
        }

        if (destination.Port == 0)
        {
            // Linux udp_sendmsg: a zero destination port is EINVAL.
            RejectSend(message, replyTo, Errno.EINVAL);
            return;
        }

        if (message.Length <= 0 || message.Length > _options.MaxPayload)
        {
            RejectSend(message, replyTo, message.Length <= 0 ? Errno.EINVAL : Errno.EMSGSIZE);
            return;
        }

        if (_state == SocketState.Unbound)
        {
            // First send on an unbound socket: bind an ephemeral port, then replay this send.
            _deferred.Enqueue(new DeferredCall(message, replyTo));
            StartBind(Ephemeral, new BindWaiter(BindPurpose.Send, message.ReqId, replyTo, default));
            return;
        }

        // FIFO: a send may not overtake one parked before it.
        if (_parked.Count > 0 || !HasRoom(message.Length))
        {
            if (message.NonBlocking)
            {
                RejectSend(message, replyTo, Errno.EAGAIN);
                return;
            }

            _parked.Enqueue(new ParkedSend(message.ReqId, message.Ctrn, message.Length, destination, replyTo));
            return;
        }

        Transmit(message.ReqId, message.Ctrn, message.Length, destination, replyTo);
    }

    /// <summary>
    /// Room in SO_SNDBUF. A datagram larger than the whole buffer still goes when nothing else is in
    /// flight; otherwise it could never be sent (Linux likewise only waits while the queue is full).
    /// </summary>
    private bool HasRoom(int length) => _sendQueuedBytes == 0 || (long)_sendQueuedBytes + length <= _sendBuffer;

    private void RejectSend(SendReqEvent message, IActorRef replyTo, Errno error)
    {
        Drop(message.Ctrn);
        replyTo.Tell(new SendRespEvent(message.ReqId, 0, error));
    }

    private void Transmit(ulong reqId, Capability ctrn, int length, Ipv4Endpoint destination, IActorRef replyTo)
    {
        var xmitId = ++_xmitSeq;
        Capability own;
        bool replied;
        if (_options.Mode == DataPathMode.ZeroCopy)
        {
            own = ctrn;
            replied = false;
        }
        else
        {
            var copied = CopyIntoKernelBuffer(xmitId, ctrn, length);
            Drop(ctrn);
            if (!copied.IsOk)
            {
                replyTo.Tell(new SendRespEvent(reqId, 0, ToErrno(copied.Error)));
                return;
            }

            own = copied.Value;
            replied = true;
        }

        var share = ShareToTx(xmitId, own, length);
        if (!share.IsOk)
        {
            Drop(own);
            var error = ToErrno(share.Error);
            if (replied)
            {
                _soError = error;
            }
            else
            {
                replyTo.Tell(new SendRespEvent(reqId, 0, error));
            }

            return;
        }

        if (replied)
        {
            // Copy mode answers once the data is in the kernel buffer, as Linux's sendmsg does.
            replyTo.Tell(new SendRespEvent(reqId, length, Errno.None));
        }

        _inFlight.Add(xmitId, new InFlightSend(reqId, own, length, replyTo, replied));
        _sendQueuedBytes += length;
        Context.System.Faults.Hit(SocketFaultPoints.SocketQueue, _ts, own, FaultKind.TsExit | FaultKind.SocketClose);
        _options.TxWorker.Tell(new XmitRequest(xmitId, share.Value, length, _local, destination, Self), Self);
    }

    private MemoryResult<Capability> CopyIntoKernelBuffer(ulong xmitId, Capability ctrn, int length)
    {
        var pushed = _memory.Push(_ts, $"send_q/k{xmitId}", length, Rights.All);
        if (!pushed.IsOk)
        {
            return pushed;
        }

        var copied = PayloadCopy.Run(_memory, _ts, ctrn, length, _ts, pushed.Value, 0);
        if (!copied.IsOk)
        {
            Drop(pushed.Value);
            return copied;
        }

        return pushed;
    }

    private MemoryResult<Capability> ShareToTx(ulong xmitId, Capability own, int length)
    {
        var info = _memory.Locate(_ts, own);
        if (!info.IsOk)
        {
            return info.AsResult();
        }

        return _memory.CtShare(_ts, own, info.Value.Gva, length, _options.TxTs, $"{_txPrefix}{xmitId}", TxRights);
    }

    private void OnXmitComplete(XmitComplete message)
    {
        if (!_inFlight.Remove(message.RequestId, out var sent))
        {
            // Late completion of a send the socket already gave up (closed).
            return;
        }

        _sendQueuedBytes -= sent.Length;
        Drop(sent.Own);
        if (message.Error == Errno.None)
        {
            _datagramsSent++;
        }
        else if (sent.Replied || _state == SocketState.Connected)
        {
            // Copy mode answered already; a connected socket also keeps the error, like an ICMP
            // error on a connected Linux UDP socket.
            _soError = message.Error;
        }

        if (!sent.Replied)
        {
            var bytes = message.Error == Errno.None ? message.Bytes : 0;
            sent.ReplyTo.Tell(new SendRespEvent(sent.ReqId, bytes, message.Error));
        }

        PumpParked();
    }

    private void PumpParked()
    {
        while (_parked.Count > 0 && HasRoom(_parked.Peek().Length))
        {
            var next = _parked.Dequeue();
            Transmit(next.ReqId, next.Ctrn, next.Length, next.Destination, next.ReplyTo);
        }
    }

    private void CloseSendQueue()
    {
        while (_parked.Count > 0)
        {
            var parked = _parked.Dequeue();
            Drop(parked.Ctrn);
            parked.ReplyTo.Tell(new SendRespEvent(parked.ReqId, 0, Errno.EBADF));
        }

        // The transmit worker keeps its own share until its completion; the socket's copy goes now.
        foreach (var sent in _inFlight.Values)
        {
            Drop(sent.Own);
            if (!sent.Replied)
            {
                sent.ReplyTo.Tell(new SendRespEvent(sent.ReqId, 0, Errno.EBADF));
            }
        }

        _inFlight.Clear();
        _sendQueuedBytes = 0;
    }

    /// <summary>Maps a memory failure on the data path to the errno the caller sees.</summary>
    private static Errno ToErrno(MemoryError error) => error switch
    {
        MemoryError.OutOfMemory => Errno.ENOBUFS,
        MemoryError.TsExited or MemoryError.NoSuchTs => Errno.EIO,
        _ => Errno.EFAULT,
    };
}
