using Edsos.Kpn.Internal;
using Edsos.Memory;
using Edsos.Protocol;
using Akka.Actor;
using Edsos.Scheduler;
using Edsos.Scheduler.Faults;
using Edsos.SocketService;
using static Edsos.Kpn.KpnProtocol;
using static Edsos.Protocol.InetProtocol;
using static Edsos.SocketService.SocketProtocol;

namespace Edsos.Kpn;

/// <summary>
/// The process's kernel proxy node (seed 000: <c>user_kpn</c>), the syscall gateway between one
/// user TS and the socket service. It keeps the descriptor table and, for each call, checks the
/// descriptor and the caller's buffers (the TLB check: a GVA outside the caller's TS, unmapped,
/// or a length past its node is EFAULT) before anything is shared. On send it <c>ct_share</c>s
/// the user's bytes under the socket's <c>send_q</c> (pushing a share, seed 000 stage 1); on
/// <c>recvfrom</c> it pulls the datagram into its own TS and copies it once into the user's
/// buffer; on a zero-copy receive the socket grants the datagram to the user directly. Answers
/// every <see cref="KpnProtocol"/> request with its reply type; errors are errno values, never
/// exceptions, and a rejected call shares nothing and leaks nothing.
/// </summary>
public sealed class KpnActor : EdsrtActor
{
    /// <summary>Largest UDP payload over IPv4: 65535 - 20 (IPv4 header) - 8 (UDP header).</summary>
    public const int MaxUdpPayload = 65507;

    /// <summary>The first descriptor handed out (0, 1, 2 are stdin, stdout, stderr).</summary>
    public const int FirstFd = 3;

    // The socket may read the bytes, share them on to the transmit worker and let it map them for DMA.
    private const Rights SendShareRights = Rights.Read | Rights.Share | Rights.Map;

    private readonly KpnOptions _options;
    private readonly MemoryManager _memory;
    private readonly TsId _userTs;
    private readonly TsId _kpnTs;
    private readonly Dictionary<int, FdEntry> _fds = new();
    private readonly Dictionary<ulong, PendingCall> _pending = new();
    private ulong _nextReqId;
    private bool _exiting;
    private IActorRef? _exitWaiter;
    private int _exitCloses;

    /// <summary>Creates the KPN of the process whose TS is <see cref="KpnOptions.UserTs"/>.</summary>
    public KpnActor(KpnOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _memory = Context.System.Memory;
        _userTs = options.UserTs;
        _kpnTs = Ts;

        Receive<KpnProtocol.Socket>(OnSocket);
        Receive<Bind>(OnBind);
        Receive<Connect>(OnConnect);
        Receive<SendTo>(OnSendTo);
        Receive<RecvFrom>(OnRecvFrom);
        Receive<RecvZeroCopy>(OnRecvZeroCopy);
        Receive<CancelRecv>(OnCancelRecv);
        Receive<Close>(OnClose);
        Receive<Listen>(OnListen);
        Receive<Accept>(OnAccept);
        Receive<Shutdown>(OnShutdown);
        Receive<AcceptRespEvent>(OnAcceptResp);
        Receive<SetNonBlocking>(OnSetNonBlocking);
        Receive<SetSockOpt>(OnSetSockOpt);
        Receive<GetSockOpt>(OnGetSockOpt);
        Receive<PingRequest>(OnPing);
        Receive<Exit>(OnExit);

        Receive<SocketCreated>(OnSocketCreated);
        Receive<SocketReply>(OnSocketReply);
        Receive<SendRespEvent>(OnSendResp);
        Receive<RecvRespEvent>(OnRecvResp);
    }

