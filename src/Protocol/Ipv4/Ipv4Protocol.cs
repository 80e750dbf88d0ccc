using Edsos.Driver;
using Edsos.Memory;
using Edsos.Protocol.Wire;
using Akka.Actor;
using Edsos.Scheduler;

namespace Edsos.Protocol.Ipv4;

/// <summary>
/// Events of the IPv4 layer inside one stack: transport workers hand datagrams to the IPv4 transmit
/// worker (Linux <c>ip_queue_xmit</c>), and the receive worker feeds the transmit side what it learns
/// (ARP) and gets the port bindings from the family. Nodes ride as capabilities of the receiving TS.
/// </summary>
public static class Ipv4Protocol
{
    /// <summary>
    /// Transport worker → <see cref="Ipv4TxWorker"/> (<c>ip_queue_xmit</c>): route, resolve, fragment and
    /// queue one datagram. <paramref name="Headroom"/> is a node of the transmit TS exactly
    /// <see cref="FrameLayout.EthernetIpv4HeaderLength"/> + <paramref name="TransportHeaderLength"/> bytes
    /// long whose tail already holds the transport header with its final checksum; the worker writes the
    /// Ethernet and IPv4 headers in front of it. <paramref name="Payload"/> (default when
    /// <paramref name="PayloadLength"/> is 0) is a node of the transmit TS too. The worker owns both from
    /// now on and pops them on every path. Reply to <paramref name="ReplyTo"/> (none when null):
    /// <see cref="IpXmitComplete"/> with <paramref name="RequestId"/> and
    /// <paramref name="ReportedBytes"/> once every frame completed, or the first error
    /// (<see cref="Errno.ENETUNREACH"/>, <see cref="Errno.EHOSTUNREACH"/>, <see cref="Errno.EFAULT"/>,
    /// <see cref="Errno.ENOBUFS"/>, <see cref="Errno.EMSGSIZE"/>, <see cref="Errno.ENETDOWN"/>).
    /// <paramref name="GsoSize"/> above 0 marks a TCP super-segment for the NIC's segmentation offload (Linux
    /// <c>gso_size</c>): it goes out as one frame, never fragmented, with DF set and the super-packet's total
    /// length, and the NIC cuts its payload into <paramref name="GsoSize"/>-byte segments, computing every
    /// checksum. Refused with <see cref="Errno.EOPNOTSUPP"/> unless the interface has
    /// <see cref="InetStackOptions.Tso"/>, the protocol is TCP and the destination is not one of ours (loopback
    /// has no NIC to cut it).
    /// </summary>
    public sealed record IpQueueXmit(ulong RequestId, IActorRef? ReplyTo, int ReportedBytes, Ipv4Address Source, Ipv4Address Destination, IpProtocol Protocol, byte Tos, Capability Headroom, int TransportHeaderLength, Capability Payload, int PayloadLength, int GsoSize = 0) : IPooledMessage
    {
        private static readonly MessagePool<IpQueueXmit> s_pool = new();
        private MessageLease _lease;

        private ulong _requestId = RequestId;
        private IActorRef? _replyTo = ReplyTo;
        private int _reportedBytes = ReportedBytes;
        private Ipv4Address _source = Source;
        private Ipv4Address _destination = Destination;
        private IpProtocol _protocol = Protocol;
        private byte _tos = Tos;
        private Capability _headroom = Headroom;
        private int _transportHeaderLength = TransportHeaderLength;
        private Capability _payload = Payload;
        private int _payloadLength = PayloadLength;
        private int _gsoSize = GsoSize;

        /// <summary>See the record's <c>RequestId</c> parameter.</summary>
        public ulong RequestId { get => _requestId; init => _requestId = value; }

        /// <summary>See the record's <c>ReplyTo</c> parameter.</summary>
        public IActorRef? ReplyTo { get => _replyTo; init => _replyTo = value; }

        /// <summary>See the record's <c>ReportedBytes</c> parameter.</summary>
        public int ReportedBytes { get => _reportedBytes; init => _reportedBytes = value; }

