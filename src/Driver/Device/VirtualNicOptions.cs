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

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> for a non-positive or inconsistent value.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxFrameLength, 60);
        ArgumentOutOfRangeException.ThrowIfLessThan(RxBufferSize, 256);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(RxBufferSize, ushort.MaxValue);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxDescriptorsPerFrame);
    }
}