    /// <summary>Props binding the KPN to its TS <paramref name="tsPath"/> (for example <c>/user_proc/app/sysagent/kpn</c>).</summary>
    public static Props CreateProps(KpnOptions options, string tsPath)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Props.Create(() => new KpnActor(options)).WithTs(tsPath);
    }

    /// <inheritdoc />
    protected override void PostStop()
    {
        // Stopped by the process's TS exit (or a crash): nobody will wait for the sockets' answers,
        // so end every pending call now and close every socket still open. The user's CTRNs in
        // them were revoked by the lift already; the close pops what is left.
        foreach (var call in _pending.Values)
        {
            Fail(call, Errno.EINTR);
        }

        _pending.Clear();
        foreach (var entry in _fds.Values)
        {
            entry.Node.Tell(new CloseSocket(0), ActorRefs.NoSender);
        }

        _fds.Clear();
        _exitWaiter?.Tell(SysResult.Ok(0));
    }

    private void OnSocket(KpnProtocol.Socket call)
    {
        if (_exiting)
        {
            Sender.Tell(SysResult.Fail(Errno.EINTR));
            return;
        }

        if (_fds.Count + CountPending(CallKind.Socket) >= _options.MaxDescriptors)
        {
            Sender.Tell(SysResult.Fail(Errno.EMFILE));
            return;
        }

        var reqId = Track(new PendingCall(CallKind.Socket, Sender, -1, default, 0, default, call.Type == SocketKind.Stream));
        _options.SocketTable.Tell(new CreateSocket(reqId, call.Domain, call.Type, call.Protocol, _userTs), Self);
    }

    private void OnBind(Bind call)
    {
        if (!TryGetFd(call.Fd, out var entry))
        {
            return;
        }

        var reqId = Track(new PendingCall(CallKind.Bind, Sender, call.Fd, default, 0, default));
        entry.Node.Tell(new BindSocket(reqId, call.Local), Self);
    }

    private void OnConnect(Connect call)
    {
        if (!TryGetFd(call.Fd, out var entry))
        {
            return;
        }

        var reqId = Track(new PendingCall(CallKind.Connect, Sender, call.Fd, default, 0, call.Remote));
        entry.Node.Tell(new ConnectSocket(reqId, call.Remote, entry.NonBlocking), Self);
    }

    private void OnSendTo(SendTo call)
    {
        // Seed 000 stage 1: descriptor, size and destination first (cheap, nothing touched), then
        // the TLB check on the buffer, then the share.
        if (!TryGetFd(call.Fd, out var entry))
        {
            return;
        }

        var error = call.Length switch
        {
            < 0 => Errno.EINVAL,
            > MaxUdpPayload when !entry.Stream => Errno.EMSGSIZE,
            // A CTRN has at least one byte; an empty datagram cannot be shared.
            0 => Errno.EINVAL,
            _ => call.Destination is null && !entry.Connected && !entry.Stream ? Errno.EDESTADDRREQ : Errno.None,
        };
        if (error != Errno.None)
        {
            Sender.Tell(SysResult.Fail(error));
            return;
        }

        var hit = _memory.Translate(_userTs, call.Buffer, call.Length, Rights.Read);
        if (!hit.IsOk)
        {
            Sender.Tell(SysResult.Fail(Errno.EFAULT));
            return;
        }

        var reqId = ++_nextReqId;
        var ctrn = _memory.CtShare(_userTs, hit.Value.Node, call.Buffer, call.Length, entry.Ts, $"send_q/{reqId}", SendShareRights);
        if (!ctrn.IsOk)
        {
            // The socket's TS is gone (closed under us), or the buffer cannot be shared.
            Sender.Tell(SysResult.Fail(ctrn.Error is MemoryError.TsExited or MemoryError.NoSuchTs ? Errno.EBADF : Errno.EFAULT));
            return;
        }

        _pending.Add(reqId, new PendingCall(CallKind.Send, Sender, call.Fd, default, call.Length, default));

        // Never waits: a ts-exit fired here exits this very KPN's subtree asynchronously.
        Context.System.Faults.Hit(KpnFaultPoints.KpnShare, entry.Ts, ctrn.Value, FaultKind.TsExit | FaultKind.SocketClose);
        var nonBlocking = entry.NonBlocking || (call.Flags & MsgFlags.DontWait) != 0;
        entry.Node.Tell(new SendReqEvent(reqId, ctrn.Value, call.Length, call.Destination, nonBlocking), Self);
    }

    private void OnRecvFrom(RecvFrom call)
    {
        if (!_fds.TryGetValue(call.Fd, out var entry))
        {
            Sender.Tell(RecvResult.Fail(Errno.EBADF));
            return;
        }

        if (call.Length < 0)
        {
            Sender.Tell(RecvResult.Fail(Errno.EINVAL));
            return;
        }

        // Check the buffer before a datagram is taken off the queue for it (checked again at the copy).
        if (call.Length > 0 && !_memory.Translate(_userTs, call.Buffer, call.Length, Rights.Write).IsOk)
        {
            Sender.Tell(RecvResult.Fail(Errno.EFAULT));
            return;
        }

        if (entry.Stream && call.Length == 0)
        {
            // A zero-length read of a stream reads nothing and consumes nothing.
            Sender.Tell(new RecvResult(0, Errno.None, default));
            return;
        }

        var reqId = Track(new PendingCall(CallKind.RecvCopy, Sender, call.Fd, call.Buffer, call.Length, default, CallId: call.CallId));
        var nonBlocking = entry.NonBlocking || (call.Flags & MsgFlags.DontWait) != 0;
        entry.Node.Tell(new RecvReqEvent(reqId, RecvMode.Copy, _kpnTs, nonBlocking, entry.Stream ? call.Length : 0), Self);
    }

    private void OnRecvZeroCopy(RecvZeroCopy call)
    {
        if (!_fds.TryGetValue(call.Fd, out var entry))
        {
            Sender.Tell(ZeroCopyRecv.Fail(Errno.EBADF));
            return;
        }

        if (_options.Mode == DataPathMode.Copy)
        {
            Sender.Tell(ZeroCopyRecv.Fail(Errno.EOPNOTSUPP));
            return;
        }

        var reqId = Track(new PendingCall(CallKind.RecvZeroCopy, Sender, call.Fd, default, 0, default, CallId: call.CallId));
        var nonBlocking = entry.NonBlocking || (call.Flags & MsgFlags.DontWait) != 0;
        entry.Node.Tell(new RecvReqEvent(reqId, RecvMode.ZeroCopy, _userTs, nonBlocking), Self);
    }

    private void OnCancelRecv(CancelRecv cancel)
    {
        if (cancel.CallId == 0 || !_fds.TryGetValue(cancel.Fd, out var entry))
        {
            return;
        }

        foreach (var (reqId, call) in _pending)
        {
            if (call.CallId == cancel.CallId && call.Fd == cancel.Fd && call.Kind is CallKind.RecvCopy or CallKind.RecvZeroCopy)
            {
                // The socket answers EINTR if it still held the waiter; a datagram it had already handed over
                // reaches OnRecvResp with nobody pending and is popped there.
                _pending.Remove(reqId);
                entry.Node.Tell(new RecvCancelEvent(reqId), Self);
                return;
            }
        }
    }

    private void OnClose(Close call)
    {
        if (!_fds.Remove(call.Fd, out var entry))
        {
            Sender.Tell(SysResult.Fail(Errno.EBADF));
            return;
        }

        // The descriptor is gone at once: calls made from now on get EBADF here, calls already
        // at the socket get EBADF from it.
        var reqId = Track(new PendingCall(CallKind.Close, Sender, call.Fd, default, 0, default));
        entry.Node.Tell(new CloseSocket(reqId), Self);
    }

    private void OnSetNonBlocking(SetNonBlocking call)
    {
        if (!TryGetFd(call.Fd, out var entry))
        {
            return;
        }

        entry.NonBlocking = call.NonBlocking;
        Sender.Tell(SysResult.Ok(0));
    }

    private void OnSetSockOpt(SetSockOpt call)
    {
        if (!TryGetFd(call.Fd, out var entry))
        {
            return;
        }

        var reqId = Track(new PendingCall(CallKind.Option, Sender, call.Fd, default, 0, default));
        entry.Node.Tell(new SetSocketOption(reqId, call.Option, call.Value), Self);
    }

    private void OnGetSockOpt(GetSockOpt call)
    {
        if (!TryGetFd(call.Fd, out var entry))
        {
            return;
        }

        var reqId = Track(new PendingCall(CallKind.Option, Sender, call.Fd, default, 0, default));
        entry.Node.Tell(new GetSocketOption(reqId, call.Option), Self);
    }

    private void OnPing(PingRequest request)
    {
        if (_options.Icmp is not { } icmp)
        {
            Sender.Tell(new PingReply(Errno.ENETUNREACH, request.Sequence, default, 0, TimeSpan.Zero));
            return;
        }

        // Forwarded with the caller as sender: the ICMP service answers the process directly.
        icmp.Tell(request, Sender);
    }

    private void OnExit(Exit call)
    {
        if (_exiting)
        {
            Sender.Tell(SysResult.Fail(Errno.EINTR));
            return;
        }

        _exiting = true;
        _exitWaiter = Sender;
        foreach (var (fd, entry) in _fds)
        {
            _exitCloses++;
            var reqId = Track(new PendingCall(CallKind.ExitClose, ActorRefs.Nobody, fd, default, 0, default));
            entry.Node.Tell(new CloseSocket(reqId), Self);
        }

        _fds.Clear();
        FinishExitIfDone();
    }

    private void FinishExitIfDone()
    {
        if (_exitWaiter is { } waiter && _exitCloses == 0)
        {
            _exitWaiter = null;
            waiter.Tell(SysResult.Ok(0));
        }
    }

    private void OnSocketCreated(SocketCreated reply)
    {
        if (!_pending.Remove(reply.ReqId, out var call))
        {
            return;
        }

        if (reply.Error != Errno.None || reply.Node is null)
        {
            call.ReplyTo.Tell(SysResult.Fail(reply.Error == Errno.None ? Errno.EIO : reply.Error));
            return;
        }

        if (call.Kind == CallKind.AcceptCreate && !_exiting)
        {
            // accept, step 3: the new socket adopts the connection before the descriptor is handed out.
            var acceptedFd = AllocateFd();
            _fds.Add(acceptedFd, new FdEntry(reply.SocketId, reply.Node, reply.NodeTs, stream: true));
            var adoptId = Track(new PendingCall(CallKind.Adopt, call.ReplyTo, acceptedFd, default, 0, call.Remote, true, call.Connection));
            reply.Node.Tell(new AdoptConnection(adoptId, call.Connection), Self);
            return;
        }

        if (_exiting)
        {
            // The process is going away: the socket it asked for is not wanted any more.
            reply.Node.Tell(new CloseSocket(0), ActorRefs.NoSender);
            call.ReplyTo.Tell(SysResult.Fail(Errno.EINTR));
            return;
        }

        var fd = AllocateFd();
        _fds.Add(fd, new FdEntry(reply.SocketId, reply.Node, reply.NodeTs, call.Stream));
        call.ReplyTo.Tell(SysResult.Ok(fd));
    }

    private int AllocateFd()
    {
        var fd = FirstFd;
        while (_fds.ContainsKey(fd))
        {
            fd++;
        }

        return fd;
    }

    private void OnListen(Listen call)
    {
        if (!TryGetFd(call.Fd, out var entry))
        {
            return;
        }

        var reqId = Track(new PendingCall(CallKind.Listen, Sender, call.Fd, default, 0, default));
        entry.Node.Tell(new ListenSocket(reqId, call.Backlog), Self);
    }

    private void OnShutdown(Shutdown call)
    {
        if (!TryGetFd(call.Fd, out var entry))
        {
            return;
        }

        var reqId = Track(new PendingCall(CallKind.Shutdown, Sender, call.Fd, default, 0, default));
        entry.Node.Tell(new ShutdownSocket(reqId, call.How), Self);
    }

    private void OnAccept(Accept call)
    {
        if (!TryGetFd(call.Fd, out var entry))
        {
            return;
        }

        if (_exiting)
        {
            Sender.Tell(SysResult.Fail(Errno.EINTR));
            return;
        }

        if (_fds.Count + CountPending(CallKind.AcceptCreate) >= _options.MaxDescriptors)
        {
            Sender.Tell(SysResult.Fail(Errno.EMFILE));
            return;
        }

        var reqId = Track(new PendingCall(CallKind.Accept, Sender, call.Fd, default, 0, default));
        entry.Node.Tell(new AcceptReqEvent(reqId, entry.NonBlocking), Self);
    }

    private void OnAcceptResp(AcceptRespEvent reply)
    {
        if (!_pending.Remove(reply.ReqId, out var call))
        {
            return;
        }

        if (reply.Error != Errno.None)
        {
            call.ReplyTo.Tell(SysResult.Fail(reply.Error));
            return;
        }

        // accept, step 2: a socket for the connection, from the table like any other.
        var reqId = Track(new PendingCall(CallKind.AcceptCreate, call.ReplyTo, -1, default, 0, reply.Remote, true, reply.ConnectionId));
        _options.SocketTable.Tell(new CreateSocket(reqId, SocketTable.AfInet, SocketKind.Stream, 0, _userTs), Self);
    }

    private void OnSocketReply(SocketReply reply)
    {
        if (!_pending.Remove(reply.ReqId, out var call))
        {
            return;
        }

        if (call.Kind == CallKind.ExitClose)
        {
            _exitCloses--;
            FinishExitIfDone();
            return;
        }

        if (reply.Error != Errno.None)
        {
            if (call.Kind == CallKind.Adopt && _fds.Remove(call.Fd, out var failed))
            {
                failed.Node.Tell(new CloseSocket(0), ActorRefs.NoSender);
            }

            call.ReplyTo.Tell(SysResult.Fail(reply.Error));
            return;
        }

        if (call.Kind == CallKind.Adopt)
        {
            if (_fds.TryGetValue(call.Fd, out var adopted))
            {
                adopted.Connected = true;
            }

            call.ReplyTo.Tell(SysResult.Ok(call.Fd));
            return;
        }

        if (call.Kind == CallKind.Connect && _fds.TryGetValue(call.Fd, out var entry))
        {
            entry.Connected = true;
        }

        // bind returns 0 like POSIX; options return their value.
        call.ReplyTo.Tell(SysResult.Ok(call.Kind == CallKind.Option ? reply.Value : 0));
    }

    private void OnSendResp(SendRespEvent reply)
    {
        if (!_pending.Remove(reply.ReqId, out var call))
        {
            return;
        }

        // Seed 000 stage 5: send_resp_event carries the byte count back to the caller.
        call.ReplyTo.Tell(reply.Error == Errno.None ? SysResult.Ok(reply.Bytes) : SysResult.Fail(reply.Error));
    }

    private void OnRecvResp(RecvRespEvent reply)
    {
        if (!_pending.Remove(reply.ReqId, out var call))
        {
            // Nobody waits (the process is gone): what the socket handed over must not stay mounted. A copy-mode
            // receive shares into the KPN's TS, a zero-copy one grants into the user's: pop it once, where it lives.
            if (reply.Error == Errno.None && reply.Data != default)
            {
                _memory.Pop(_memory.Locate(_kpnTs, reply.Data).IsOk ? _kpnTs : _userTs, reply.Data);
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
            if (reply.Length == 0)
            {
                // An empty datagram, or the end of a stream: nothing to map.
                call.ReplyTo.Tell(new ZeroCopyRecv(Errno.None, null, 0, reply.From));
                return;
            }

            var info = _memory.Locate(_userTs, reply.Data);
            if (!info.IsOk)
            {
                _memory.Pop(_userTs, reply.Data);
                call.ReplyTo.Tell(ZeroCopyRecv.Fail(Errno.EFAULT));
                return;
            }

            call.ReplyTo.Tell(new ZeroCopyRecv(Errno.None, new UserBuffer(reply.Data, info.Value.Gva, reply.Length), reply.Length, reply.From));
            return;
        }

        // Classic recvfrom: the one counted copy, from the datagram shared into the KPN's TS to
        // the user's buffer, truncated to the buffer like UDP; then the KPN's share is popped.
        var length = Math.Min(call.Length, reply.Length);
        var result = new RecvResult(length, Errno.None, reply.From);
        if (length > 0)
        {
            var hit = _memory.Translate(_userTs, call.Buffer, length, Rights.Write);
            var copied = hit.IsOk
                ? PayloadCopy.Run(_memory, _kpnTs, reply.Data, length, _userTs, hit.Value.Node, hit.Value.Offset)
                : hit.AsResult();
            if (!copied.IsOk)
            {
                result = RecvResult.Fail(Errno.EFAULT);
            }
        }

        if (reply.Length > 0 && reply.Data != default)
        {
            _memory.Pop(_kpnTs, reply.Data);
        }

        call.ReplyTo.Tell(result);
    }

    private bool TryGetFd(int fd, out FdEntry entry)
    {
        if (_fds.TryGetValue(fd, out entry!))
        {
            return true;
        }

        Sender.Tell(SysResult.Fail(Errno.EBADF));
        return false;
    }

    private ulong Track(PendingCall call)
    {
        var reqId = ++_nextReqId;
        _pending.Add(reqId, call);
        return reqId;
    }

    private int CountPending(CallKind kind)
    {
        var count = 0;
        foreach (var call in _pending.Values)
        {
            if (call.Kind == kind)
            {
                count++;
            }
        }

        return count;
    }

    private static void Fail(PendingCall call, Errno error)
    {
        object reply = call.Kind switch
        {
            CallKind.RecvCopy => RecvResult.Fail(error),
            CallKind.RecvZeroCopy => ZeroCopyRecv.Fail(error),
            _ => SysResult.Fail(error),
        };
        call.ReplyTo.Tell(reply);
    }
}
