using System.Diagnostics;
using System.Runtime.CompilerServices;
using Edsos.Kpn.Internal;
using Edsos.Memory;
using Edsos.Protocol;
using Edsos.Protocol.Wire;
using Akka.Actor;
using Edsos.Scheduler;
using Edsos.SocketService;
using static Edsos.Protocol.InetProtocol;

namespace Edsos.Kpn;

/// <summary>
/// The libc of one user process: what apps are written against. Memory calls act on the process's
/// own TS directly (an app owns its buffers); socket calls go to the process's KPN as
/// <see cref="KpnProtocol"/> syscalls. Everything reports errno style (<see cref="Errno"/>,
/// <see cref="SysResult"/>); no call throws for a bad argument, a bad descriptor, a bad address or
/// a dead peer. Thread-safe: calls may be made concurrently (each is one message to the KPN).
/// Created by <see cref="UserProcess.Start"/>.
/// </summary>
public sealed class Libc
{
    private readonly ActorSystem _system;
    private readonly MemoryManager _memory;
    private readonly UserProcessOptions _options;
    private string? _tsPath;
    private long _allocSeq;
    private int _exited;
    private long _nextCallId;

    // The calls out, each on a pooled completion the KPN answers directly. Once the KPN has stopped (the process's TS
    // exited, by ExitAsync or by anyone) every call out ends with EINTR: one that raced the exit into the KPN's
    // mailbox went to dead letters and would wait forever.
    private readonly CompletionTable _completions;
    private readonly List<IoRing> _rings = new();
    private int _nextRingId;

    // Completes once the KPN runs (or after UserProcess.Start's wait for it gave up): the first syscall waits for it.
    private readonly Task? _kpnStarted;

    internal Libc(ActorSystem system, string name, TsId ts, TsId kpnTs, IActorRef kpn, UserProcessOptions options, Task? kpnStarted = null)
    {
        _kpnStarted = kpnStarted;
        _system = system;
        _memory = system.Memory;
        _options = options;
        Name = name;
        Ts = ts;
        KpnTs = kpnTs;
        Kpn = kpn;
        _completions = new CompletionTable(((ExtendedActorSystem)system).Provider);
        system.WhenStopped(kpn).ContinueWith(static (_, state) => ((Libc)state!).OnKpnStopped(), this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>The process name (<c>/user_proc/&lt;name&gt;</c>).</summary>
    public string Name { get; }

    /// <summary>The process's (user) TS: its buffers live here.</summary>
    public TsId Ts { get; }

    /// <summary>The KPN's TS (<c>/user_proc/&lt;name&gt;/sysagent/kpn</c>).</summary>
    public TsId KpnTs { get; }

    /// <summary>The process's KPN actor (diagnostics, tests).</summary>
    public IActorRef Kpn { get; }

    /// <summary>The host's memory manager (the rings read and write their entries through it).</summary>
    internal MemoryManager Memory => _memory;

    /// <summary>The host's actor system.</summary>
    internal ActorSystem System => _system;

    /// <summary>True once <see cref="ExitAsync"/> ran or the process's TS exited.</summary>
    public bool HasExited => Volatile.Read(ref _exited) != 0 || !IsTsAlive();

    /// <summary>
    /// Allocates a zeroed buffer of <paramref name="length"/> bytes in the process's TS (a <c>push</c>).
    /// Throws <see cref="ArgumentOutOfRangeException"/> for a non-positive length and
    /// <see cref="OutOfMemoryException"/> when the arena is full or the process has exited, like a
    /// failing <c>malloc</c> the app did not check; <see cref="TryAlloc"/> reports instead.
    /// </summary>
    public UserBuffer Alloc(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        var error = TryAlloc(length, out var buffer);
        return error == Errno.None ? buffer! : throw new OutOfMemoryException($"cannot allocate {length} bytes in {Name}: {error}");
    }

    /// <summary>Allocates like <see cref="Alloc"/>; returns EINVAL for a non-positive length, ENOMEM when nothing can be allocated.</summary>
    public Errno TryAlloc(int length, out UserBuffer? buffer)
    {
        buffer = null;
        if (length <= 0)
        {
            return Errno.EINVAL;
        }

        var name = $"heap/{Interlocked.Increment(ref _allocSeq)}";
        var pushed = _memory.Push(Ts, name, length, Rights.All);
        if (!pushed.IsOk)
        {
            return Errno.ENOMEM;
        }

        var info = _memory.Locate(Ts, pushed.Value);
        if (!info.IsOk)
        {
            _memory.Release(Ts, pushed.Value);
            return Errno.ENOMEM;
        }

        buffer = new UserBuffer(pushed.Value, info.Value.Gva, length);
        return Errno.None;
    }

    /// <summary>
    /// Frees a buffer (a <c>pop</c>): one from <see cref="Alloc"/> or one a zero-copy receive
    /// granted. A send still in flight keeps its own share of the pages. EFAULT when the buffer is
    /// not (or no longer) the process's, including a buffer freed twice.
    /// </summary>
    public Errno Free(UserBuffer buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);

        // The app's own pop syscall, not a stack path: an app that frees twice gets EFAULT, as free() of
        // a bad pointer is the caller's error, and is not recorded as a double release of the stack's.
        return _memory.Pop(Ts, buffer.Cap).IsOk ? Errno.None : Errno.EFAULT;
    }

    /// <summary>
    /// The app writes its own memory: copies <paramref name="source"/> into the buffer at
    /// <paramref name="offset"/>, counted as <see cref="CopyKind.Application"/> (not a stack copy).
    /// EFAULT when the range leaves the buffer, the buffer is read-only (a zero-copy receive) or gone.
    /// </summary>
    public Errno WriteBuffer(UserBuffer buffer, int offset, ReadOnlySpan<byte> source)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        return _memory.Write(Ts, buffer.Cap, offset, source, CopyKind.Application).IsOk ? Errno.None : Errno.EFAULT;
    }

