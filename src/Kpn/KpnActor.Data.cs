using Edsos.Kpn.Internal;
using Edsos.Memory;
using Edsos.Protocol;
using Akka.Actor;
using Edsos.Scheduler;
using Edsos.Scheduler.Faults;
using Edsos.Scheduler.Tracing;
using Edsos.SocketService;
using static Edsos.Kpn.KpnProtocol;
using static Edsos.SocketService.SocketProtocol;

namespace Edsos.Kpn;

/// <summary>
/// The data calls: <c>send</c>/<c>sendto</c> (seed 000 stage 1: checks, the TLB check, the share into the socket's
/// <c>send_q</c>), classic <c>recvfrom</c> (the one counted copy) and the zero-copy receive, and a receive its caller
/// gave up on. Who owns what: the share made for a send is the socket's from the moment it is sent; a datagram shared
/// into the KPN's TS for <c>recvfrom</c> is the KPN's until it has copied it; a zero-copy datagram is the app's.
/// </summary>
public sealed partial class KpnActor
{
    // The socket may read the bytes, share them on to the transmit worker and let it map them for DMA.
    private const Rights SendShareRights = Rights.Read | Rights.Share | Rights.Map;

    private void OnSendTo(SendTo call) => StartSend(call.Fd, call.Buffer, call.Length, call.Destination, call.Flags, Sender, batch: null);

    /// <summary>
    /// A send, from a syscall or a ring entry: answered on <paramref name="replyTo"/>. With a <paramref name="batch"/>
    /// the socket's <see cref="SendReqEvent"/> joins it instead of being sent now (a ring submission sends each
    /// socket its sends together).
    /// </summary>
    private void StartSend(int fd, Gva buffer, int length, Ipv4Endpoint? destination, MsgFlags flags, IActorRef replyTo, SocketBatcher? batch)
    {
        // Seed 000 stage 1: descriptor, size and destination first (cheap, nothing touched), then
        // the TLB check on the buffer, then the share.
        if (!_fds.TryGetValue(fd, out var entry) || entry.Dead)
        {
            replyTo.Tell(SysResult.Fail(entry is null ? Errno.EBADF : Errno.ENETDOWN));
            return;
        }

        var error = length switch
        {
            < 0 => Errno.EINVAL,
            > MaxUdpPayload when !entry.Stream => Errno.EMSGSIZE,
            // A CTRN has at least one byte; an empty datagram cannot be shared.
            0 => Errno.EINVAL,
            _ => destination is null && !entry.Connected && !entry.Stream ? Errno.EDESTADDRREQ : Errno.None,
        };
        if (error != Errno.None)
        {
            replyTo.Tell(SysResult.Fail(error));
            return;
        }

        var hit = _memory.Translate(_userTs, buffer, length, Rights.Read);
        if (!hit.IsOk)
        {
            replyTo.Tell(SysResult.Fail(Errno.EFAULT));
            return;
        }

        var reqId = ++_nextReqId;
        // Named send_q/<reqId> by the numbered form: no name string per send.
        var ctrn = _memory.CtShare(_userTs, hit.Value.Node, buffer, length, entry.Ts, "send_q/", reqId, SendShareRights);
        if (!ctrn.IsOk)
        {
            // The socket's TS is gone while its descriptor is open: the socket died under us (in a console cluster its
            // net process died and a survivor reaped its TSs before this KPN heard NetDown), so the call fails as it
            // will once NetDown comes, ENETDOWN, not EBADF (the descriptor is valid; a caller that took EBADF as "my
            // bug" would not reopen). Otherwise the buffer cannot be shared.
            replyTo.Tell(SysResult.Fail(ctrn.Error is MemoryError.TsExited or MemoryError.NoSuchTs ? Errno.ENETDOWN : Errno.EFAULT));
            return;
        }

        _pending.Add(reqId, new PendingCall(CallKind.Send, replyTo, fd, Length: length));

        // Never waits: a ts-exit fired here exits this very KPN's subtree asynchronously.
        Context.System.Faults.Hit(KpnFaultPoints.KpnShare, entry.Ts, ctrn.Value, FaultKind.TsExit | FaultKind.SocketClose);
        var nonBlocking = entry.NonBlocking || (flags & MsgFlags.DontWait) != 0;

        // The CTRN is mounted in the socket's TS: it is the socket's from here on, on every path.
        var request = SendReqEvent.Rent(
            reqId: reqId, ctrn: ctrn.Value, length: length, destination: destination, nonBlocking: nonBlocking,
            answerQueued: (flags & MsgFlags.ZeroCopy) != 0);
        if (batch is null)
        {
            entry.Node.TellTraced(request, Self);
        }
        else
        {
            batch.AddSend(entry.Node, request);
        }
    }

