using System.Buffers;
using Edsos.Driver.Ring;
using Edsos.Driver.Wires;
using Edsos.Memory;
using Edsos.Scheduler.Faults;

namespace Edsos.Driver.Device;

/// <summary>
/// The device model of an e1000-like NIC, as a plain class (its actor,
/// <see cref="VirtualNicActor"/>, feeds it one event at a time).
/// <para>
/// Registers: TDBA/TDLEN/TDH/TDT and RDBA/RDLEN/RDH/RDT, ICR/IMS (interrupt causes and mask,
/// with RX auto-mask as IAM does). The DMA engine reads and writes arena memory only through
/// <see cref="MemoryManager.DmaRead"/> / <see cref="MemoryManager.DmaWrite"/>, so every access
/// is checked against the driver's pins and counted as DMA, never as a CPU copy.
/// </para>
/// <para>
/// TX (<see cref="ProcessTx"/>): walks descriptors from TDH to TDT, gathers each frame's buffers
/// into a frame buffer of its own, hands it to the wire whole (TransmitOwned), writes DD back into the
/// descriptors that asked for it (RS), advances TDH and latches one TX interrupt per batch.
/// Legacy descriptors and the TCP/IP context + data descriptors both work; a TSE frame is cut
/// into MSS-sized frames (TCP segmentation offload, <c>VirtualNic.Tso.cs</c>).
/// RX (<see cref="Receive"/>): DMA-writes a frame into the buffer of the descriptor at RDH,
/// verifying its IPv4 and TCP/UDP checksums in the same pass (receive checksum offload), writes
/// length, DD | EOP and the checksum report, advances RDH and latches an RX interrupt; with no
/// descriptor posted the frame is dropped and counted in RxMissed.
/// </para>
/// Not thread-safe: one actor owns it.
/// </summary>
public sealed partial class VirtualNic : IDisposable
{
    private readonly MemoryManager _memory;
    private readonly VirtualNicOptions _options;
    private readonly FetchedTxDescriptor[] _frameDescriptors;
    private readonly int[] _frameSlots;
    private readonly PhysExtent[] _frameExtents;
    private byte[]? _tsoBuffer;
    private DmaRegion? _txRing;
    private int _txCount;

    // The descriptors from TDH to TDT as one TX pass fetched them (one ring's worth at most).
    private byte[] _txDescriptors = [];
    private DmaRegion? _rxRing;
    private int _rxCount;
    private InterruptCause _icr;
    private InterruptCause _ims;
    private long _framesSent;
    private long _bytesSent;
    private long _framesReceived;
    private long _bytesReceived;
    private long _rxMissed;
    private long _txErrors;
    private long _rxErrors;
    private long _txInterrupts;
    private long _rxInterrupts;

    /// <summary>Creates a reset device over <paramref name="memory"/> (its DMA target).</summary>
    public VirtualNic(MemoryManager memory, VirtualNicOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(memory);
        _memory = memory;
        _options = options ?? new VirtualNicOptions();
        _options.Validate();
        _frameDescriptors = new FetchedTxDescriptor[_options.MaxDescriptorsPerFrame];
        _frameSlots = new int[_options.MaxDescriptorsPerFrame];
        _frameExtents = new PhysExtent[_options.MaxDescriptorsPerFrame];

        // A TSO super-frame is gathered whole before it is cut: headers plus up to 64 KiB of payload.
        _tsoBuffer = _options.Tso ? ArrayPool<byte>.Shared.Rent(MaxTsoHeaderLength + MaxTsoPayload) : null;
    }

    /// <summary>The device's options.</summary>
    public VirtualNicOptions Options => _options;

    /// <summary>The injector the DMA engine reports its stages to (<see cref="DriverFaultPoints.Dma"/>, <see cref="DriverFaultPoints.AfterTransmit"/>); null: none.</summary>
    internal FaultInjector? Faults { get; set; }

    /// <summary>TDBA: physical address of the TX ring (0 when not configured).</summary>
    public ulong Tdba => _txRing?.BaseAddress ?? 0;

    /// <summary>TDLEN: TX ring length in bytes.</summary>
    public int Tdlen => _txCount * LegacyTxDescriptor.Size;

    /// <summary>TDH: the next TX descriptor the device processes.</summary>
    public int Tdh { get; private set; }

    /// <summary>TDT: one past the last TX descriptor the driver handed over.</summary>
    public int Tdt { get; private set; }

    /// <summary>RDBA: physical address of the RX ring (0 when not configured).</summary>
    public ulong Rdba => _rxRing?.BaseAddress ?? 0;

    /// <summary>RDLEN: RX ring length in bytes.</summary>
    public int Rdlen => _rxCount * LegacyRxDescriptor.Size;

