using Edsos.Memory;
using Akka.Actor;
using Edsos.Scheduler;

namespace Edsos.Driver.Device;

/// <summary>
/// Messages of the <see cref="VirtualNicActor"/>: register writes from the driver workers, frames
/// from the wire, interrupts back to the driver. In-process only: <see cref="WireFrame"/> carries
/// a pooled buffer (the device's own memory), which never leaves the driver.
/// </summary>
public static class VirtualNicProtocol
{
    /// <summary>
    /// Driver TX worker → device: program the TX ring (TDBA/TDLEN) over the ring node's pinned
    /// extents and send TX interrupts to <paramref name="Interrupts"/>. Resets TDH = TDT = 0.
    /// </summary>
    public sealed record ConfigureTx(IReadOnlyList<PhysExtent> Ring, int Count, IActorRef Interrupts);

    /// <summary>Driver RX worker → device: program the RX ring and send RX interrupts to <paramref name="Interrupts"/>. Resets RDH = RDT = 0.</summary>
    public sealed record ConfigureRx(IReadOnlyList<PhysExtent> Ring, int Count, IActorRef Interrupts);

    /// <summary>The TX doorbell (TDT write). Doorbells that arrive together are processed as one batch. Ignored after a reset.</summary>
    public sealed record TxDoorbell(int Tail)
    {
        private static readonly TxDoorbell?[] s_byTail = new TxDoorbell?[4096];

        /// <summary>
        /// The doorbell for <paramref name="tail"/>: one shared instance per ring index (a record is immutable;
        /// a race at worst makes two equal ones), so ringing the TX doorbell per frame allocates nothing.
        /// </summary>
        public static TxDoorbell Of(int tail) =>
            (uint)tail < (uint)s_byTail.Length ? s_byTail[tail] ??= new TxDoorbell(tail) : new TxDoorbell(tail);
    }

    /// <summary>
    /// The RX doorbell (RDT write): buffers up to <paramref name="Tail"/> are posted (ignored after a reset); then, when
    /// <paramref name="Unmask"/> names causes, the IMS write that enables them, as <see cref="EnableInterrupts"/> does:
    /// a driver that ends a poll with both writes sends them as one message, as its two register writes go out in one
    /// posted burst.
    /// </summary>
    public sealed record RxDoorbell(int Tail, InterruptCause Unmask = InterruptCause.None)
    {
        private const int CachedTails = 4096;

        // One shared instance per ring index and kind: [tail] the plain doorbell, [CachedTails + tail] the unmasking one.
        private static readonly RxDoorbell?[] s_cache = new RxDoorbell?[2 * CachedTails];

        /// <summary>
        /// The doorbell for <paramref name="tail"/>: one shared instance per ring index (a record is immutable;
        /// a race at worst makes two equal ones), so ringing the RX doorbell per frame allocates nothing.
        /// </summary>
        public static RxDoorbell Of(int tail) => Cached(tail, InterruptCause.None);

        /// <summary>The doorbell for <paramref name="tail"/> followed by unmasking <see cref="InterruptCause.RxTimer"/> (shared instances too).</summary>
        public static RxDoorbell UnmaskingRx(int tail) => Cached(tail, InterruptCause.RxTimer);

        private static RxDoorbell Cached(int tail, InterruptCause unmask) =>
            (uint)tail < CachedTails
                ? s_cache[(unmask == InterruptCause.None ? 0 : CachedTails) + tail] ??= new RxDoorbell(tail, unmask)
                : new RxDoorbell(tail, unmask);
    }

    /// <summary>IMS write: enable interrupt causes; a cause latched while masked fires at once.</summary>
    public sealed record EnableInterrupts(InterruptCause Causes);

    /// <summary>IMC write: disable interrupt causes.</summary>
    public sealed record DisableInterrupts(InterruptCause Causes);

    /// <summary>Device → driver TX worker: TX descriptors were written back (one per processed batch).</summary>
    public sealed record TxInterrupt
    {
        /// <summary>The only instance: an interrupt carries no data, the driver reads the ring.</summary>
        public static readonly TxInterrupt Instance = new();
    }

    /// <summary>Device → driver RX worker: frames were written into posted buffers; RX interrupts are now masked (auto-mask).</summary>
    public sealed record RxInterrupt
    {
        /// <summary>The only instance.</summary>
        public static readonly RxInterrupt Instance = new();
    }