    private void OnRecvFrom(RecvFrom call) => StartRecvFrom(call.Fd, call.Buffer, call.Length, call.Flags, call.CallId, Sender, batch: null);

    /// <summary>A classic receive, from a syscall or a ring entry (its socket's event joining <paramref name="batch"/>): answered on <paramref name="replyTo"/>.</summary>
    private void StartRecvFrom(int fd, Gva buffer, int length, MsgFlags flags, ulong callId, IActorRef replyTo, SocketBatcher? batch)
    {
        if (!_fds.TryGetValue(fd, out var entry) || entry.Dead)
        {
            replyTo.Tell(RecvResult.Fail(entry is null ? Errno.EBADF : Errno.ENETDOWN));
            return;
        }

        if (length < 0)
        {
            replyTo.Tell(RecvResult.Fail(Errno.EINVAL));
            return;
        }

        // Check the buffer before a datagram is taken off the queue for it (checked again at the copy).
        if (length > 0 && !_memory.Translate(_userTs, buffer, length, Rights.Write).IsOk)
        {
            replyTo.Tell(RecvResult.Fail(Errno.EFAULT));
            return;
        }

        if (entry.Stream && length == 0)
        {
            // A zero-length read of a stream reads nothing and consumes nothing.
            replyTo.Tell(new RecvResult(0, Errno.None, default));
            return;
        }

        var reqId = Track(new PendingCall(CallKind.RecvCopy, replyTo, fd, buffer, length, CallId: callId));
        var nonBlocking = entry.NonBlocking || (flags & MsgFlags.DontWait) != 0;
        TellRecv(entry, RecvReqEvent.Rent(reqId: reqId, mode: RecvMode.Copy, target: _kpnTs, nonBlocking: nonBlocking, maxLength: entry.Stream ? length : 0), batch);
    }

    private void OnRecvZeroCopy(RecvZeroCopy call) => StartRecvZeroCopy(call.Fd, call.Flags, call.CallId, Sender, batch: null);

    /// <summary>A zero-copy receive, from a syscall or a ring entry (its socket's event joining <paramref name="batch"/>): answered on <paramref name="replyTo"/>.</summary>
    private void StartRecvZeroCopy(int fd, MsgFlags flags, ulong callId, IActorRef replyTo, SocketBatcher? batch)
    {
        if (!_fds.TryGetValue(fd, out var entry) || entry.Dead)
        {
            replyTo.Tell(ZeroCopyRecv.Fail(entry is null ? Errno.EBADF : Errno.ENETDOWN));
            return;
        }

        if (_options.Mode == DataPathMode.Copy)
        {
            replyTo.Tell(ZeroCopyRecv.Fail(Errno.EOPNOTSUPP));
            return;
        }

        var reqId = Track(new PendingCall(CallKind.RecvZeroCopy, replyTo, fd, CallId: callId));
        var nonBlocking = entry.NonBlocking || (flags & MsgFlags.DontWait) != 0;
        TellRecv(entry, RecvReqEvent.Rent(reqId: reqId, mode: RecvMode.ZeroCopy, target: _userTs, nonBlocking: nonBlocking), batch);
    }

    private void TellRecv(FdEntry entry, RecvReqEvent request, SocketBatcher? batch)
    {
        if (batch is null)
        {
            entry.Node.TellTraced(request, Self);
        }
        else
        {
            batch.AddRecv(entry.Node, request);
        }
    }

    private void OnCancelRecv(CancelRecv cancel)
    {
        if (cancel.CallId == 0 || !_fds.TryGetValue(cancel.Fd, out var entry))
        {
            return;
        }

        ulong cancelled = 0;
        foreach (var (reqId, call) in _pending)
        {
            if (!call.Cancelled && call.CallId == cancel.CallId && call.Fd == cancel.Fd && call.Kind is CallKind.RecvCopy or CallKind.RecvZeroCopy)
            {
                cancelled = reqId;
                break;
            }
        }

        if (cancelled == 0)
        {
            return;
        }

        // The call stays (marked) until the socket answers: EINTR if it still held the waiter, else the datagram it
        // had already handed over, which OnRecvResp releases in the TS that owns it by the call's kind.
        _pending[cancelled] = _pending[cancelled] with { Cancelled = true };
        entry.Node.TellTraced(new RecvCancelEvent(cancelled), Self);
    }