    /// <summary>RDH: the next RX descriptor the device fills.</summary>
    public int Rdh { get; private set; }

    /// <summary>RDT: one past the last RX descriptor the driver posted.</summary>
    public int Rdt { get; private set; }

    /// <summary>IMS: the interrupt causes currently enabled.</summary>
    public InterruptCause InterruptMask => _ims;

    /// <summary>ICR: causes latched and not yet raised (masked, or not yet taken).</summary>
    public InterruptCause PendingCauses => _icr;

    /// <summary>A snapshot of the statistics registers.</summary>
    public DeviceCounters Counters => new(
        FramesSent: _framesSent,
        BytesSent: _bytesSent,
        FramesReceived: _framesReceived,
        BytesReceived: _bytesReceived,
        RxMissed: _rxMissed,
        TxErrors: _txErrors,
        RxErrors: _rxErrors,
        TxInterrupts: _txInterrupts,
        RxInterrupts: _rxInterrupts,
        TsoFrames: _tsoFrames,
        TsoSegments: _tsoSegments);

    /// <summary>
    /// Programs the TX ring (TDBA/TDLEN from the pinned <paramref name="ringExtents"/>) and resets
    /// TDH = TDT = 0. Throws <see cref="ArgumentException"/> when the extents hold fewer than
    /// <paramref name="count"/> descriptors or <paramref name="count"/> is not a power of two.
    /// </summary>
    public void ConfigureTx(IReadOnlyList<PhysExtent> ringExtents, int count)
    {
        _txRing = CreateRegion(ringExtents, count);
        _txCount = count;
        _txDescriptors = new byte[count * TxDescriptorLayout.Size];
        Tdh = 0;
        Tdt = 0;
    }

    /// <summary>Programs the RX ring and resets RDH = RDT = 0 (nothing posted). Same contract as <see cref="ConfigureTx"/>.</summary>
    public void ConfigureRx(IReadOnlyList<PhysExtent> ringExtents, int count)
    {
        _rxRing = CreateRegion(ringExtents, count);
        _rxCount = count;
        _rxDescriptors = new byte[count * LegacyRxDescriptor.Size];
        Rdh = 0;
        Rdt = 0;
    }

    /// <summary>
    /// The TX doorbell: writes TDT. Work happens in <see cref="ProcessTx"/>, so doorbells that
    /// arrive together coalesce into one batch. Throws <see cref="ArgumentOutOfRangeException"/>
    /// for a tail outside the ring or when TX is not configured.
    /// </summary>
    public void WriteTdt(int tail)
    {
        CheckTail(tail, _txCount);
        Tdt = tail;
    }

    /// <summary>
    /// The RX doorbell: writes RDT, posting the descriptors in [RDH, tail). Throws
    /// <see cref="ArgumentOutOfRangeException"/> for a tail outside the ring or when RX is not configured.
    /// </summary>
    public void WriteRdt(int tail)
    {
        CheckTail(tail, _rxCount);
        Rdt = tail;
    }

    /// <summary>IMS write: enables <paramref name="causes"/>. A cause already latched fires at the next <see cref="TakeInterrupts"/>.</summary>
    public void EnableInterrupts(InterruptCause causes) => _ims |= causes;

    /// <summary>IMC write: disables <paramref name="causes"/>; they still latch in ICR while masked.</summary>
    public void DisableInterrupts(InterruptCause causes) => _ims &= ~causes;

    /// <summary>
    /// Returns the latched causes that are enabled and clears them from ICR (the read-to-clear
    /// of a real ICR). <see cref="InterruptCause.RxTimer"/> auto-masks when it fires (IAM), so a
    /// burst of frames raises one RX interrupt until the driver re-enables it after polling.
    /// </summary>
    public InterruptCause TakeInterrupts()
    {
        var fire = _icr & _ims;
        _icr &= ~fire;
        if ((fire & InterruptCause.RxTimer) != 0)
        {
            _ims &= ~InterruptCause.RxTimer;
            _rxInterrupts++;
        }

        if ((fire & InterruptCause.TxDescriptorWritten) != 0)
        {
            _txInterrupts++;
        }

        return fire;
    }

