using Edsos.Memory;
using Akka.Actor;
using Edsos.Scheduler;

namespace Edsos.Driver;

/// <summary>
/// The driver's event contract (seed 000 stage 4 and the receive dual). Events carry
/// capabilities and handles, never frame bytes; the frame bytes move only by the device's DMA.
/// </summary>
public static class DriverProtocol
{
    /// <summary>
    /// Protocol (qdisc) → driver TX worker: transmit <paramref name="Skb"/>, a CTRN already mounted
    /// in the driver's TS (the protocol <c>ct_share</c>d it there). The driver validates its GVAs,
    /// pins it, writes its descriptors (<see cref="TxDescriptorBudget"/>) and rings the doorbell. It owns the CTRN
    /// from now on and pops it on completion or drop. With <paramref name="Offload"/> the skb is a TCP
    /// super-frame: the driver writes a TCP/IP context descriptor and TSE data descriptors and the NIC
    /// cuts it into MSS-sized frames; the skb still completes once. Refused with
    /// <see cref="TxStatus.OffloadUnsupported"/> when TSO is not enabled (<see cref="NicOptions.Tso"/>),
    /// <see cref="TxStatus.Malformed"/> when the offload does not fit the skb. Reply:
    /// <see cref="SendCompleteEvent"/> to <paramref name="ReplyTo"/> carrying <paramref name="Token"/>.
    /// </summary>
    public sealed record XmitSkbEvent(Capability Skb, int Length, ulong Token, IActorRef ReplyTo, TxOffload? Offload = null) : IPooledMessage
    {
        private static readonly MessagePool<XmitSkbEvent> s_pool = new();
        private MessageLease _lease;

        private Capability _skb = Skb;
        private int _length = Length;
        private ulong _token = Token;
        private IActorRef _replyTo = ReplyTo;
        private TxOffload? _offload = Offload;

        /// <summary>See the record's <c>Skb</c> parameter.</summary>
        public Capability Skb { get => _skb; init => _skb = value; }

        /// <summary>See the record's <c>Length</c> parameter.</summary>
        public int Length { get => _length; init => _length = value; }

        /// <summary>See the record's <c>Token</c> parameter.</summary>
        public ulong Token { get => _token; init => _token = value; }

        /// <summary>See the record's <c>ReplyTo</c> parameter.</summary>
        public IActorRef ReplyTo { get => _replyTo; init => _replyTo = value; }

        /// <summary>See the record's <c>Offload</c> parameter.</summary>
        public TxOffload? Offload { get => _offload; init => _offload = value; }

        /// <summary>A XmitSkbEvent with these fields, from the pool when it has one (the sender tells it once and lets go; see <see cref="MessagePool{T}"/>).</summary>
        public static XmitSkbEvent Rent(Capability skb, int length, ulong token, IActorRef replyTo, TxOffload? offload = null)
        {
            var message = s_pool.TryRent();
            if (message is null)
            {
                message = new XmitSkbEvent(skb, length, token, replyTo, offload);
            }
            else
            {
                message._skb = skb;
                message._length = length;
                message._token = token;
                message._replyTo = replyTo;
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
                _replyTo = null!;
                _offload = null!;
                s_pool.Return(this);
            }
        }
    }

    /// <summary>
    /// Driver → the sender of <see cref="XmitSkbEvent"/>: the frame left the NIC (or was dropped,
    /// see <paramref name="Status"/>), its descriptors are done, the driver unpinned and popped its
    /// CTRN. <paramref name="FreeDescriptors"/> is the TX ring's room after this completion, so the
    /// qdisc can resume (netif_wake_queue).
    /// </summary>
    public sealed record SendCompleteEvent(ulong Token, int Length, TxStatus Status, int FreeDescriptors) : IPooledMessage
    {
        private static readonly MessagePool<SendCompleteEvent> s_pool = new();
        private MessageLease _lease;

        private ulong _token = Token;
        private int _length = Length;
        private TxStatus _status = Status;
        private int _freeDescriptors = FreeDescriptors;

        /// <summary>See the record's <c>Token</c> parameter.</summary>
        public ulong Token { get => _token; init => _token = value; }

        /// <summary>See the record's <c>Length</c> parameter.</summary>
        public int Length { get => _length; init => _length = value; }

        /// <summary>See the record's <c>Status</c> parameter.</summary>
        public TxStatus Status { get => _status; init => _status = value; }

        /// <summary>See the record's <c>FreeDescriptors</c> parameter.</summary>
        public int FreeDescriptors { get => _freeDescriptors; init => _freeDescriptors = value; }