    private void OnSendResp(SendRespEvent reply)
    {
        if (!_pending.Remove(reply.ReqId, out var call))
        {
            return;
        }

        // Seed 000 stage 5: send_resp_event carries the byte count back to the caller (a ring operation's straight
        // into its completion entry: nothing boxed per send).
        if (call.ReplyTo is RingOpCompletion op)
        {
            op.Complete(reply.Error == Errno.None ? SysResult.Ok(reply.Bytes) : SysResult.Fail(reply.Error));
            return;
        }

        call.ReplyTo.Tell(reply.Error == Errno.None ? SysResult.BoxedOk(reply.Bytes) : SysResult.Fail(reply.Error));
    }

    private void OnRecvResp(RecvRespEvent reply)
    {
        if (!_pending.Remove(reply.ReqId, out var call))
        {
            return;
        }

        // A datagram in the reply has one owner: the KPN for a copy-mode receive (shared into its TS), the app for a
        // zero-copy one (granted into the user's TS).
        var owner = call.Kind == CallKind.RecvCopy ? _kpnTs : _userTs;
        if (call.Cancelled)
        {
            // Nobody waits any more: what the socket handed over must not stay mounted. The KPN releases it as the
            // owner (for a zero-copy datagram, on behalf of the app it was granted to and that never saw it).
            if (reply.Error == Errno.None && reply.Length > 0)
            {
                _memory.Release(owner, reply.Data);
            }

            return;
        }

        if (reply.Error != Errno.None)
        {
            Fail(call, reply.Error);
            return;
        }

        if (call.Kind == CallKind.RecvZeroCopy)
        {
            DeliverZeroCopy(call, reply);
            return;
        }

        CopyToUser(call, reply);
    }

    private void DeliverZeroCopy(PendingCall call, RecvRespEvent reply)
    {
        if (reply.Length == 0)
        {
            // An empty datagram, or the end of a stream: nothing to map.
            call.ReplyTo.Tell(new ZeroCopyRecv(Errno.None, null, 0, reply.From));
            return;
        }

        var info = _memory.Locate(_userTs, reply.Data);
        if (!info.IsOk)
        {
            // Granted but already revoked (the process is exiting): release the grant once, as its owner.
            _memory.Release(_userTs, reply.Data);
            call.ReplyTo.Tell(ZeroCopyRecv.Fail(Errno.EFAULT));
            return;
        }

        // The node is the app's from here on (it frees it with Libc.Free). A ring operation's goes straight into its
        // completion entry.
        if (call.ReplyTo is RingOpCompletion op)
        {
            op.CompleteReceived(reply.Length, reply.From, reply.Data, info.Value.Gva);
            return;
        }

        call.ReplyTo.Tell(new ZeroCopyRecv(Errno.None, new UserBuffer(reply.Data, info.Value.Gva, reply.Length), reply.Length, reply.From));
    }

    private void CopyToUser(PendingCall call, RecvRespEvent reply)
    {
        // Classic recvfrom: the one counted copy, from the datagram shared into the KPN's TS to
        // the user's buffer, truncated to the buffer like UDP. The KPN owns its share and releases it
        // at the end of this scope on every path (an empty datagram or end of stream carries none).
        var data = reply.Data;
        using var held = _memory.Own(_kpnTs, ref data);
        var length = Math.Min(call.Length, reply.Length);
        var result = new RecvResult(length, Errno.None, reply.From);
        if (length > 0)
        {
            var hit = _memory.Translate(_userTs, call.Buffer, length, Rights.Write);
            var copied = hit.IsOk
                ? PayloadCopy.Run(_memory, _kpnTs, held.Node, length, _userTs, hit.Value.Node, hit.Value.Offset)
                : hit.AsResult();
            if (!copied.IsOk)
            {
                result = RecvResult.Fail(Errno.EFAULT);
            }
        }

        call.ReplyTo.Tell(result);
    }
}