        /// <summary>See the record's <c>Source</c> parameter.</summary>
        public Ipv4Address Source { get => _source; init => _source = value; }

        /// <summary>See the record's <c>Destination</c> parameter.</summary>
        public Ipv4Address Destination { get => _destination; init => _destination = value; }

        /// <summary>See the record's <c>Protocol</c> parameter.</summary>
        public IpProtocol Protocol { get => _protocol; init => _protocol = value; }

        /// <summary>See the record's <c>Tos</c> parameter.</summary>
        public byte Tos { get => _tos; init => _tos = value; }

        /// <summary>See the record's <c>Headroom</c> parameter.</summary>
        public Capability Headroom { get => _headroom; init => _headroom = value; }

        /// <summary>See the record's <c>TransportHeaderLength</c> parameter.</summary>
        public int TransportHeaderLength { get => _transportHeaderLength; init => _transportHeaderLength = value; }

        /// <summary>See the record's <c>Payload</c> parameter.</summary>
        public Capability Payload { get => _payload; init => _payload = value; }

        /// <summary>See the record's <c>PayloadLength</c> parameter.</summary>
        public int PayloadLength { get => _payloadLength; init => _payloadLength = value; }

        /// <summary>See the record's <c>GsoSize</c> parameter.</summary>
        public int GsoSize { get => _gsoSize; init => _gsoSize = value; }

