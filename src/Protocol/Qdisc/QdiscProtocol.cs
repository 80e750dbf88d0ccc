using Edsos.Driver;
using Edsos.Memory;
using Akka.Actor;
using Edsos.Scheduler;

namespace Edsos.Protocol.Qdisc;

/// <summary>
/// Events of the qdisc actor (seed 003 steps 8-10: the device-independent layer queues to the qdisc,
/// which feeds the driver). Frames ride as capabilities of the transmit TS.
/// </summary>
public static class QdiscProtocol
{
    /// <summary>
    /// IPv4 transmit worker → qdisc (<c>dev_queue_xmit</c>): queue <paramref name="Skb"/>, a whole frame
    /// node of the transmit TS, in the pfifo_fast band for <paramref name="Priority"/>. The qdisc owns it
    /// from now on. Reply to <paramref name="Owner"/>: <see cref="SkbSentEvent"/> with
    /// <paramref name="Token"/> once the driver completed it, or at once when it is dropped. With
    /// <paramref name="Offload"/> the frame is a TCP super-frame for the NIC's segmentation offload: it needs
    /// one more descriptor (the context) and is handed to the driver with the offload.
    /// </summary>
    public sealed record DevQueueXmit(Capability Skb, int Length, int Priority, ulong Token, IActorRef Owner, TxOffload? Offload = null) : IPooledMessage
    {
        private static readonly MessagePool<DevQueueXmit> s_pool = new();
        private MessageLease _lease;

        private Capability _skb = Skb;
        private int _length = Length;
        private int _priority = Priority;
        private ulong _token = Token;
        private IActorRef _owner = Owner;
        private TxOffload? _offload = Offload;

        /// <summary>See the record's <c>Skb</c> parameter.</summary>
        public Capability Skb { get => _skb; init => _skb = value; }

        /// <summary>See the record's <c>Length</c> parameter.</summary>
        public int Length { get => _length; init => _length = value; }

        /// <summary>See the record's <c>Priority</c> parameter.</summary>
        public int Priority { get => _priority; init => _priority = value; }

        /// <summary>See the record's <c>Token</c> parameter.</summary>
        public ulong Token { get => _token; init => _token = value; }

        /// <summary>See the record's <c>Owner</c> parameter.</summary>
        public IActorRef Owner { get => _owner; init => _owner = value; }

        /// <summary>See the record's <c>Offload</c> parameter.</summary>
        public TxOffload? Offload { get => _offload; init => _offload = value; }

        /// <summary>A DevQueueXmit with these fields, from the pool when it has one (the sender tells it once and lets go; see <see cref="MessagePool{T}"/>).</summary>
        public static DevQueueXmit Rent(Capability skb, int length, int priority, ulong token, IActorRef owner, TxOffload? offload = null)
        {
            var message = s_pool.TryRent();
            if (message is null)
            {
                message = new DevQueueXmit(skb, length, priority, token, owner, offload);
            }
            else
            {
                message._skb = skb;
                message._length = length;
                message._priority = priority;
                message._token = token;
                message._owner = owner;
                message._offload = offload;
            }

            message._lease.Begin();
            return message;
        }

        /// <inheritdoc />
        public void Return()
        {
            if (_lease.TryEnd())
            {
                _owner = null!;
                _offload = null!;
                s_pool.Return(this);
            }
        }
    }

    /// <summary>
    /// Qdisc → owner: the frame of <paramref name="Token"/> is done: <see cref="Errno.None"/> when it left
    /// the NIC, <see cref="Errno.ENOBUFS"/> when the queue or ring was full, <see cref="Errno.EFAULT"/>
    /// when its memory was revoked, <see cref="Errno.EMSGSIZE"/> when the driver found it malformed,
    /// <see cref="Errno.EOPNOTSUPP"/> when it asked for an offload the NIC does not have enabled,
    /// <see cref="Errno.ENETDOWN"/> when the stack or the device stopped first (driver reset: Aborted).
    /// </summary>
    public sealed record SkbSentEvent(ulong Token, Errno Error) : IPooledMessage
    {
        private static readonly MessagePool<SkbSentEvent> s_pool = new();
        private MessageLease _lease;

        private ulong _token = Token;
        private Errno _error = Error;

        /// <summary>See the record's <c>Token</c> parameter.</summary>
        public ulong Token { get => _token; init => _token = value; }

        /// <summary>See the record's <c>Error</c> parameter.</summary>
        public Errno Error { get => _error; init => _error = value; }

        /// <summary>A SkbSentEvent with these fields, from the pool when it has one (the sender tells it once and lets go; see <see cref="MessagePool{T}"/>).</summary>
        public static SkbSentEvent Rent(ulong token, Errno error)
        {
            var message = s_pool.TryRent();
            if (message is null)
            {
                message = new SkbSentEvent(token, error);
            }
            else
            {
                message._token = token;
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
    /// IPv4 → qdisc: the frames of one batch of datagrams, in order, each a <see cref="DevQueueXmit"/> meaning what it
    /// means alone; the qdisc queues them all and then runs once, so with batching on (<see cref="InetStackOptions.Batching"/>)
    /// the driver gets them in one <see cref="Edsos.Driver.DriverBatchProtocol.XmitSkbBatchEvent"/>. Pooled
    /// (<see cref="MessageBatch{TSelf, TItem}"/>).
    /// </summary>
    public sealed record DevQueueXmitBatch : MessageBatch<DevQueueXmitBatch, DevQueueXmit>;

    /// <summary>
    /// Qdisc → a frame's owner, with batching on: the completions of its frames that one driver completion batch
    /// finished, in order, each a <see cref="SkbSentEvent"/> meaning what it means alone. Pooled.
    /// </summary>
    public sealed record SkbSentBatchEvent : MessageBatch<SkbSentBatchEvent, SkbSentEvent>;

    /// <summary>Qdisc → itself: run again (Linux raises NET_TX_SOFTIRQ when the quota ran out).</summary>
    public sealed record NetTxAction
    {
        /// <summary>The one instance; the message carries nothing.</summary>
        public static NetTxAction Instance { get; } = new();
    }
}