        /// <summary>A SendCompleteEvent with these fields, from the pool when it has one (the sender tells it once and lets go; see <see cref="MessagePool{T}"/>).</summary>
        public static SendCompleteEvent Rent(ulong token, int length, TxStatus status, int freeDescriptors)
        {
            var message = s_pool.TryRent();
            if (message is null)
            {
                message = new SendCompleteEvent(token, length, status, freeDescriptors);
            }
            else
            {
                message._token = token;
                message._length = length;
                message._status = status;
                message._freeDescriptors = freeDescriptors;
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
    /// A qdisc → driver: register as the TX client. Reply: <see cref="TxCredit"/> with the ring's
    /// free descriptor count. The driver sends a fresh <see cref="TxCredit"/> whenever room frees.
    /// With <paramref name="Batches"/> the client takes <see cref="DriverBatchProtocol.SendCompleteBatchEvent"/>: the completions
    /// one TX interrupt reclaims for it come in one event (without, one <see cref="SendCompleteEvent"/> each).
    /// </summary>
    public sealed record AttachTx(IActorRef Client, bool Batches = false);

    /// <summary>Driver → TX client: how many descriptors are free; an skb takes <see cref="TxDescriptorBudget"/>'s count of them.</summary>
    public sealed record TxCredit(int FreeDescriptors)
    {
        private static readonly TxCredit?[] s_byCount = new TxCredit?[4097];

        /// <summary>The credit message for <paramref name="freeDescriptors"/>: one shared instance per count (a record is immutable), so the credit after every TX interrupt allocates nothing.</summary>
        public static TxCredit Of(int freeDescriptors) =>
            (uint)freeDescriptors < (uint)s_byCount.Length ? s_byCount[freeDescriptors] ??= new TxCredit(freeDescriptors) : new TxCredit(freeDescriptors);
    }

    /// <summary>
    /// Protocol RX worker → driver: deliver received frames to <paramref name="Handler"/> as CTRNs
    /// mounted in <paramref name="HandlerTs"/>. With <paramref name="Batches"/> each NAPI poll's frames come in one
    /// <see cref="DriverBatchProtocol.FrameReceivedBatchEvent"/> (without, one <see cref="FrameReceivedEvent"/> each).
    /// </summary>
    public sealed record AttachRx(IActorRef Handler, Edsos.Memory.TsId HandlerTs, bool Batches = false);

    /// <summary>
    /// Driver RX worker → the attached handler: a frame the NIC DMA-wrote into an RX buffer,
    /// shared into the handler's TS. The handler owns <paramref name="Frame"/> and pops it.
    /// <paramref name="Checksum"/> is what the NIC's receive checksum offload found (<see cref="RxChecksum.None"/>: it
    /// checked nothing); a frame with a checksum it found wrong still comes up, for the handler to count and drop.
    /// </summary>
    public sealed record FrameReceivedEvent(Capability Frame, int Length, RxChecksum Checksum = RxChecksum.None) : IPooledMessage
    {
        private static readonly MessagePool<FrameReceivedEvent> s_pool = new();
        private MessageLease _lease;

        private Capability _frame = Frame;
        private int _length = Length;
        private RxChecksum _checksum = Checksum;

        /// <summary>See the record's <c>Frame</c> parameter.</summary>
        public Capability Frame { get => _frame; init => _frame = value; }

        /// <summary>See the record's <c>Length</c> parameter.</summary>
        public int Length { get => _length; init => _length = value; }

        /// <summary>See the record's <c>Checksum</c> parameter.</summary>
        public RxChecksum Checksum { get => _checksum; init => _checksum = value; }

        /// <summary>A FrameReceivedEvent with these fields, from the pool when it has one (the sender tells it once and lets go; see <see cref="MessagePool{T}"/>).</summary>
        public static FrameReceivedEvent Rent(Capability frame, int length, RxChecksum checksum = RxChecksum.None)
        {
            var message = s_pool.TryRent();
            if (message is null)
            {
                message = new FrameReceivedEvent(frame, length, checksum);
            }
            else
            {
                message._frame = frame;
                message._length = length;
                message._checksum = checksum;
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

    /// <summary>Anyone → driver: reply with <see cref="NicStatistics"/>.</summary>
    public sealed record GetNicStatistics;

    /// <summary>
    /// Reply to <see cref="GetNicStatistics"/>: device and driver counters. <paramref name="RxMissed"/>
    /// counts frames the device dropped for want of a posted buffer; <paramref name="RxDropped"/>
    /// frames the driver dropped after receiving them (no handler attached, device error).
    /// <paramref name="TsoFrames"/> counts the TSO super-frames the device cut, <paramref name="TsoSegments"/>
    /// the frames that made (also counted in <paramref name="FramesSent"/>).
    /// </summary>
    public sealed record NicStatistics(
        long FramesSent,
        long FramesReceived,
        long BytesSent,
        long BytesReceived,
        long RxMissed,
        long TxDropped,
        int TxRingInUse,
        int TxRingSize,
        long RxDropped = 0,
        long TsoFrames = 0,
        long TsoSegments = 0);
}