    /// <summary>
    /// Processes the TX ring from TDH to TDT: every complete frame (descriptors up to one with
    /// EOP) is gathered by DMA and transmitted on <paramref name="wire"/>; a frame whose EOP lies
    /// beyond TDT waits for the next doorbell. A TCP/IP context descriptor stands alone: it loads
    /// the offload context (and gets DD if it asked with RS). A frame of TSE data descriptors is a
    /// TSO super-frame: gathered whole, then cut into MSS-sized frames, each sent on its own
    /// (see <see cref="Tso"/>). Latches <see cref="InterruptCause.TxDescriptorWritten"/> once if
    /// anything completed. A frame whose buffers cannot be read, or whose offload context is bad,
    /// is dropped and counted, never half-sent. If a descriptor itself cannot be DMA-read (the ring
    /// is gone) processing stops where it is, as a hung device would.
    /// </summary>
    public TxBatch ProcessTx(IWire wire)
    {
        ArgumentNullException.ThrowIfNull(wire);
        if (_txRing is null)
        {
            return default;
        }

        var descriptors = 0;
        var sent = 0;
        var failed = 0;

        // Every descriptor handed over is fetched in one DMA pass (two where they wrap around the ring's end), as a NIC
        // fetches descriptors in bursts; a ring that cannot be read leaves everything where it is, as a hung device would.
        int fetchedFrom = Tdh;
        var fetchedRing = _txDescriptors.AsSpan(0, ((Tdt - Tdh) & (_txCount - 1)) * TxDescriptorLayout.Size);
        bool fetchFault = !AccessRing(_txRing, _txCount, fetchedFrom, fetchedRing, write: false);
        while (Tdh != Tdt && !fetchFault)
        {
            // Take one frame's descriptors before touching its buffers: an incomplete frame stays put.
            var count = 0;
            var index = Tdh;
            var eop = false;
            var contextCut = false;
            while (index != Tdt && count < _frameDescriptors.Length)
            {
                var slot = fetchedRing.Slice(((index - fetchedFrom) & (_txCount - 1)) * TxDescriptorLayout.Size, TxDescriptorLayout.Size);
                var fetched = FetchedTxDescriptor.Parse(slot);
                if (fetched.Kind == TxDescriptorKind.Context)
                {
                    if (count > 0)
                    {
                        // A context inside a frame: the frame so far is malformed; the context is next.
                        contextCut = true;
                        break;
                    }

                    LoadContext(TcpIpContextTxDescriptor.Read(slot), index);
                    index = (index + 1) & (_txCount - 1);
                    Tdh = index;
                    descriptors++;
                    continue;
                }

                _frameDescriptors[count] = fetched;
                _frameSlots[count] = index;
                count++;
                index = (index + 1) & (_txCount - 1);
                if (fetched.Eop)
                {
                    eop = true;
                    break;
                }
            }

            if (count == 0 || (!eop && !contextCut && count < _frameDescriptors.Length))
            {
                // Nothing but contexts (all loaded), or a frame whose EOP has not been handed over yet.
                break;
            }

            var injected = Faults?.Hit(DriverFaultPoints.Dma, accept: FaultKind.TsExit | FaultKind.DmaFail | FaultKind.SocketClose) ?? FaultKind.None;
            var frames = 0;
            var ok = eop && injected != FaultKind.DmaFail && TransmitFrame(wire, count, out frames);
            if (ok)
            {
                sent += frames;
                Faults?.Hit(DriverFaultPoints.AfterTransmit, accept: FaultKind.TsExit | FaultKind.SocketClose);
            }
            else
            {
                _txErrors++;
                failed++;
            }

            WriteBackTx(count, ok);
            Tdh = index;
            descriptors += count;
        }

        if (descriptors > 0)
        {
            _icr |= InterruptCause.TxDescriptorWritten;
        }

        return new TxBatch(descriptors, sent, failed);
    }

    /// <summary>
    /// Device reset (CTRL.RST): forgets both rings and the registers, clears ICR and IMS. After
    /// it the device touches no arena memory, so the driver may unpin its rings and buffers.
    /// Counters survive a reset.
    /// </summary>
    public void Reset()
    {
        _txRing = null;
        _rxRing = null;
        _txCount = 0;
        _rxCount = 0;
        Tdh = 0;
        Tdt = 0;
        Rdh = 0;
        Rdt = 0;
        _icr = InterruptCause.None;
        _ims = InterruptCause.None;
        _tsoContext = null;
    }

    /// <summary>
    /// TX-queue reset: forgets the TX ring and its registers (TDBA/TDLEN/TDH/TDT) and the latched
    /// TX interrupt; RX goes on. Afterwards the device reads no TX descriptor or buffer until
    /// <see cref="ConfigureTx"/>, so the driver may unpin what it had posted.
    /// </summary>
    public void ResetTx()
    {
        _txRing = null;
        _txCount = 0;
        Tdh = 0;
        Tdt = 0;
        _icr &= ~InterruptCause.TxDescriptorWritten;
        _tsoContext = null;
    }

