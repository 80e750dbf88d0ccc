using Edsos.Driver;
using Edsos.Memory;
using Edsos.Protocol;
using Akka.Actor;
using Edsos.Scheduler;

namespace Edsos.SocketService;

/// <summary>
/// The socket service's event contract with the KPN (seed 000 stages 2 and 5, and the receive
/// dual). Every request carries a <c>ReqId</c> the reply echoes, so a KPN can keep many calls in
/// flight. Payload travels as CTRNs; no message carries payload bytes.
/// </summary>
public static class SocketProtocol
{
    /// <summary>
    /// KPN → socket table (<c>/net/sockets</c>): <c>socket(domain, type, protocol)</c>. The table
    /// asks the family for an implementation and starts a <c>sock_node</c> in its own TS
    /// (<c>/net/sockets/sock_N</c>). Reply: <see cref="SocketCreated"/>.
    /// </summary>
    public sealed record CreateSocket(ulong ReqId, int Domain, SocketKind Type, int Protocol, TsId OwnerTs);

    /// <summary>Reply to <see cref="CreateSocket"/>: the socket node and its TS (<see cref="Errno.EAFNOSUPPORT"/>, <see cref="Errno.EPROTONOSUPPORT"/>, ...).</summary>
    public sealed record SocketCreated(ulong ReqId, Errno Error, ulong SocketId, IActorRef? Node, TsId NodeTs);

    /// <summary>KPN → sock_node: <c>bind</c>. Reply: <see cref="SocketReply"/> (Value: the bound port).</summary>
    public sealed record BindSocket(ulong ReqId, Ipv4Endpoint Local);

    /// <summary>
    /// KPN → sock_node: <c>connect</c>. For UDP it sets the default destination. For a stream socket it runs the
    /// TCP handshake: the reply waits for it, or with <paramref name="NonBlocking"/> is <see cref="Errno.EINPROGRESS"/>
    /// at once (the outcome is then read with SO_ERROR); a second connect meanwhile is <see cref="Errno.EALREADY"/>,
    /// one on a connected socket <see cref="Errno.EISCONN"/>. Reply: <see cref="SocketReply"/>.
    /// </summary>
    public sealed record ConnectSocket(ulong ReqId, Ipv4Endpoint Remote, bool NonBlocking = false);

    /// <summary>
    /// KPN → stream sock_node: <c>listen(backlog)</c> on its bound port. Reply: <see cref="SocketReply"/>
    /// (<see cref="Errno.EOPNOTSUPP"/> on a datagram socket, <see cref="Errno.EINVAL"/> unbound or connected,
    /// <see cref="Errno.EADDRINUSE"/> when the port has a listener).
    /// </summary>
    public sealed record ListenSocket(ulong ReqId, int Backlog);

    /// <summary>
    /// KPN → listening sock_node: <c>accept</c>. Reply: <see cref="AcceptRespEvent"/> once a connection completed
    /// its handshake (at once with <see cref="Errno.EAGAIN"/> when <paramref name="NonBlocking"/> and none waits;
    /// <see cref="Errno.EINVAL"/> when not listening).
    /// </summary>
    public sealed record AcceptReqEvent(ulong ReqId, bool NonBlocking);

    /// <summary>Reply to <see cref="AcceptReqEvent"/>: the connection to hand to a new socket with <see cref="AdoptConnection"/>.</summary>
    public sealed record AcceptRespEvent(ulong ReqId, Errno Error, ulong ConnectionId, Ipv4Endpoint Local, Ipv4Endpoint Remote);

    /// <summary>
    /// KPN → a fresh stream sock_node: serve accepted connection <paramref name="ConnectionId"/>. Reply:
    /// <see cref="SocketReply"/> (<see cref="Errno.ECONNABORTED"/> when the connection died meanwhile).
    /// </summary>
    public sealed record AdoptConnection(ulong ReqId, ulong ConnectionId);

    /// <summary>
    /// KPN → stream sock_node: <c>shutdown(how)</c> (0 SHUT_RD, 1 SHUT_WR: FIN after the queued data, 2 both).
    /// Reply: <see cref="SocketReply"/> (<see cref="Errno.ENOTCONN"/> unless connected, <see cref="Errno.EINVAL"/> for another how).
    /// </summary>
    public sealed record ShutdownSocket(ulong ReqId, int How);

