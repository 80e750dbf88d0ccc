using Edsos.Kpn.Internal;
using Edsos.Driver;
using Edsos.Memory;
using Edsos.Protocol;
using Edsos.Protocol.Udp;
using Akka.Actor;
using Edsos.Scheduler;
using Edsos.Scheduler.Tracing;
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
/// <remarks>
/// Two phases: running, and exiting (after <see cref="Exit"/>: no new sockets, every descriptor closed, the exit
/// answered once every close is confirmed). The handlers are split by concern: this file holds the phases, the
/// descriptor table and the control calls; <c>KpnActor.Data.cs</c> send and receive; <c>KpnActor.Stream.cs</c>
/// listen, accept and shutdown.
/// </remarks>
public sealed partial class KpnActor : EdsrtActor
{
    /// <summary>Largest UDP payload over IPv4 (<see cref="UdpLimits.MaxPayload"/>); a longer datagram gets EMSGSIZE here.</summary>
    public const int MaxUdpPayload = UdpLimits.MaxPayload;

    /// <summary>The first descriptor handed out (0, 1, 2 are stdin, stdout, stderr).</summary>
    public const int FirstFd = 3;

    private readonly KpnOptions _options;
    private readonly MemoryManager _memory;
    private readonly TsId _userTs;
    private readonly TsId _kpnTs;
    private readonly Dictionary<int, FdEntry> _fds = new();
    private readonly Dictionary<ulong, PendingCall> _pending = new();
    private ulong _nextReqId;

    /// <summary>Creates the KPN of the process whose TS is <see cref="KpnOptions.UserTs"/>.</summary>
    public KpnActor(KpnOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _memory = Context.System.Memory;
        _userTs = options.UserTs;
        _kpnTs = Ts;
        Running();
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
        CloseRings();
        foreach (var call in _pending.Values)
        {
            if (call.Cancelled)
            {
                // Its caller stopped waiting long ago.
                continue;
            }

            if (call.Kind == CallKind.Exit)
            {
                // Stopping is the exit the caller waited for.
                call.ReplyTo.Tell(SysResult.Ok(0));
                continue;
            }

            Fail(call, Errno.EINTR);
        }

        _pending.Clear();
        foreach (var entry in _fds.Values)
        {
            if (!entry.Dead)
            {
                entry.Node.Tell(new CloseSocket(0), ActorRefs.NoSender);
            }
        }

        _fds.Clear();
    }

    /// <summary>The normal phase: every syscall is served.</summary>
    private void Running()
    {
        Receive<KpnProtocol.Socket>(OnSocket);
        Receive<Exit>(OnExit);
        Receive<SocketCreated>(OnSocketCreated);
        Common();
    }

    /// <summary>
    /// After <see cref="Exit"/>: the descriptor table is empty (so every call on a descriptor is EBADF), a new socket
    /// or a second exit is EINTR, a socket created for a call made before the exit is closed at once.
    /// </summary>
    private void Exiting()
    {
        Receive<KpnProtocol.Socket>(_ => Sender.Tell(SysResult.Fail(Errno.EINTR)));
        Receive<Exit>(_ => Sender.Tell(SysResult.Fail(Errno.EINTR)));
        Receive<SocketCreated>(OnSocketCreatedWhileExiting);
        Common();
    }