    /// <summary>
    /// RX-queue reset: forgets the RX ring and its registers (RDBA/RDLEN/RDH/RDT) and the latched
    /// RX interrupt; TX goes on. Afterwards the device writes into no RX buffer (frames count as
    /// missed) until <see cref="ConfigureRx"/>, so the driver may unpin what it had posted.
    /// </summary>
    public void ResetRx()
    {
        _rxRing = null;
        _rxCount = 0;
        Rdh = 0;
        Rdt = 0;
        _icr &= ~InterruptCause.RxTimer;
    }

    /// <summary>Resets the device and returns its wire and TSO buffers to the pool.</summary>
    public void Dispose()
    {
        Reset();
        var tso = _tsoBuffer;
        _tsoBuffer = null;
        if (tso is not null)
        {
            ArrayPool<byte>.Shared.Return(tso);
        }
    }

    /// <summary>
    /// Sends the frame of the <paramref name="count"/> descriptors fetched: legacy or plain extended
    /// descriptors as one frame, TSE data descriptors as a TSO super-frame cut into segments. A frame
    /// mixing formats, or naming a reserved descriptor type, is malformed. <paramref name="frames"/> is
    /// what went on the wire; false means nothing did.
    /// </summary>
    private bool TransmitFrame(IWire wire, int count, out int frames)
    {
        frames = 0;
        var first = _frameDescriptors[0];
        for (var k = 0; k < count; k++)
        {
            var descriptor = _frameDescriptors[k];
            if (descriptor.Kind != first.Kind || descriptor.Tse != first.Tse || descriptor.Kind == TxDescriptorKind.Reserved)
            {
                return false;
            }
        }

        if (first.Tse)
        {
            return SendTso(wire, count, first.Options, out frames);
        }

        // Gathered into a frame buffer of its own and handed over whole (IWire.TransmitOwned): an in-process wire
        // passes it to the peer's device as it is, so the frame's bytes cross the wire without another copy.
        int total = FrameLength(count);
        if (total > _options.MaxFrameLength)
        {
            return false;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(total, 1));
        if (!GatherFrame(count, buffer, _options.MaxFrameLength, out var length))
        {
            ArrayPool<byte>.Shared.Return(buffer);
            return false;
        }

        wire.TransmitOwned(buffer, length);
        _framesSent++;
        _bytesSent += length;
        frames = 1;
        return true;
    }

    /// <summary>The bytes the first <paramref name="count"/> fetched descriptors carry.</summary>
    private int FrameLength(int count)
    {
        var length = 0;
        for (var k = 0; k < count; k++)
        {
            length += _frameDescriptors[k].Length;
        }

        return length;
    }

    /// <summary>The frame's buffers, in descriptor order, gathered by one DMA read (one lock and check pass per frame).</summary>
    private bool GatherFrame(int count, byte[] buffer, int limit, out int length)
    {
        length = 0;
        var extents = 0;
        for (var k = 0; k < count; k++)
        {
            var descriptor = _frameDescriptors[k];
            if (descriptor.Length == 0)
            {
                continue;
            }

            if (length + descriptor.Length > limit)
            {
                return false;
            }

            _frameExtents[extents++] = new PhysExtent(descriptor.Address, descriptor.Length);
            length += descriptor.Length;
        }

        return _memory.DmaRead(_frameExtents.AsSpan(0, extents), buffer.AsSpan(0, length)).IsOk;
    }

    private void WriteBackTx(int count, bool ok)
    {
        Span<byte> status = stackalloc byte[1];
        for (var k = 0; k < count; k++)
        {
            if (!_frameDescriptors[k].Rs)
            {
                continue;
            }

            status[0] = (byte)(ok ? TxDescriptorStatus.Dd : TxDescriptorStatus.Dd | TxDescriptorStatus.Ec);
            _txRing!.Write((_frameSlots[k] * TxDescriptorLayout.Size) + TxDescriptorLayout.StatusOffset, status);
        }
    }

    private DmaRegion CreateRegion(IReadOnlyList<PhysExtent> ringExtents, int count)
    {
        ArgumentNullException.ThrowIfNull(ringExtents);
        if (count < 8 || (count & (count - 1)) != 0)
        {
            throw new ArgumentException($"a ring holds a power of two of at least 8 descriptors, got {count}", nameof(count));
        }

        var region = new DmaRegion(_memory, ringExtents);
        if (region.Length < count * LegacyTxDescriptor.Size)
        {
            throw new ArgumentException($"{count} descriptors need {count * LegacyTxDescriptor.Size} bytes, the extents hold {region.Length}", nameof(ringExtents));
        }

        return region;
    }

    private static void CheckTail(int tail, int count)
    {
        if (count == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(tail), "the ring is not configured");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(tail);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(tail, count);
    }
}
