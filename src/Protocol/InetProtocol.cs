using Edsos.Driver;
using Edsos.Memory;
using Edsos.Protocol.Wire;
using Akka.Actor;
using Edsos.Scheduler;

namespace Edsos.Protocol;

/// <summary>
/// The inet family's event contract with the socket layer (seed 003: protocol family registration,
/// <c>sendto</c> down to the transmit worker, delivery up to the socket). Payload travels as CTRNs
/// mounted in the receiving TS; no message carries payload bytes.
/// </summary>
public static partial class InetProtocol
{
    /// <summary>
    /// Socket → inet family: open an endpoint of <paramref name="Type"/>/<paramref name="Protocol"/>
    /// (0 picks the family's default for the type). The family looks the pair up in its table.
    /// Reply: <see cref="EndpointOpened"/>.
    /// </summary>
    public sealed record OpenEndpoint(SocketKind Type, int Protocol);

    /// <summary>
    /// Reply to <see cref="OpenEndpoint"/>: the transmit worker to send to and the TS to
    /// <c>ct_share</c> payload into (<see cref="Errno.EPROTONOSUPPORT"/> /
    /// <see cref="Errno.ESOCKTNOSUPPORT"/> when the table has no implementation). <paramref name="TxBatches"/>: the
    /// worker also takes <see cref="XmitBatchRequest"/> (a datagram worker of a stack with <see cref="InetStackOptions.Batching"/>).
    /// </summary>
    public sealed record EndpointOpened(Errno Error, int Protocol, IActorRef? TxWorker, TsId TxTs, int MaxPayload, bool TxBatches = false);

    /// <summary>
    /// Socket → inet family: deliver datagrams for <paramref name="Local"/> (port 0: pick an
    /// ephemeral port) to <paramref name="Socket"/> as CTRNs mounted in <paramref name="SocketTs"/>.
    /// Reply: <see cref="BindReply"/> (<see cref="Errno.EADDRINUSE"/>, <see cref="Errno.EADDRNOTAVAIL"/>).
    /// </summary>
    public sealed record BindRequest(int Protocol, Ipv4Endpoint Local, IActorRef Socket, TsId SocketTs);

    /// <summary>Reply to <see cref="BindRequest"/> with the endpoint actually bound.</summary>
    public sealed record BindReply(Errno Error, Ipv4Endpoint Bound);

    /// <summary>Socket → inet family: stop delivering for <paramref name="Local"/>. No reply.</summary>
    public sealed record Unbind(int Protocol, Ipv4Endpoint Local);

    /// <summary>
    /// Socket → transmit worker (seed 000 stage 3): send <paramref name="Payload"/>, a CTRN the socket
    /// <c>ct_share</c>d into the worker's TS, from <paramref name="Source"/> to
    /// <paramref name="Destination"/>. The worker owns the CTRN from now on. Reply to <paramref name="ReplyTo"/>, once:
    /// <see cref="XmitComplete"/> from the transport (TCP always; UDP when it refuses the request), or, for a datagram
    /// the UDP worker passed on, IPv4's <see cref="Ipv4.Ipv4Protocol.IpXmitComplete"/> once every frame completed or
    /// failed. A stream socket names its
    /// connection by <paramref name="ConnectionId"/> (TCP goes by it, not by the endpoints); datagram sockets leave it 0.
    /// </summary>
    public sealed record XmitRequest(ulong RequestId, Capability Payload, int Length, Ipv4Endpoint Source, Ipv4Endpoint Destination, IActorRef ReplyTo, ulong ConnectionId = 0) : IPooledMessage
    {
        private static readonly MessagePool<XmitRequest> s_pool = new();
        private MessageLease _lease;

        private ulong _requestId = RequestId;
        private Capability _payload = Payload;
        private int _length = Length;
        private Ipv4Endpoint _source = Source;
        private Ipv4Endpoint _destination = Destination;
        private IActorRef _replyTo = ReplyTo;
        private ulong _connectionId = ConnectionId;

        /// <summary>See the record's <c>RequestId</c> parameter.</summary>
        public ulong RequestId { get => _requestId; init => _requestId = value; }

        /// <summary>See the record's <c>Payload</c> parameter.</summary>
        public Capability Payload { get => _payload; init => _payload = value; }

        /// <summary>See the record's <c>Length</c> parameter.</summary>
        public int Length { get => _length; init => _length = value; }

        /// <summary>See the record's <c>Source</c> parameter.</summary>
        public Ipv4Endpoint Source { get => _source; init => _source = value; }

        /// <summary>See the record's <c>Destination</c> parameter.</summary>
        public Ipv4Endpoint Destination { get => _destination; init => _destination = value; }

        /// <summary>See the record's <c>ReplyTo</c> parameter.</summary>
        public IActorRef ReplyTo { get => _replyTo; init => _replyTo = value; }

        /// <summary>See the record's <c>ConnectionId</c> parameter.</summary>
        public ulong ConnectionId { get => _connectionId; init => _connectionId = value; }

        /// <summary>A XmitRequest with these fields, from the pool when it has one (the sender tells it once and lets go; see <see cref="MessagePool{T}"/>).</summary>
        public static XmitRequest Rent(ulong requestId, Capability payload, int length, Ipv4Endpoint source, Ipv4Endpoint destination, IActorRef replyTo, ulong connectionId = 0)
        {
            var message = s_pool.TryRent();
            if (message is null)
            {
                message = new XmitRequest(requestId, payload, length, source, destination, replyTo, connectionId);
            }
            else
            {
                message._requestId = requestId;
                message._payload = payload;
                message._length = length;
                message._source = source;
                message._destination = destination;
                message._replyTo = replyTo;
                message._connectionId = connectionId;
            }

            message._lease.Begin();
            return message;
        }

