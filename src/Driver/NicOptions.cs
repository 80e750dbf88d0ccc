using Edsos.Driver.Device;

namespace Edsos.Driver;

/// <summary>Configuration of one NIC and its driver (<see cref="NicDriver.Start"/>).</summary>
public sealed record NicOptions
{
    /// <summary>The NIC's name: its driver TS is <c>/drivers/net/&lt;Name&gt;</c>, its actors <c>&lt;Name&gt;-tx</c>, <c>-rx</c>, <c>-hw</c>. Default <c>e1000</c>.</summary>
    public string Name { get; init; } = "e1000";

    /// <summary>TX descriptors (a power of two; 256 = one 4 KiB page). One frame uses one per physical extent.</summary>
    public int TxRingSize { get; init; } = 256;

    /// <summary>RX descriptors (a power of two); <c>RxRingSize - 1</c> buffers are posted.</summary>
    public int RxRingSize { get; init; } = 256;

    /// <summary>Bytes per RX buffer, at most one arena page (a posted buffer is one physically contiguous extent); a longer frame is dropped by the device unless <see cref="LargeFrames"/>. Default 2048.</summary>
    public int RxBufferSize { get; init; } = 2048;

    /// <summary>
    /// RX buffers posted per pushed node (one push, one pin for all of them; the node is popped when the last is
    /// polled). More than one needs <see cref="RxBufferSize"/> of one page (4096), so no buffer crosses a physical
    /// extent. Default 1: a node per buffer.
    /// </summary>
    public int RxBuffersPerBlock { get; init; } = 1;

    /// <summary>
    /// Consumed RX blocks the driver keeps pinned and posts again once it is their pages' only holder (a page pool,
    /// as Linux's page_pool recycles a NIC's RX pages), at most this many waiting; 0 pops every consumed block and
    /// pushes fresh ones. Blocks pushed while the arena is unfragmented are physically contiguous, so recycled ones
    /// keep a large frame to one DMA run and one extent. Default 0.
    /// </summary>
    public int RxSpareBlocks { get; init; }

    /// <summary>Frames the RX worker handles per NAPI poll before it yields to its mailbox. Default 64.</summary>
    public int NapiBudget { get; init; } = 64;

    /// <summary>Longest frame (without FCS) sent or received. Default 9018.</summary>
    public int MaxFrameLength { get; init; } = 9018;

    /// <summary>
    /// Most descriptors one transmitted frame may use: one per physical extent, plus the context descriptor
    /// of a TSO skb. Default 64, room for a 64 KiB zero-copy skb (about 17 page extents, a header and a context).
    /// </summary>
    public int MaxDescriptorsPerFrame { get; init; } = 64;

    /// <summary>
    /// The driver enables TCP segmentation offload: it accepts an <see cref="DriverProtocol.XmitSkbEvent"/>
    /// with an <see cref="TxOffload"/> and writes a TCP/IP context descriptor plus TSE data descriptors for it,
    /// and the device cuts the super-frame into MSS-sized frames. False: such skbs are refused with
    /// <see cref="TxStatus.OffloadUnsupported"/> and the device model lacks the feature. Skbs without an
    /// offload go out as legacy descriptors either way. Default true.
    /// </summary>
    public bool Tso { get; init; } = true;

    /// <summary>
    /// Large frames on the wire (<see cref="VirtualNicOptions.LargeFrames"/>): with <see cref="Tso"/> a super-frame
    /// crosses the wire whole instead of as MSS-sized frames, and the device writes a frame longer than
    /// <see cref="RxBufferSize"/> across consecutive RX buffers, which the RX worker joins into one frame by
    /// <c>merge</c> (no copy). Both NICs of a wire must have it, as both ends of a link agree on its MTU. Default false.
    /// </summary>
    public bool LargeFrames { get; init; }

    /// <summary>
    /// The driver enables receive checksum offload (<see cref="VirtualNicOptions.RxChecksumOffload"/>): each received
    /// frame comes up with what the NIC found (<see cref="DriverProtocol.FrameReceivedEvent.Checksum"/>), and the stack
    /// skips its own sum of a TCP or UDP checksum reported good. False: frames come up with <see cref="RxChecksum.None"/>
    /// and the stack verifies everything itself. Default true.
    /// </summary>
    public bool RxChecksumOffload { get; init; } = true;

    /// <summary>The driver's TS path, <c>/drivers/net/&lt;Name&gt;</c>.</summary>
    public string TsPath => "/drivers/net/" + Name;

    /// <summary>The device's TS path, <c>/drivers/net/&lt;Name&gt;/hw</c>.</summary>
    public string DeviceTsPath => TsPath + "/hw";

    /// <summary>The device model's options derived from these.</summary>
    public VirtualNicOptions DeviceOptions => new()
    {
        MaxFrameLength = MaxFrameLength,
        RxBufferSize = RxBufferSize,
        MaxDescriptorsPerFrame = MaxDescriptorsPerFrame,
        Tso = Tso,
        LargeFrames = LargeFrames,
        RxChecksumOffload = RxChecksumOffload,
    };

    /// <summary>Throws <see cref="ArgumentException"/> for a bad name, ring size, buffer size or budget.</summary>
    public void Validate()
    {
        if (string.IsNullOrEmpty(Name) || Name.Contains('/', StringComparison.Ordinal))
        {
            throw new ArgumentException($"a NIC name is non-empty and has no '/': '{Name}'", nameof(Name));
        }

        CheckRing(TxRingSize, nameof(TxRingSize));
        CheckRing(RxRingSize, nameof(RxRingSize));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(NapiBudget);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(RxBuffersPerBlock);
        ArgumentOutOfRangeException.ThrowIfNegative(RxSpareBlocks);
        if (RxBuffersPerBlock > 1 && RxBufferSize != 4096)
        {
            throw new ArgumentOutOfRangeException(nameof(RxBuffersPerBlock), RxBuffersPerBlock, "more than one RX buffer per block needs page-sized (4096-byte) buffers");
        }

        DeviceOptions.Validate();
    }

    private static void CheckRing(int size, string name)
    {
        if (size < 8 || (size & (size - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(name, size, "a ring size is a power of two of at least 8");
        }
    }
}