    /// <summary>What both phases serve alike: calls on descriptors, and the sockets' replies.</summary>
    private void Common()
    {
        Receive<Bind>(OnBind);
        Receive<Connect>(OnConnect);
        Receive<SendTo>(call =>
        {
            OnSendTo(call);
            Edsrt.ReturnHandled(call);
        });
        Receive<RecvFrom>(OnRecvFrom);
        Receive<RecvZeroCopy>(call =>
        {
            OnRecvZeroCopy(call);
            Edsrt.ReturnHandled(call);
        });
        Receive<CancelRecv>(OnCancelRecv);
        Receive<Close>(OnClose);
        Receive<Listen>(OnListen);
        Receive<Accept>(OnAccept);
        Receive<Shutdown>(OnShutdown);
        Receive<SetNonBlocking>(OnSetNonBlocking);
        Receive<SetSockOpt>(OnSetSockOpt);
        Receive<GetSockOpt>(OnGetSockOpt);
        Receive<PingRequest>(OnPing);
        Receive<NetDown>(OnNetDown);
        RingCalls();

        Receive<AcceptRespEvent>(OnAcceptResp);
        Receive<SocketReply>(OnSocketReply);
        Receive<SendRespEvent>(reply =>
        {
            OnSendResp(reply);
            Edsrt.ReturnHandled(reply);
        });
        Receive<RecvRespEvent>(reply =>
        {
            OnRecvResp(reply);
            Edsrt.ReturnHandled(reply);
        });
        Receive<SendRespBatchEvent>(batch =>
        {
            var replies = batch.Resps;
            for (int i = 0; i < replies.Count; i++)
            {
                OnSendResp(replies[i]);
                Edsrt.ReturnHandled(replies[i]);
            }
        });
        Receive<RecvRespBatchEvent>(batch =>
        {
            var replies = batch.Resps;
            for (int i = 0; i < replies.Count; i++)
            {
                OnRecvResp(replies[i]);
                Edsrt.ReturnHandled(replies[i]);
            }
        });
    }

    private void OnSocket(KpnProtocol.Socket call)
    {
        if (_fds.Count + CountPending(CallKind.Socket) >= _options.MaxDescriptors)
        {
            Sender.Tell(SysResult.Fail(Errno.EMFILE));
            return;
        }

        var reqId = Track(new PendingCall(CallKind.Socket, Sender, Fd: -1, Stream: call.Type == SocketKind.Stream));
        _options.SocketTable.TellTraced(
            new CreateSocket(ReqId: reqId, Domain: call.Domain, Type: call.Type, Protocol: call.Protocol, OwnerTs: _userTs),
            Self);
    }

    private void OnBind(Bind call)
    {
        if (!TryGetFd(call.Fd, out var entry))
        {
            return;
        }

        var reqId = Track(new PendingCall(CallKind.Bind, Sender, call.Fd));
        entry.Node.TellTraced(new BindSocket(reqId, call.Local), Self);
    }

    private void OnConnect(Connect call)
    {
        if (!TryGetFd(call.Fd, out var entry))
        {
            return;
        }

        var reqId = Track(new PendingCall(CallKind.Connect, Sender, call.Fd, Remote: call.Remote));
        entry.Node.TellTraced(new ConnectSocket(reqId, call.Remote, entry.NonBlocking), Self);
    }

    private void OnClose(Close call)
    {
        if (!_fds.Remove(call.Fd, out var entry))
        {
            Sender.Tell(SysResult.Fail(Errno.EBADF));
            return;
        }

        if (entry.Dead)
        {
            // Its socket died with the net process (its TS was lifted there): nothing is left to close.
            Sender.Tell(SysResult.Ok(0));
            return;
        }

        // The descriptor is gone at once: calls made from now on get EBADF here, calls already
        // at the socket get EBADF from it.
        var reqId = Track(new PendingCall(CallKind.Close, Sender, call.Fd));
        entry.Node.TellTraced(new CloseSocket(reqId), Self);
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

        var reqId = Track(new PendingCall(CallKind.Option, Sender, call.Fd));
        entry.Node.TellTraced(new SetSocketOption(reqId, call.Option, call.Value), Self);
    }

    private void OnGetSockOpt(GetSockOpt call)
    {
        if (!TryGetFd(call.Fd, out var entry))
        {
            return;
        }

        var reqId = Track(new PendingCall(CallKind.Option, Sender, call.Fd));
        entry.Node.TellTraced(new GetSocketOption(reqId, call.Option), Self);
    }