        /// <summary>A IpQueueXmit with these fields, from the pool when it has one (the sender tells it once and lets go; see <see cref="MessagePool{T}"/>).</summary>
        public static IpQueueXmit Rent(ulong requestId, IActorRef? replyTo, int reportedBytes, Ipv4Address source, Ipv4Address destination, IpProtocol protocol, byte tos, Capability headroom, int transportHeaderLength, Capability payload, int payloadLength, int gsoSize = 0)
        {
            var message = s_pool.TryRent();
            if (message is null)
            {
                message = new IpQueueXmit(requestId, replyTo, reportedBytes, source, destination, protocol, tos, headroom, transportHeaderLength, payload, payloadLength, gsoSize);
            }
            else
            {
                message._requestId = requestId;
                message._replyTo = replyTo;
                message._reportedBytes = reportedBytes;
                message._source = source;
                message._destination = destination;
                message._protocol = protocol;
                message._tos = tos;
                message._headroom = headroom;
                message._transportHeaderLength = transportHeaderLength;
                message._payload = payload;
                message._payloadLength = payloadLength;
                message._gsoSize = gsoSize;
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
    /// Transport → IPv4 transmit worker: the datagrams of one batch, in order, each an <see cref="IpQueueXmit"/> meaning
    /// what it means alone. Their frames go to the qdisc in one <see cref="Qdisc.QdiscProtocol.DevQueueXmitBatch"/>, and
    /// the completions of datagrams that came in a batch go back to their <c>ReplyTo</c> in one
    /// <see cref="IpXmitCompleteBatch"/> per burst of completions (so a receiver must take that too). Pooled
    /// (<see cref="MessageBatch{TSelf, TItem}"/>).
    /// </summary>
    public sealed record IpQueueXmitBatch : MessageBatch<IpQueueXmitBatch, IpQueueXmit>;

    /// <summary>
    /// IPv4 → the <c>ReplyTo</c> of datagrams that came in an <see cref="IpQueueXmitBatch"/>: their completions that one
    /// burst of frame completions finished, in order, each an <see cref="IpXmitComplete"/> meaning what it means alone.
    /// Pooled.
    /// </summary>
    public sealed record IpXmitCompleteBatch : MessageBatch<IpXmitCompleteBatch, IpXmitComplete>;

    /// <summary>
    /// <see cref="Ipv4TxWorker"/> → the <see cref="IpQueueXmit.ReplyTo"/> of a datagram (the ICMP service, TCP for each
    /// segment, or a UDP socket directly, which the UDP worker names as the reply target so no hop is added): every
    /// frame of datagram <paramref name="RequestId"/> completed, <paramref name="Bytes"/> being the request's
    /// <c>ReportedBytes</c>, or the first error (<see cref="Errno.ENETUNREACH"/>, <see cref="Errno.EHOSTUNREACH"/>,
    /// <see cref="Errno.EFAULT"/>, <see cref="Errno.ENOBUFS"/>, <see cref="Errno.EMSGSIZE"/>,
    /// <see cref="Errno.EOPNOTSUPP"/>, <see cref="Errno.ENETDOWN"/>) with <paramref name="Bytes"/> 0. Sent once per datagram.
    /// </summary>
    public sealed record IpXmitComplete(ulong RequestId, int Bytes, Errno Error) : IPooledMessage
    {
        private static readonly MessagePool<IpXmitComplete> s_pool = new();
        private MessageLease _lease;

        private ulong _requestId = RequestId;
        private int _bytes = Bytes;
        private Errno _error = Error;

        /// <summary>See the record's <c>RequestId</c> parameter.</summary>
        public ulong RequestId { get => _requestId; init => _requestId = value; }

        /// <summary>See the record's <c>Bytes</c> parameter.</summary>
        public int Bytes { get => _bytes; init => _bytes = value; }

        /// <summary>See the record's <c>Error</c> parameter.</summary>
        public Errno Error { get => _error; init => _error = value; }

        /// <summary>A IpXmitComplete with these fields, from the pool when it has one (the sender tells it once and lets go; see <see cref="MessagePool{T}"/>).</summary>
        public static IpXmitComplete Rent(ulong requestId, int bytes, Errno error)
        {
            var message = s_pool.TryRent();
            if (message is null)
            {
                message = new IpXmitComplete(requestId, bytes, error);
            }
            else
            {
                message._requestId = requestId;
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
    /// A worker that shared a node into the IPv4 transmit TS and cannot hand it over after all → <see cref="Ipv4TxWorker"/>:
    /// release <paramref name="Node"/>, a node of the transmit TS that this message gives to the worker (the sender no
    /// longer owns it and must not touch it again). Only the owner of a TS may release its nodes, hence the message. No
    /// reply; a node already gone (revoked by a lift) is ignored.
    /// </summary>
    public sealed record ReleaseNode(Capability Node);

    /// <summary>
    /// Receive worker → transmit worker: an ARP packet said <paramref name="Address"/> is at
    /// <paramref name="Mac"/>. <paramref name="TargetedAtUs"/> lets the cache create the entry (RFC 826
    /// merge rule); otherwise only an existing entry is refreshed. Parked datagrams for it are sent.
    /// </summary>
    public sealed record ArpLearnedEvent(Ipv4Address Address, MacAddress Mac, bool TargetedAtUs);

    /// <summary>Receive worker → transmit worker: answer <paramref name="Request"/>, an ARP request for our address.</summary>
    public sealed record ArpReplyNeeded(ArpRepr Request);

    /// <summary>
    /// Family → receive worker: deliver UDP datagrams for <paramref name="Local"/> to
    /// <paramref name="Socket"/> from now on, then tell <paramref name="ReplyTo"/> (the binder)
    /// <paramref name="Reply"/>, so a socket never learns of a bind the demultiplexer does not know yet.
    /// </summary>
    public sealed record BindingAdded(int Protocol, Ipv4Endpoint Local, IActorRef Socket, TsId SocketTs, InetProtocol.BindReply Reply, IActorRef ReplyTo);

    /// <summary>Family → receive worker: stop delivering for <paramref name="Local"/>.</summary>
    public sealed record BindingRemoved(int Protocol, Ipv4Endpoint Local);

    /// <summary>
    /// Stack builder → receive worker, once: the transmit worker and ICMP service it feeds (they are
    /// created after it), and the TCP worker with the TS its segments' payload is shared into (none: TCP is
    /// counted as an unknown protocol). The worker attaches to the driver only then.
    /// </summary>
    public sealed record RxPeers(IActorRef TxWorker, IActorRef Icmp, IActorRef? Tcp = null, TsId TcpTs = default);
}