        /// <inheritdoc />
        public void Return()
        {
            if (_lease.TryEnd())
            {
                _replyTo = null!;
                s_pool.Return(this);
            }
        }
    }

    /// <summary>
    /// Socket → UDP transmit worker: the sends of one batch (a ring submission's <c>SendBatchReqEvent</c>), in order,
    /// each an <see cref="XmitRequest"/> meaning what it means alone (its CTRN is the worker's, its completion comes as
    /// it would). The worker hands IPv4 the datagrams it passes on in one <see cref="Ipv4.Ipv4Protocol.IpQueueXmitBatch"/>.
    /// Pooled (<see cref="MessageBatch{TSelf, TItem}"/>).
    /// </summary>
    public sealed record XmitBatchRequest : MessageBatch<XmitBatchRequest, XmitRequest>;

    /// <summary>
    /// Transport worker → the socket that sent <see cref="XmitRequest"/> <paramref name="RequestId"/>: the transport is done
    /// with it, <paramref name="Bytes"/> payload bytes sent, or it failed with <paramref name="Error"/>. The UDP worker
    /// sends it only when it refuses a request before IPv4 (<see cref="Errno.EMSGSIZE"/>, <see cref="Errno.EFAULT"/>,
    /// <see cref="Errno.ENETDOWN"/>); a datagram it passes on is answered by IPv4's
    /// <see cref="Ipv4.Ipv4Protocol.IpXmitComplete"/> straight to the socket. TCP sends it when a chunk's first
    /// transmission completed, or when the connection refused or dropped the chunk.
    /// </summary>
    public sealed record XmitComplete(ulong RequestId, int Bytes, Errno Error);

    /// <summary>
    /// Receive worker → socket: a datagram for the socket, its payload a CTRN mounted in the
    /// socket's TS (headers divided off). The socket owns it and pops it.
    /// </summary>
    public sealed record DatagramReceivedEvent(Capability Payload, int Length, Ipv4Endpoint From, Ipv4Endpoint To) : IPooledMessage
    {
        private static readonly MessagePool<DatagramReceivedEvent> s_pool = new();
        private MessageLease _lease;

        private Capability _payload = Payload;
        private int _length = Length;
        private Ipv4Endpoint _from = From;
        private Ipv4Endpoint _to = To;

        /// <summary>See the record's <c>Payload</c> parameter.</summary>
        public Capability Payload { get => _payload; init => _payload = value; }

        /// <summary>See the record's <c>Length</c> parameter.</summary>
        public int Length { get => _length; init => _length = value; }

        /// <summary>See the record's <c>From</c> parameter.</summary>
        public Ipv4Endpoint From { get => _from; init => _from = value; }

        /// <summary>See the record's <c>To</c> parameter.</summary>
        public Ipv4Endpoint To { get => _to; init => _to = value; }

        /// <summary>A DatagramReceivedEvent with these fields, from the pool when it has one (the sender tells it once and lets go; see <see cref="MessagePool{T}"/>).</summary>
        public static DatagramReceivedEvent Rent(Capability payload, int length, Ipv4Endpoint from, Ipv4Endpoint to)
        {
            var message = s_pool.TryRent();
            if (message is null)
            {
                message = new DatagramReceivedEvent(payload, length, from, to);
            }
            else
            {
                message._payload = payload;
                message._length = length;
                message._from = from;
                message._to = to;
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
    /// Receive worker → socket, with <see cref="InetStackOptions.Batching"/>: the datagrams for one socket that one batch
    /// of frames carried, in arrival order, each a <see cref="DatagramReceivedEvent"/> the socket owns as it would own it
    /// alone. Pooled (<see cref="MessageBatch{TSelf, TItem}"/>).
    /// </summary>
    public sealed record DatagramReceivedBatchEvent : MessageBatch<DatagramReceivedBatchEvent, DatagramReceivedEvent>;

    /// <summary>
    /// Anyone → the ICMP service: send one echo request. Reply: <see cref="PingReply"/> when the
    /// echo reply arrives, or with <see cref="Errno.ETIMEDOUT"/> after <paramref name="Timeout"/>.
    /// </summary>
    public sealed record PingRequest(Ipv4Address Destination, ushort Sequence, int PayloadSize, TimeSpan Timeout);

    /// <summary>Reply to <see cref="PingRequest"/>.</summary>
    public sealed record PingReply(Errno Error, ushort Sequence, Ipv4Address From, byte Ttl, TimeSpan RoundTrip);

    /// <summary>
    /// A transport → inet family (Linux <c>inet_register_protosw</c>): serve <see cref="OpenEndpoint"/>
    /// for <paramref name="Type"/>/<paramref name="Protocol"/> with <paramref name="TxWorker"/>, which takes
    /// payload CTRNs shared into <paramref name="TxTs"/>. The first registration for a type is its default
    /// (protocol 0). Reply: <see cref="ProtocolRegistered"/> (<see cref="Errno.EADDRINUSE"/> when the pair
    /// is taken).
    /// </summary>
    public sealed record RegisterProtocol(SocketKind Type, int Protocol, IActorRef TxWorker, TsId TxTs, int MaxPayload);

    /// <summary>Reply to <see cref="RegisterProtocol"/>.</summary>
    public sealed record ProtocolRegistered(Errno Error, SocketKind Type, int Protocol);
}