    private void OnPing(PingRequest request)
    {
        if (_options.Icmp is not { } icmp)
        {
            Sender.Tell(new PingReply(
                Error: Errno.ENETUNREACH,
                Sequence: request.Sequence,
                From: default,
                Ttl: 0,
                RoundTrip: TimeSpan.Zero));
            return;
        }

        // Forwarded with the caller as sender: the ICMP service answers the process directly.
        icmp.TellTraced(request, Sender);
    }

    private void OnExit(Exit call)
    {
        Become(Exiting);
        Track(new PendingCall(CallKind.Exit, Sender, Fd: -1));
        foreach (var (fd, entry) in _fds)
        {
            if (entry.Dead)
            {
                continue;
            }

            var reqId = Track(new PendingCall(CallKind.ExitClose, ActorRefs.Nobody, fd));
            entry.Node.TellTraced(new CloseSocket(reqId), Self);
        }

        _fds.Clear();
        FinishExitIfDone();
    }

    /// <summary>Answers the exit once no close it started is still unconfirmed.</summary>
    private void FinishExitIfDone()
    {
        ulong exitId = 0;
        foreach (var (reqId, call) in _pending)
        {
            if (call.Kind == CallKind.ExitClose)
            {
                return;
            }

            if (call.Kind == CallKind.Exit)
            {
                exitId = reqId;
            }
        }

        if (exitId != 0 && _pending.Remove(exitId, out var exit))
        {
            exit.ReplyTo.Tell(SysResult.Ok(0));
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

        if (call.Kind == CallKind.AcceptCreate)
        {
            AdoptAccepted(call, reply);
            return;
        }

        var fd = AllocateFd();
        _fds.Add(fd, new FdEntry(reply.SocketId, reply.Node, reply.NodeTs, call.Stream));
        call.ReplyTo.Tell(SysResult.Ok(fd));
    }

    private void OnSocketCreatedWhileExiting(SocketCreated reply)
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

        // The process is going away: the socket it asked for is not wanted any more.
        reply.Node.Tell(new CloseSocket(0), ActorRefs.NoSender);
        call.ReplyTo.Tell(SysResult.Fail(Errno.EINTR));
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

    private void OnSocketReply(SocketReply reply)
    {
        if (!_pending.Remove(reply.ReqId, out var call))
        {
            return;
        }

        if (call.Kind == CallKind.ExitClose)
        {
            FinishExitIfDone();
            return;
        }

        if (call.Kind == CallKind.Adopt)
        {
            OnAdopted(call, reply);
            return;
        }

        if (reply.Error != Errno.None)
        {
            call.ReplyTo.Tell(SysResult.Fail(reply.Error));
            return;
        }

        if (call.Kind == CallKind.Connect && _fds.TryGetValue(call.Fd, out var entry))
        {
            entry.Connected = true;
        }

        // bind returns 0 like POSIX; options return their value.
        call.ReplyTo.Tell(SysResult.Ok(call.Kind == CallKind.Option ? reply.Value : 0));
    }

    private bool TryGetFd(int fd, out FdEntry entry)
    {
        if (_fds.TryGetValue(fd, out entry!) && !entry.Dead)
        {
            return true;
        }

        Sender.Tell(SysResult.Fail(entry is null ? Errno.EBADF : Errno.ENETDOWN));
        return false;
    }

    /// <summary>
    /// The net process died (<see cref="NetDown"/>): no socket answer will come, so every pending call ends now
    /// (ENETDOWN; an exit waiting for its closes is answered) and every descriptor is dead: calls on it are ENETDOWN,
    /// its close is 0. The CTRNs this KPN shared into the sockets were lifted with the net process's TSs.
    /// </summary>
    private void OnNetDown(NetDown down)
    {
        foreach (var call in _pending.Values)
        {
            if (call.Cancelled || call.Kind == CallKind.ExitClose)
            {
                continue;
            }

            if (call.Kind == CallKind.Exit)
            {
                call.ReplyTo.Tell(SysResult.Ok(0));
                continue;
            }

            Fail(call, Errno.ENETDOWN);
        }

        _pending.Clear();
        foreach (var entry in _fds.Values)
        {
            entry.Dead = true;
        }
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
