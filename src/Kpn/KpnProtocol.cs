using Edsos.Kpn.Internal;
using Edsos.Driver;
using Edsos.Memory;
using Edsos.Protocol;
using Edsos.SocketService;

namespace Edsos.Kpn;

/// <summary>
/// The syscalls a process makes to its KPN (seed 000 stage 1: the user calls its KPN's stub).
/// Each request names its reply. Buffers are named by GVA in the caller's TS, never by bytes or
/// object references; the KPN checks every GVA against the caller's TS (the TLB check) first.
/// Errors come back as errno values in the replies.
/// </summary>
public static class KpnProtocol
{
    /// <summary><c>socket(domain, type, protocol)</c>. Reply: <see cref="SysResult"/> (the descriptor; EMFILE, EAFNOSUPPORT, ESOCKTNOSUPPORT, ENFILE).</summary>
    public sealed record Socket(int Domain, SocketKind Type, int Protocol);

    /// <summary><c>bind(fd, local)</c>. Reply: <see cref="SysResult"/> (0; EBADF, EINVAL when already bound, EADDRINUSE).</summary>
    public sealed record Bind(int Fd, Ipv4Endpoint Local);

    /// <summary>
    /// <c>connect(fd, remote)</c>: for UDP sets the default destination, binding an ephemeral port first; for TCP
    /// runs the handshake (EINPROGRESS at once when non-blocking; EALREADY, EISCONN, ECONNREFUSED, ETIMEDOUT).
    /// Reply: <see cref="SysResult"/>.
    /// </summary>
    public sealed record Connect(int Fd, Ipv4Endpoint Remote);

    /// <summary>
    /// <c>sendto(fd, buffer, length, flags, destination)</c>; a null destination is <c>send</c> on a
    /// connected socket. Reply: <see cref="SysResult"/> with the bytes sent once the datagram
    /// left (zero copy) or was copied (copy mode); EBADF, EFAULT, EMSGSIZE, EDESTADDRREQ, EAGAIN, ...
    /// </summary>
    public sealed record SendTo(int Fd, Gva Buffer, int Length, Ipv4Endpoint? Destination, MsgFlags Flags) : IPooledMessage
    {
        private static readonly MessagePool<SendTo> s_pool = new();
        private MessageLease _lease;

        private int _fd = Fd;
        private Gva _buffer = Buffer;
        private int _length = Length;
        private Ipv4Endpoint? _destination = Destination;
        private MsgFlags _flags = Flags;

        /// <summary>See the record's <c>Fd</c> parameter.</summary>
        public int Fd { get => _fd; init => _fd = value; }

        /// <summary>See the record's <c>Buffer</c> parameter.</summary>
        public Gva Buffer { get => _buffer; init => _buffer = value; }

        /// <summary>See the record's <c>Length</c> parameter.</summary>
        public int Length { get => _length; init => _length = value; }

        /// <summary>See the record's <c>Destination</c> parameter.</summary>
        public Ipv4Endpoint? Destination { get => _destination; init => _destination = value; }

        /// <summary>See the record's <c>Flags</c> parameter.</summary>
        public MsgFlags Flags { get => _flags; init => _flags = value; }

        /// <summary>A SendTo with these fields, from the pool when it has one (the sender tells it once and lets go; see <see cref="MessagePool{T}"/>).</summary>
        public static SendTo Rent(int fd, Gva buffer, int length, Ipv4Endpoint? destination, MsgFlags flags)
        {
            var message = s_pool.TryRent();
            if (message is null)
            {
                message = new SendTo(fd, buffer, length, destination, flags);
            }
            else
            {
                message._fd = fd;
                message._buffer = buffer;
                message._length = length;
                message._destination = destination;
                message._flags = flags;
            }

            message._lease.Begin();
            return message;
        }

        /// <inheritdoc />
        public void Return()
        {
            if (_lease.TryEnd())
            {
                s_pool.Return(this);
            }
        }
    }

    /// <summary><c>recvfrom(fd, buffer, length, flags)</c>: one datagram copied (counted) into the buffer, truncated to it. Reply: <see cref="RecvResult"/>.</summary>
    public sealed record RecvFrom(int Fd, Gva Buffer, int Length, MsgFlags Flags, ulong CallId = 0);

    /// <summary>Zero-copy receive: the datagram's node is granted to the caller's TS. Reply: <see cref="ZeroCopyRecv"/>.</summary>
    public sealed record RecvZeroCopy(int Fd, MsgFlags Flags, ulong CallId = 0) : IPooledMessage
    {
        private static readonly MessagePool<RecvZeroCopy> s_pool = new();
        private MessageLease _lease;

        private int _fd = Fd;
        private MsgFlags _flags = Flags;
        private ulong _callId = CallId;

        /// <summary>See the record's <c>Fd</c> parameter.</summary>
        public int Fd { get => _fd; init => _fd = value; }

        /// <summary>See the record's <c>Flags</c> parameter.</summary>
        public MsgFlags Flags { get => _flags; init => _flags = value; }