    /// <summary>
    /// KPN → sock_node (<c>send_req_event</c>, seed 000 stage 2): queue <paramref name="Ctrn"/>, the
    /// user's buffer <c>ct_share</c>d under the socket's <c>send_q</c>. The socket owns the CTRN
    /// from now on. A null <paramref name="Destination"/> means the connected peer. Reply:
    /// <see cref="SendRespEvent"/> once the protocol completed the send (or failed it); with
    /// <paramref name="AnswerQueued"/> (MSG_ZEROCOPY) once the socket has handed it to the protocol, its pages still
    /// shared until transmitted (copy mode always answers once the bytes are copied in).
    /// </summary>
    public sealed record SendReqEvent(ulong ReqId, Capability Ctrn, int Length, Ipv4Endpoint? Destination, bool NonBlocking, bool AnswerQueued = false) : IPooledMessage
    {
        private static readonly MessagePool<SendReqEvent> s_pool = new();
        private MessageLease _lease;

        private ulong _reqId = ReqId;
        private Capability _ctrn = Ctrn;
        private int _length = Length;
        private Ipv4Endpoint? _destination = Destination;
        private bool _nonBlocking = NonBlocking;
        private bool _answerQueued = AnswerQueued;

        /// <summary>See the record's <c>ReqId</c> parameter.</summary>
        public ulong ReqId { get => _reqId; init => _reqId = value; }

        /// <summary>See the record's <c>Ctrn</c> parameter.</summary>
        public Capability Ctrn { get => _ctrn; init => _ctrn = value; }

        /// <summary>See the record's <c>AnswerQueued</c> parameter.</summary>
        public bool AnswerQueued { get => _answerQueued; init => _answerQueued = value; }

        /// <summary>See the record's <c>Length</c> parameter.</summary>
        public int Length { get => _length; init => _length = value; }

        /// <summary>See the record's <c>Destination</c> parameter.</summary>
        public Ipv4Endpoint? Destination { get => _destination; init => _destination = value; }

        /// <summary>See the record's <c>NonBlocking</c> parameter.</summary>
        public bool NonBlocking { get => _nonBlocking; init => _nonBlocking = value; }

