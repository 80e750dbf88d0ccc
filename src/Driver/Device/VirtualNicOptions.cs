namespace Edsos.Driver.Device;

/// <summary>Configuration of a <see cref="VirtualNic"/>.</summary>
public sealed record VirtualNicOptions
{
    /// <summary>
    /// The longest frame (without FCS) the device sends or receives; longer ones are dropped and
    /// counted. Default 9018 (a jumbo frame), so any standard 1514-byte frame fits.
    /// </summary>
    public int MaxFrameLength { get; init; } = 9018;

    /// <summary>
    /// Size of every posted RX buffer (RCTL.BSIZE): a received frame must fit in one buffer, a
    /// longer one is dropped and counted in <see cref="DeviceCounters.RxErrors"/>. Default 2048.
    /// </summary>
    public int RxBufferSize { get; init; } = 2048;

    /// <summary>
    /// The most descriptors one transmitted frame may use; a frame with more is dropped (its
    /// descriptors still complete, with <c>EC</c> set). Default 64.
    /// </summary>
    public int MaxDescriptorsPerFrame { get; init; } = 64;

    /// <summary>
    /// The device implements TCP segmentation offload (8254x SDM 3.5.x): a TCP/IP context descriptor
    /// followed by TSE data descriptors is one super-frame of up to <see cref="VirtualNic.MaxTsoPayload"/>
    /// payload bytes that the device cuts into MSS-sized frames. False models a NIC without the
    /// feature: such frames are dropped and counted as TX errors. Default true.
    /// </summary>
    public bool Tso { get; init; } = true;

    /// <summary>
    /// Large frames on the wire, both ways (virtio-net's HOST_TSO4 and GUEST_TSO4 with mergeable RX buffers; Linux
    /// loopback's 64 KiB MTU): a TSO super-frame leaves whole, as one IPv4/TCP frame of up to
    /// <see cref="MaxLargeFrameLength"/> bytes with its IPv4 total length and both checksums fixed for the whole,
    /// instead of cut into MSS-sized frames; and a received frame longer than one RX buffer is written across
    /// consecutive posted buffers (e1000 long packet reception, RCTL.LPE: DD on each, EOP on the last only), or
    /// missed when too few are posted. Both NICs of a wire must have it: a peer without it drops such frames as too
    /// long. Default false.
    /// </summary>
    public bool LargeFrames { get; init; }

    /// <summary>
    /// Receive checksum offload (RXCSUM.IPOFL | TUOFL): the device checks each received IPv4 frame's header checksum and
    /// its TCP or UDP checksum in the pass that DMA-writes it, and reports them in the EOP descriptor (IPCS/TCPCS, with
    /// IPE/TCPE when wrong; <see cref="RxChecksumCheck"/>). A frame with a wrong checksum is still written and handed up
    /// with that report. False: nothing is checked and the EOP descriptor says IXSM (ignore the checksum indication).
    /// Default true.
    /// </summary>
    public bool RxChecksumOffload { get; init; } = true;

    /// <summary>The longest frame a NIC with <see cref="LargeFrames"/> sends or takes: Ethernet's 14 bytes and the largest IPv4 datagram.</summary>
    public const int MaxLargeFrameLength = 14 + ushort.MaxValue;

    /// <summary>The longest frame the device receives: <see cref="MaxLargeFrameLength"/> with <see cref="LargeFrames"/>, else <see cref="MaxFrameLength"/>.</summary>
    public int ReceiveLimit => LargeFrames ? Math.Max(MaxFrameLength, MaxLargeFrameLength) : MaxFrameLength;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> for a non-positive or inconsistent value.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxFrameLength, 60);
        ArgumentOutOfRangeException.ThrowIfLessThan(RxBufferSize, 256);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(RxBufferSize, ushort.MaxValue);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxDescriptorsPerFrame);
    }
}