        /// <summary>See the record's <c>CallId</c> parameter.</summary>
        public ulong CallId { get => _callId; init => _callId = value; }

        /// <summary>A RecvZeroCopy with these fields, from the pool when it has one (the sender tells it once and lets go; see <see cref="MessagePool{T}"/>).</summary>
        public static RecvZeroCopy Rent(int fd, MsgFlags flags, ulong callId = 0)
        {
            var message = s_pool.TryRent();
            if (message is null)
            {
                message = new RecvZeroCopy(fd, flags, callId);
            }
            else
            {
                message._fd = fd;
                message._flags = flags;
                message._callId = callId;
            }

            message._lease.Begin();
            return message;
        }

        /// <inheritdoc />
        public void Return()
        {
            if (_lease.TryEnd())
            {
                s_pool.Return(this);
            }
        }
    }

    /// <summary>
    /// Libc → KPN, no reply: the caller of the receive tagged <paramref name="CallId"/> on <paramref name="Fd"/>
    /// stopped waiting (its token was cancelled). The KPN forgets the call and has the socket drop its waiter, so
    /// the next datagram goes to the next receive instead of to nobody; a datagram already on its way is popped.
    /// </summary>
    public sealed record CancelRecv(int Fd, ulong CallId);

    /// <summary><c>listen(fd, backlog)</c> on a bound stream socket. Reply: <see cref="SysResult"/> (0; EBADF, EOPNOTSUPP, EINVAL, EADDRINUSE).</summary>
    public sealed record Listen(int Fd, int Backlog);

    /// <summary>
    /// <c>accept(fd)</c>: waits for a connection on a listening socket (EAGAIN when non-blocking and none is
    /// ready) and returns a new descriptor for it. Reply: <see cref="SysResult"/> (the descriptor; EBADF, EINVAL,
    /// EMFILE, ECONNABORTED).
    /// </summary>
    public sealed record Accept(int Fd);

    /// <summary><c>shutdown(fd, how)</c> on a connected stream socket. Reply: <see cref="SysResult"/> (0; EBADF, ENOTCONN, EINVAL).</summary>
    public sealed record Shutdown(int Fd, int How);

    /// <summary><c>close(fd)</c>: pending calls on it end with EBADF. Reply: <see cref="SysResult"/>.</summary>
    public sealed record Close(int Fd);

    /// <summary><c>fcntl(fd, F_SETFL, O_NONBLOCK)</c> on or off. Reply: <see cref="SysResult"/> (0; EBADF).</summary>
    public sealed record SetNonBlocking(int Fd, bool NonBlocking);

    /// <summary><c>setsockopt(fd, SOL_SOCKET, option, value)</c>. Reply: <see cref="SysResult"/> (0; EBADF, EINVAL, ENOPROTOOPT).</summary>
    public sealed record SetSockOpt(int Fd, SocketOption Option, int Value);

    /// <summary><c>getsockopt(fd, SOL_SOCKET, option)</c> (SO_ERROR clears). Reply: <see cref="SysResult"/> with the value.</summary>
    public sealed record GetSockOpt(int Fd, SocketOption Option);

    /// <summary>
    /// The process is exiting: no new calls are taken, every descriptor is closed (pending calls
    /// end with EBADF). Reply: <see cref="SysResult"/> once every socket confirmed its close; the
    /// caller then exits the process's TS subtree.
    /// </summary>
    public sealed record Exit;

    /// <summary>
    /// The host → KPN (console cluster): the process serving the sockets (<c>net</c>) died, so none of them will
    /// answer. Every pending call ends with ENETDOWN at once; every descriptor is dead (its calls ENETDOWN, its close
    /// 0); <c>socket()</c> goes on to the socket table the KPN was given (the host's link answers ENETDOWN until a
    /// net process is back). No reply.
    /// </summary>
    public sealed record NetDown(string Reason);

    /// <summary>
    /// Libc → KPN, no reply: a ring pair of the process (<see cref="IoRing"/>), its submission ring at
    /// <paramref name="Sq"/> and its completion ring at <paramref name="Cq"/> in the process's TS. The KPN checks both
    /// (TLB check: readable, writable) once here; a ring that fails it is closed.
    /// </summary>
    internal sealed record RingSetup(RingShared Shared, Gva Sq, Gva Cq);

    /// <summary>
    /// Libc → KPN, no reply (<c>io_uring_enter</c>): the submission ring holds entries up to <paramref name="Tail"/>;
    /// the KPN reads every new one and starts it. Each operation's result comes back as a completion entry.
    /// </summary>
    internal sealed record RingSubmit(int RingId, long Tail);

    /// <summary>Libc → KPN, no reply: the app closed ring <paramref name="RingId"/>; completions still due are dropped (a received node released).</summary>
    internal sealed record RingClose(int RingId);

    /// <summary>KPN → itself: write the completions staged on ring <paramref name="RingId"/> and wake its reaper.</summary>
    internal sealed record RingFlush(int RingId);
}