    /// <summary>
    /// The app reads its own memory: copies from the buffer at <paramref name="offset"/> into
    /// <paramref name="destination"/>, counted as <see cref="CopyKind.Application"/>. EFAULT when the
    /// range leaves the buffer or the buffer is gone.
    /// </summary>
    public Errno ReadBuffer(UserBuffer buffer, int offset, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        return _memory.Read(Ts, buffer.Cap, offset, destination, CopyKind.Application).IsOk ? Errno.None : Errno.EFAULT;
    }

    /// <summary>
    /// Reads the buffer in place, no copy: <paramref name="visitor"/> sees each physically contiguous
    /// segment of [<paramref name="offset"/>, +<paramref name="length"/>) in order. EFAULT as
    /// <see cref="ReadBuffer"/>.
    /// </summary>
    public Errno Visit<TState>(UserBuffer buffer, int offset, int length, ref TState state, SegmentVisitor<TState> visitor)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        ArgumentNullException.ThrowIfNull(visitor);
        return _memory.Visit(Ts, buffer.Cap, offset, length, ref state, visitor).IsOk ? Errno.None : Errno.EFAULT;
    }

    /// <summary>
    /// Writes the buffer in place, no staging copy: <paramref name="filler"/> gets each physically contiguous segment
    /// of [<paramref name="offset"/>, +<paramref name="length"/>) in order to write, counted as
    /// <see cref="CopyKind.Application"/> as by <see cref="WriteBuffer"/>. EFAULT as <see cref="WriteBuffer"/>.
    /// </summary>
    public Errno FillBuffer<TState>(UserBuffer buffer, int offset, int length, ref TState state, SegmentFiller<TState> filler)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        ArgumentNullException.ThrowIfNull(filler);
        return _memory.Fill(Ts, buffer.Cap, offset, length, ref state, filler, CopyKind.Application).IsOk ? Errno.None : Errno.EFAULT;
    }

    /// <summary>
    /// Creates an io_uring-style ring pair with <paramref name="entries"/> submission entries (a power of two from 1 to
    /// 4096) and twice as many completion entries, both in the process's TS (see <see cref="IoRing"/>). EINVAL for
    /// another size, ENOMEM when the rings cannot be allocated, EBADF once the process exited.
    /// </summary>
    public Errno TryCreateRing(int entries, out IoRing? ring)
    {
        ring = null;
        if (HasExited)
        {
            return Errno.EBADF;
        }

        if (entries < 1 || entries > 4096 || (entries & (entries - 1)) != 0)
        {
            return Errno.EINVAL;
        }

        var shared = new RingShared(Interlocked.Increment(ref _nextRingId), entries, entries * 2);
        if (TryAlloc(shared.SqEntries * RingLayout.SqeSize, out var sq) != Errno.None)
        {
            return Errno.ENOMEM;
        }

        if (TryAlloc(shared.CqEntries * RingLayout.CqeSize, out var cq) != Errno.None)
        {
            Free(sq!);
            return Errno.ENOMEM;
        }

        ring = new IoRing(this, shared, sq!, cq!);
        lock (_rings)
        {
            _rings.Add(ring);
        }

        // The setup reaches the KPN before any submission of the ring (one sender, in order).
        Kpn.Tell(new KpnProtocol.RingSetup(shared, sq!.Gva, cq!.Gva), ActorRefs.NoSender);
        if (_completions.Stopped)
        {
            ring.OnKpnStopped();
        }

        return Errno.None;
    }

    /// <summary><c>socket(domain, type, protocol)</c>: the new descriptor, or EAFNOSUPPORT (domain not AF_INET = 2), ESOCKTNOSUPPORT / EPROTONOSUPPORT, EMFILE, ENFILE.</summary>
    public ValueTask<SysResult> SocketAsync(int domain, SocketKind type, int protocol, CancellationToken cancellationToken = default) =>
        CallAsync("socket", new KpnProtocol.Socket(domain, type, protocol), cancellationToken);

    /// <summary><c>bind(fd, local)</c> (port 0: an ephemeral port): 0, or EBADF, EINVAL (already bound), EADDRINUSE, EADDRNOTAVAIL.</summary>
    public ValueTask<SysResult> BindAsync(int fd, Ipv4Endpoint local, CancellationToken cancellationToken = default) =>
        CallAsync("bind", new KpnProtocol.Bind(fd, local), cancellationToken);

    /// <summary>
    /// <c>connect(fd, remote)</c>: on a datagram socket sets the default destination (binding an ephemeral port
    /// first): 0, or EBADF. On a stream socket runs the TCP handshake: 0 when established, ECONNREFUSED (RST),
    /// ETIMEDOUT; non-blocking: EINPROGRESS at once (read the outcome with SO_ERROR), EALREADY while it runs,
    /// EISCONN once connected.
    /// </summary>
    public ValueTask<SysResult> ConnectAsync(int fd, Ipv4Endpoint remote, CancellationToken cancellationToken = default) =>
        CallAsync("connect", new KpnProtocol.Connect(fd, remote), cancellationToken);

    /// <summary>
    /// <c>sendto(fd, buffer, length, flags, destination)</c>: the bytes at <paramref name="buffer"/>
    /// go out without a copy (zero copy) and the call returns the byte count when the datagram has
    /// left. Errors: EBADF (closed or unknown fd), EFAULT (the range is not a mapped buffer of this
    /// process), EMSGSIZE (over 65507), EDESTADDRREQ (no destination, not connected), EINVAL
    /// (length 0 or port 0), EAGAIN (send buffer full and non-blocking), and the transmit errors
    /// (EHOSTUNREACH, ENETUNREACH, ENOBUFS).
    /// </summary>
    public ValueTask<SysResult> SendToAsync(int fd, Gva buffer, int length, Ipv4Endpoint? destination, MsgFlags flags = MsgFlags.None, CancellationToken cancellationToken = default) =>
        SendCoreAsync("sendto", KpnProtocol.SendTo.Rent(fd: fd, buffer: buffer, length: length, destination: destination, flags: flags), cancellationToken);

    /// <summary><c>send(fd, buffer, length, flags)</c> on a connected socket; errors as <see cref="SendToAsync"/>.</summary>
    public ValueTask<SysResult> SendAsync(int fd, Gva buffer, int length, MsgFlags flags = MsgFlags.None, CancellationToken cancellationToken = default) =>
        SendCoreAsync("send", KpnProtocol.SendTo.Rent(fd: fd, buffer: buffer, length: length, destination: null, flags: flags), cancellationToken);

    /// <summary>
    /// <c>recvfrom(fd, buffer, length, flags)</c>: waits for a datagram (unless non-blocking:
    /// EAGAIN), copies it once into the buffer, truncating it to <paramref name="length"/>, and
    /// returns the bytes copied and the source. EBADF, EFAULT (buffer not writable memory of this process).
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<RecvResult> RecvFromAsync(int fd, Gva buffer, int length, MsgFlags flags = MsgFlags.None, CancellationToken cancellationToken = default)
    {
        ulong callId = NextCallId(cancellationToken);
        var reply = await AskAsync("recvfrom", new KpnProtocol.RecvFrom(Fd: fd, Buffer: buffer, Length: length, Flags: flags, CallId: callId), cancellationToken).ConfigureAwait(false);
        AbandonIfCancelled(fd, callId, reply, cancellationToken);
        return reply switch
        {
            RecvResult result => result,
            Errno error => RecvResult.Fail(error),
            _ => RecvResult.Fail(Errno.EIO),
        };
    }

    /// <summary>
    /// Zero-copy receive: waits for a datagram (unless non-blocking: EAGAIN) and hands over its own
    /// node, granted read-only (and shareable) to this process. The app reads it
    /// (<see cref="ReadBuffer"/>, <see cref="Visit{TState}"/>), may send it on, and must
    /// <see cref="Free"/> it. EBADF; EOPNOTSUPP in copy mode (Linux has no such call).
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ZeroCopyRecv> RecvZeroCopyAsync(int fd, MsgFlags flags = MsgFlags.None, CancellationToken cancellationToken = default)
    {
        ulong callId = NextCallId(cancellationToken);
        var reply = await AskAsync("recv_zerocopy", KpnProtocol.RecvZeroCopy.Rent(fd, flags, callId), cancellationToken).ConfigureAwait(false);
        AbandonIfCancelled(fd, callId, reply, cancellationToken);
        return reply switch
        {
            ZeroCopyRecv result => result,
            Errno error => ZeroCopyRecv.Fail(error),
            _ => ZeroCopyRecv.Fail(Errno.EIO),
        };
    }

    /// <summary><c>listen(fd, backlog)</c> on a bound stream socket: 0, or EBADF, EOPNOTSUPP (datagram socket), EINVAL (unbound, connected), EADDRINUSE.</summary>
    public ValueTask<SysResult> ListenAsync(int fd, int backlog, CancellationToken cancellationToken = default) =>
        CallAsync("listen", new KpnProtocol.Listen(fd, backlog), cancellationToken);

    /// <summary>
    /// A listening stream socket in one call: <c>socket</c>, <c>bind(local)</c>, <c>listen(backlog)</c>. Returns the
    /// descriptor, or the first error (the socket is closed again when bind or listen failed).
    /// </summary>
    public async ValueTask<SysResult> OpenListenerAsync(Ipv4Endpoint local, int backlog, CancellationToken cancellationToken = default)
    {
        var socket = await SocketAsync(2, SocketKind.Stream, 0, cancellationToken).ConfigureAwait(false);
        if (!socket.IsOk)
        {
            return socket;
        }

        int fd = (int)socket.Value;
        var bound = await BindAsync(fd, local, cancellationToken).ConfigureAwait(false);
        var listening = bound.IsOk ? await ListenAsync(fd, backlog, cancellationToken).ConfigureAwait(false) : bound;
        if (!listening.IsOk)
        {
            await CloseAsync(fd, cancellationToken).ConfigureAwait(false);
            return listening;
        }

        return socket;
    }

    /// <summary>
    /// <c>accept(fd)</c>: waits for a connection that completed its handshake on the listening socket and returns
    /// its new descriptor (a connected stream socket). EAGAIN when non-blocking and none is ready; EBADF, EINVAL
    /// (not listening), EMFILE, ECONNABORTED (the connection died before it was handed over).
    /// </summary>
    public ValueTask<SysResult> AcceptAsync(int fd, CancellationToken cancellationToken = default) =>
        CallAsync("accept", new KpnProtocol.Accept(fd), cancellationToken);

    /// <summary><c>shutdown(fd, how)</c> (0 read, 1 write: a FIN after the queued data, 2 both): 0, or EBADF, ENOTCONN, EINVAL.</summary>
    public ValueTask<SysResult> ShutdownAsync(int fd, int how, CancellationToken cancellationToken = default) =>
        CallAsync("shutdown", new KpnProtocol.Shutdown(fd, how), cancellationToken);

    /// <summary><c>close(fd)</c>: 0, or EBADF. Calls pending on the descriptor end with EBADF.</summary>
    public ValueTask<SysResult> CloseAsync(int fd, CancellationToken cancellationToken = default) =>
        CallAsync("close", new KpnProtocol.Close(fd), cancellationToken);

    /// <summary><c>fcntl(fd, F_SETFL, O_NONBLOCK)</c>: 0, or EBADF.</summary>
    public ValueTask<SysResult> SetNonBlocking(int fd, bool nonBlocking, CancellationToken cancellationToken = default) =>
        CallAsync("fcntl", new KpnProtocol.SetNonBlocking(fd, nonBlocking), cancellationToken);

    /// <summary><c>setsockopt(fd, SOL_SOCKET, option, value)</c>: 0, or EBADF, EINVAL (non-positive size), ENOPROTOOPT (SO_ERROR).</summary>
    public ValueTask<SysResult> SetSockOptAsync(int fd, SocketOption option, int value, CancellationToken cancellationToken = default) =>
        CallAsync("setsockopt", new KpnProtocol.SetSockOpt(fd, option, value), cancellationToken);

    /// <summary><c>getsockopt(fd, SOL_SOCKET, option)</c>: the value (SO_ERROR: the pending errno as a number, then cleared), or EBADF.</summary>
    public ValueTask<SysResult> GetSockOptAsync(int fd, SocketOption option, CancellationToken cancellationToken = default) =>
        CallAsync("getsockopt", new KpnProtocol.GetSockOpt(fd, option), cancellationToken);

    /// <summary>
    /// One ICMP echo to <paramref name="destination"/> through the ICMP service: the reply, or one
    /// with ETIMEDOUT after <paramref name="timeout"/>, ENETUNREACH without an ICMP service.
    /// </summary>
    public async ValueTask<PingReply> PingAsync(Ipv4Address destination, ushort sequence, int payloadSize, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var request = new PingRequest(destination, sequence, payloadSize, timeout);
        if (HasExited)
        {
            return new PingReply(Errno.EINTR, sequence, default, 0, TimeSpan.Zero);
        }

        using var span = _system.Tracing.StartSyscall("ping", _tsPath ??= TsPathOf(Ts));

        // The ICMP service answers ETIMEDOUT itself; the slack covers a service that never answers.
        var (reply, answered) = await RoundTripAsync(request, timeout + TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
        return answered
            ? reply as PingReply ?? new PingReply(Errno.EIO, sequence, default, 0, TimeSpan.Zero)
            : new PingReply((Errno)reply, sequence, default, 0, TimeSpan.Zero);
    }

    /// <summary>
    /// Exits the process: the KPN closes every descriptor (calls still pending end with EBADF),
    /// then the process's TS subtree (its TS, its KPN's) exits, which stops the KPN and lifts every
    /// CTRN that came from this process wherever it is mounted (a send still at the transmit
    /// worker or the NIC is revoked, nothing leaks). Idempotent; after it every syscall returns EBADF at once.
    /// Returns <see cref="Errno.None"/>, or <see cref="Errno.ETIMEDOUT"/> when the sockets did not
    /// confirm in time (the TS exits anyway).
    /// </summary>
    public async ValueTask<Errno> ExitAsync()
    {
        if (Interlocked.Exchange(ref _exited, 1) != 0)
        {
            return Errno.None;
        }

        // Not answered: ETIMEDOUT, or EINTR when the KPN had stopped already (the TS exited under us: nothing left to close).
        var (reply, answered) = await RoundTripAsync(new KpnProtocol.Exit(), _options.ExitTimeout, CancellationToken.None).ConfigureAwait(false);
        var result = !answered && reply is Errno.ETIMEDOUT ? Errno.ETIMEDOUT : Errno.None;

        if (IsTsAlive())
        {
            await _system.ExitTsAsync(Ts).ConfigureAwait(false);
        }

        return result;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<SysResult> SendCoreAsync(string name, KpnProtocol.SendTo request, CancellationToken cancellationToken)
    {
        // The latency histogram costs a timestamp only while someone collects it.
        long start = KpnMetrics.SendLatency.Enabled ? Stopwatch.GetTimestamp() : 0;
        var result = await CallAsync(name, request, cancellationToken).ConfigureAwait(false);
        if (result.IsOk)
        {
            var host = EdsosMetrics.HostTag(_system);
            KpnMetrics.Sends.Add(1, host);
            KpnMetrics.BytesSent.Add(result.Value, host);
            if (start != 0)
            {
                KpnMetrics.SendLatency.Record(Stopwatch.GetElapsedTime(start).TotalMicroseconds, host);
            }
        }

        return result;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<SysResult> CallAsync(string name, object request, CancellationToken cancellationToken)
    {
        var reply = await AskAsync(name, request, cancellationToken).ConfigureAwait(false);
        return reply switch
        {
            SysResult result => result,
            Errno error => SysResult.Fail(error),
            _ => SysResult.Fail(Errno.EIO),
        };
    }

    /// <summary>One syscall: the KPN's reply, or an <see cref="Errno"/> when there was none.</summary>
    /// <remarks>
    /// The root span of the syscall's trace starts here and is current while the request is told
    /// to the KPN, so the request (and every event it causes) carries its context.
    /// </remarks>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<object> AskAsync(string name, object request, CancellationToken cancellationToken)
    {
        if (HasExited)
        {
            // The process is gone: so are its descriptors.
            return Errno.EBADF;
        }

        using var span = _system.Tracing.StartSyscall(name, _tsPath ??= TsPathOf(Ts));

        // Ends with the KPN's reply, or ETIMEDOUT, or EINTR when cancelled by the caller or by the process's exit
        // (if the call raced it into the KPN's mailbox).
        var (reply, answered) = await RoundTripAsync(request, _options.SyscallTimeout, cancellationToken).ConfigureAwait(false);
        if (span is not null)
        {
            if (answered)
            {
                Describe(span, reply);
            }
            else
            {
                span.SetStatus(ActivityStatusCode.Error, reply.ToString());
            }
        }

        return reply;
    }

    /// <summary>
    /// Tells the KPN <paramref name="request"/> with a pooled completion as the reply address and waits for it: the
    /// reply and true, or (not answered) <see cref="Errno.ETIMEDOUT"/> after <paramref name="timeout"/>,
    /// <see cref="Errno.EINTR"/> when <paramref name="cancellationToken"/> is cancelled or the KPN stops.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<(object Reply, bool Answered)> RoundTripAsync(object request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (_kpnStarted is { IsCompleted: false } started)
        {
            // Only a process's first calls: the KPN has not run yet (see UserProcess.Start).
            await started.ConfigureAwait(false);
        }

        var slot = _completions.Rent(timeout, cancellationToken);
        if (slot.IsWaiting)
        {
            Kpn.Tell(request, slot);
        }

        var reply = await slot.Task.ConfigureAwait(false);
        bool answered = slot.Answered;
        _completions.Return(slot);
        return (reply, answered);
    }

    // A receive the caller may cancel gets an id, so that a cancelled one can be withdrawn from its socket:
    // otherwise the socket would hand the next datagram to a waiter nobody listens to any more.
    private ulong NextCallId(CancellationToken cancellationToken) =>
        cancellationToken.CanBeCanceled ? (ulong)Interlocked.Increment(ref _nextCallId) : 0;

    private void AbandonIfCancelled(int fd, ulong callId, object reply, CancellationToken cancellationToken)
    {
        if (callId != 0 && reply is Errno.EINTR && cancellationToken.IsCancellationRequested && !HasExited)
        {
            Kpn.Tell(new KpnProtocol.CancelRecv(fd, callId), ActorRefs.NoSender);
        }
    }

    private static void Describe(Activity span, object reply)
    {
        Errno error = reply switch
        {
            SysResult result => result.Error,
            RecvResult result => result.Error,
            ZeroCopyRecv result => result.Error,
            Errno errno => errno,
            _ => Errno.None,
        };
        if (error != Errno.None)
        {
            span.SetStatus(ActivityStatusCode.Error, error.ToString());
            span.SetTag("edsos.errno", error.ToString());
        }
        else if (reply is SysResult ok)
        {
            span.SetTag("edsos.result", ok.Value);
        }
    }

    /// <summary>A disposed ring leaves the process's list.</summary>
    internal void Forget(IoRing ring)
    {
        lock (_rings)
        {
            _rings.Remove(ring);
        }
    }

    /// <summary>The KPN stopped: every call out ends with EINTR, every ring closes.</summary>
    private void OnKpnStopped()
    {
        _completions.StopAll();
        IoRing[] rings;
        lock (_rings)
        {
            rings = _rings.ToArray();
        }

        foreach (var ring in rings)
        {
            ring.OnKpnStopped();
        }
    }

    private string TsPathOf(TsId ts) => _memory.TryGetTs(ts, out var info) ? info.Path : ts.ToString();

    private bool IsTsAlive() => _memory.IsTsAlive(Ts);
}