    /// <summary>
    /// Anyone → device: reset (CTRL.RST). The device forgets its rings and stops all DMA (frames
    /// still arriving from the wire count as missed), then replies <see cref="DeviceReset"/>.
    /// After the reply the driver may unpin.
    /// </summary>
    public sealed record ResetDevice;

    /// <summary>
    /// Driver TX worker → device: stop transmitting and forget the TX ring (TDBA/TDLEN/TDH/TDT),
    /// as a TX-queue reset does, then reply <see cref="TxQuiesced"/> to <paramref name="ReplyTo"/>.
    /// Descriptors processed before it keep their written-back status; after the reply the device
    /// reads no TX descriptor or buffer until the ring is programmed again. RX is untouched.
    /// </summary>
    public sealed record QuiesceTx(IActorRef ReplyTo);

    /// <summary>Reply to <see cref="QuiesceTx"/>: the TX head (TDH) the device had reached when it stopped.</summary>
    public sealed record TxQuiesced(int Tdh);

    /// <summary>
    /// Driver RX worker → device: stop receiving into the RX ring and forget it (RDBA/RDLEN/RDH/RDT),
    /// then reply <see cref="RxQuiesced"/>. Descriptors written back before it keep their status;
    /// after the reply the device writes into no RX buffer until the ring is programmed again
    /// (frames arriving meanwhile count as missed). TX is untouched.
    /// </summary>
    public sealed record QuiesceRx(IActorRef ReplyTo);

    /// <summary>Reply to <see cref="QuiesceRx"/>: the RX head (RDH) the device had reached.</summary>
    public sealed record RxQuiesced(int Rdh);

    /// <summary>Reply to <see cref="ResetDevice"/>, with the counters at reset time.</summary>
    public sealed record DeviceReset(DeviceCounters Counters);

    /// <summary>Anyone → device: reply with the <see cref="DeviceCounters"/>.</summary>
    public sealed record GetDeviceCounters;

    /// <summary>Anyone → device: reply with the <see cref="DeviceRegisters"/> (a register dump, for diagnostics and tests).</summary>
    public sealed record GetRegisters;

    /// <summary>Reply to <see cref="GetRegisters"/>: the ring registers and interrupt state.</summary>
    public sealed record DeviceRegisters(ulong Tdba, int Tdlen, int Tdh, int Tdt, ulong Rdba, int Rdlen, int Rdh, int Rdt, InterruptCause InterruptMask);

    /// <summary>A frame that arrived from the wire: <paramref name="Length"/> bytes of a pooled <paramref name="Buffer"/> the device returns to the pool.</summary>
    internal sealed record WireFrame(byte[] Buffer, int Length) : IPooledMessage
    {
        private static readonly MessagePool<WireFrame> s_pool = new();
        private MessageLease _lease;

        private byte[] _buffer = Buffer;
        private int _length = Length;

        /// <summary>See the record's <c>Buffer</c> parameter.</summary>
        public byte[] Buffer { get => _buffer; init => _buffer = value; }

        /// <summary>See the record's <c>Length</c> parameter.</summary>
        public int Length { get => _length; init => _length = value; }

        /// <summary>A WireFrame with these fields, from the pool when it has one (the sender tells it once and lets go; see <see cref="MessagePool{T}"/>).</summary>
        public static WireFrame Rent(byte[] buffer, int length)
        {
            var message = s_pool.TryRent();
            if (message is null)
            {
                message = new WireFrame(buffer, length);
            }
            else
            {
                message._buffer = buffer;
                message._length = length;
            }

            message._lease.Begin();
            return message;
        }

        /// <inheritdoc />
        public void Return()
        {
            if (_lease.TryEnd())
            {
                _buffer = null!;
                s_pool.Return(this);
            }
        }
    }

    /// <summary>Self-message: process the TX ring up to TDT (coalesces doorbells).</summary>
    internal sealed record ProcessTxRing
    {
        public static readonly ProcessTxRing Instance = new();
    }

    /// <summary>A worker → device: reply <paramref name="Reply"/> to <paramref name="ReplyTo"/> once every register write sent before has been applied.</summary>
    internal sealed record Fence(IActorRef ReplyTo, object Reply);

    /// <summary>The statistics chain TX worker → device → RX worker → requester, each adding its counters.</summary>
    internal sealed record CollectStatistics(IActorRef ReplyTo, long TxDropped, int TxRingInUse, int TxRingSize, DeviceCounters Device);
}