        /// <summary>A SendReqEvent with these fields, from the pool when it has one (the sender tells it once and lets go; see <see cref="MessagePool{T}"/>).</summary>
        public static SendReqEvent Rent(ulong reqId, Capability ctrn, int length, Ipv4Endpoint? destination, bool nonBlocking, bool answerQueued = false)
        {
            var message = s_pool.TryRent();
            if (message is null)
            {
                message = new SendReqEvent(reqId, ctrn, length, destination, nonBlocking, answerQueued);
            }
            else
            {
                message._reqId = reqId;
                message._ctrn = ctrn;
                message._length = length;
                message._destination = destination;
                message._nonBlocking = nonBlocking;
                message._answerQueued = answerQueued;
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
    /// KPN → sock_node: several <see cref="SendReqEvent"/>s in one event (a ring submission's sends to this socket,
    /// in submission order). The socket takes each exactly as if it had arrived alone, one after the other, and owns
    /// every CTRN from now on. Replies: one <see cref="SendRespEvent"/> per send.
    /// </summary>
    public sealed record SendBatchReqEvent(IReadOnlyList<SendReqEvent> Sends);

    /// <summary>
    /// sock_node → KPN: several <see cref="SendRespEvent"/>s in one event, the answers one burst of transmit completions
    /// (an <c>IpXmitCompleteBatch</c>) gives to the same sender, in completion order; a burst with one answer for it sends
    /// that <see cref="SendRespEvent"/> alone. The receiver takes each exactly as if it had arrived alone, in order.
    /// </summary>
    public sealed record SendRespBatchEvent(IReadOnlyList<SendRespEvent> Resps);

    /// <summary>sock_node → KPN (<c>send_resp_event</c>): bytes sent, or the error.</summary>
    public sealed record SendRespEvent(ulong ReqId, int Bytes, Errno Error) : IPooledMessage
    {
        private static readonly MessagePool<SendRespEvent> s_pool = new();
        private MessageLease _lease;

        private ulong _reqId = ReqId;
        private int _bytes = Bytes;
        private Errno _error = Error;

        /// <summary>See the record's <c>ReqId</c> parameter.</summary>
        public ulong ReqId { get => _reqId; init => _reqId = value; }

        /// <summary>See the record's <c>Bytes</c> parameter.</summary>
        public int Bytes { get => _bytes; init => _bytes = value; }

        /// <summary>See the record's <c>Error</c> parameter.</summary>
        public Errno Error { get => _error; init => _error = value; }

        /// <summary>A SendRespEvent with these fields, from the pool when it has one (the sender tells it once and lets go; see <see cref="MessagePool{T}"/>).</summary>
        public static SendRespEvent Rent(ulong reqId, int bytes, Errno error)
        {
            var message = s_pool.TryRent();
            if (message is null)
            {
                message = new SendRespEvent(reqId, bytes, error);
            }
            else
            {
                message._reqId = reqId;
                message._bytes = bytes;
                message._error = error;
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
    /// KPN → sock_node: receive one datagram. The socket hands its received node to
    /// <paramref name="Target"/>: for <see cref="RecvMode.ZeroCopy"/> by <c>Grant</c> (read-only,
    /// shareable: the buffer becomes the app's), for <see cref="RecvMode.Copy"/> by <c>ct_share</c>
    /// into the KPN's TS so the KPN copies it into the user's buffer. Blocks (the reply waits) or,
    /// when <paramref name="NonBlocking"/>, replies <see cref="Errno.EAGAIN"/> at once on an empty queue.
    /// Reply: <see cref="RecvRespEvent"/>.
    /// </summary>
    /// <remarks>
    /// On a stream socket a receive returns the next in-order bytes (a zero length at end of stream, after the
    /// peer's FIN); <paramref name="MaxLength"/> (0: no limit) splits a received node so that a classic
    /// <c>recv</c> into a smaller buffer loses nothing.
    /// </remarks>
    public sealed record RecvReqEvent(ulong ReqId, RecvMode Mode, TsId Target, bool NonBlocking, int MaxLength = 0) : IPooledMessage
    {
        private static readonly MessagePool<RecvReqEvent> s_pool = new();
        private MessageLease _lease;

        private ulong _reqId = ReqId;
        private RecvMode _mode = Mode;
        private TsId _target = Target;
        private bool _nonBlocking = NonBlocking;
        private int _maxLength = MaxLength;

        /// <summary>See the record's <c>ReqId</c> parameter.</summary>
        public ulong ReqId { get => _reqId; init => _reqId = value; }

        /// <summary>See the record's <c>Mode</c> parameter.</summary>
        public RecvMode Mode { get => _mode; init => _mode = value; }

        /// <summary>See the record's <c>Target</c> parameter.</summary>
        public TsId Target { get => _target; init => _target = value; }

        /// <summary>See the record's <c>NonBlocking</c> parameter.</summary>
        public bool NonBlocking { get => _nonBlocking; init => _nonBlocking = value; }

        /// <summary>See the record's <c>MaxLength</c> parameter.</summary>
        public int MaxLength { get => _maxLength; init => _maxLength = value; }

        /// <summary>A RecvReqEvent with these fields, from the pool when it has one (the sender tells it once and lets go; see <see cref="MessagePool{T}"/>).</summary>
        public static RecvReqEvent Rent(ulong reqId, RecvMode mode, TsId target, bool nonBlocking, int maxLength = 0)
        {
            var message = s_pool.TryRent();
            if (message is null)
            {
                message = new RecvReqEvent(reqId, mode, target, nonBlocking, maxLength);
            }
            else
            {
                message._reqId = reqId;
                message._mode = mode;
                message._target = target;
                message._nonBlocking = nonBlocking;
                message._maxLength = maxLength;
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
    /// KPN → sock_node: several <see cref="RecvReqEvent"/>s in one event (a ring submission's receives on this socket,
    /// in submission order). The socket takes each exactly as if it had arrived alone, one after the other. Replies:
    /// one <see cref="RecvRespEvent"/> per receive.
    /// </summary>
    public sealed record RecvBatchReqEvent(IReadOnlyList<RecvReqEvent> Recvs);

    /// <summary>
    /// sock_node → KPN: several <see cref="RecvRespEvent"/>s in one event, the answers one burst (a batch of arriving
    /// datagrams, or a <see cref="RecvBatchReqEvent"/> served from the queue) gives to the same receiver, in order; a
    /// burst with one answer for it sends that <see cref="RecvRespEvent"/> alone. Each carries its node as alone would
    /// (the receiver owns them all); the receiver takes each exactly as if it had arrived alone, in order.
    /// </summary>
    public sealed record RecvRespBatchEvent(IReadOnlyList<RecvRespEvent> Resps);

    /// <summary>
    /// KPN → socket, after its caller gave up on receive <paramref name="ReqId"/>: a waiter still queued is
    /// removed and answered <c>EINTR</c>; one already served is left alone (its reply is on the way).
    /// </summary>
    public sealed record RecvCancelEvent(ulong ReqId);

    /// <summary>Reply to <see cref="RecvReqEvent"/>: the datagram's node, mounted in the target TS.</summary>
    public sealed record RecvRespEvent(ulong ReqId, Errno Error, Capability Data, int Length, Ipv4Endpoint From) : IPooledMessage
    {
        private static readonly MessagePool<RecvRespEvent> s_pool = new();
        private MessageLease _lease;

        private ulong _reqId = ReqId;
        private Errno _error = Error;
        private Capability _data = Data;
        private int _length = Length;
        private Ipv4Endpoint _from = From;

        /// <summary>See the record's <c>ReqId</c> parameter.</summary>
        public ulong ReqId { get => _reqId; init => _reqId = value; }

        /// <summary>See the record's <c>Error</c> parameter.</summary>
        public Errno Error { get => _error; init => _error = value; }

        /// <summary>See the record's <c>Data</c> parameter.</summary>
        public Capability Data { get => _data; init => _data = value; }

        /// <summary>See the record's <c>Length</c> parameter.</summary>
        public int Length { get => _length; init => _length = value; }

        /// <summary>See the record's <c>From</c> parameter.</summary>
        public Ipv4Endpoint From { get => _from; init => _from = value; }

        /// <summary>A RecvRespEvent with these fields, from the pool when it has one (the sender tells it once and lets go; see <see cref="MessagePool{T}"/>).</summary>
        public static RecvRespEvent Rent(ulong reqId, Errno error, Capability data, int length, Ipv4Endpoint from)
        {
            var message = s_pool.TryRent();
            if (message is null)
            {
                message = new RecvRespEvent(reqId, error, data, length, from);
            }
            else
            {
                message._reqId = reqId;
                message._error = error;
                message._data = data;
                message._length = length;
                message._from = from;
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

    /// <summary>KPN → sock_node: <c>setsockopt</c>. Reply: <see cref="SocketReply"/>.</summary>
    public sealed record SetSocketOption(ulong ReqId, SocketOption Option, int Value);

    /// <summary>KPN → sock_node: <c>getsockopt</c>. Reply: <see cref="SocketReply"/> (Value: the option; reading <see cref="SocketOption.Error"/> clears it).</summary>
    public sealed record GetSocketOption(ulong ReqId, SocketOption Option);

    /// <summary>
    /// KPN → sock_node: <c>close</c>. Pending calls are answered with <see cref="Errno.EBADF"/>,
    /// queued CTRNs popped, the port unbound, the socket's TS exited. Reply: <see cref="SocketReply"/>.
    /// </summary>
    public sealed record CloseSocket(ulong ReqId);

    /// <summary>
    /// Anyone → sock_node: a snapshot of the socket (diagnostics, tests). Added to the contract by
    /// the socket service. Reply: <see cref="SocketStats"/>.
    /// </summary>
    public sealed record GetSocketStats(ulong ReqId);

    /// <summary>
    /// Reply to <see cref="GetSocketStats"/>: state, endpoints, the send queue (datagrams in flight
    /// to the transmit worker and parked on SO_SNDBUF, and their payload bytes), the receive queue,
    /// the receives waiting for a datagram, and counters (datagrams sent, received, dropped past SO_RCVBUF).
    /// </summary>
    public sealed record SocketStats(
        ulong ReqId,
        SocketState State,
        Ipv4Endpoint? Local,
        Ipv4Endpoint? Remote,
        int SendInFlight,
        int SendParked,
        int SendQueuedBytes,
        int ReceiveQueued,
        int ReceiveQueuedBytes,
        int ReceiveWaiters,
        long DatagramsSent,
        long DatagramsReceived,
        long DatagramsDropped);

    /// <summary>Generic reply: <paramref name="Value"/> on success, else <paramref name="Error"/>.</summary>
    public sealed record SocketReply(ulong ReqId, Errno Error, long Value);

    /// <summary>
    /// Anyone → socket table: close every socket whose owner TS (<see cref="CreateSocket.OwnerTs"/>) has exited, as
    /// when the process that owned them was killed (console cluster; a process in this one closes its sockets as it
    /// exits). Reply: <see cref="OrphansClosed"/>.
    /// </summary>
    public sealed record CloseOrphans;

    /// <summary>Reply to <see cref="CloseOrphans"/>: how many sockets were told to close.</summary>
    public sealed record OrphansClosed(int Sockets);
}

/// <summary>How a received datagram reaches the caller.</summary>
public enum RecvMode
{
    /// <summary>Granted read-only into the user's TS: no CPU copy.</summary>
    ZeroCopy,

    /// <summary>Shared into the KPN, which copies it into the user's buffer (classic <c>recv</c>, counted).</summary>
    Copy,
}

/// <summary>Socket options that matter here (SOL_SOCKET).</summary>
public enum SocketOption
{
    /// <summary>SO_SNDBUF: bytes of payload the send queue may hold.</summary>
    SendBuffer,

    /// <summary>SO_RCVBUF: bytes of payload the receive queue may hold; datagrams past it are dropped.</summary>
    ReceiveBuffer,

    /// <summary>SO_ERROR: the pending asynchronous error; reading clears it.</summary>
    Error,

    /// <summary>TCP_NODELAY (IPPROTO_TCP): 1 turns Nagle's algorithm off on a stream socket.</summary>
    NoDelay,
}
