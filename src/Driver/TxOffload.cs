namespace Edsos.Driver;

/// <summary>
/// TCP segmentation offload of one skb (what Linux keeps as <c>gso_size</c> and the header offsets
/// of an skb): the skb is one super-frame, <paramref name="HeaderLength"/> bytes of Ethernet + IPv4 +
/// TCP header followed by the payload, which the NIC cuts into <paramref name="Mss"/>-byte segments,
/// each with the header in front and its lengths, sequence number, flags and checksums fixed. The
/// offsets tell the NIC where the headers are, so the driver needs to parse nothing. TCP over IPv4
/// only. Plain data, as events require.
/// </summary>
/// <param name="Mss">Payload bytes per segment (the last one may be shorter).</param>
/// <param name="NetworkOffset">Where the IPv4 header starts (after the Ethernet header: 14).</param>
/// <param name="TransportOffset">Where the TCP header starts (after the IPv4 header).</param>
/// <param name="HeaderLength">All header bytes, up to the end of the TCP header: where the payload starts.</param>
public sealed record TxOffload(int Mss, int NetworkOffset, int TransportOffset, int HeaderLength)
{
    /// <summary>The most payload bytes one offloaded skb may carry (the device's TSO buffer: 64 KiB).</summary>
    public const int MaxPayload = Device.VirtualNic.MaxTsoPayload;

    /// <summary>
    /// True when an skb of <paramref name="length"/> bytes can be segmented under this description by a
    /// NIC whose frames are at most <paramref name="maxFrameLength"/> bytes: a positive MSS whose frames
    /// fit, an IPv4 header of 20 bytes or more before a TCP header of 20 bytes or more, at most 255 header
    /// bytes (HDRLEN is 8 bits), and 1 to <see cref="MaxPayload"/> payload bytes after them.
    /// </summary>
    public bool Fits(int length, int maxFrameLength)
    {
        int payload = length - HeaderLength;
        return Mss > 0
            && NetworkOffset >= 0
            && NetworkOffset + 20 <= TransportOffset
            && TransportOffset + 20 <= HeaderLength
            && HeaderLength <= Device.VirtualNic.MaxTsoHeaderLength
            && HeaderLength + Mss <= maxFrameLength
            && payload > 0
            && payload <= MaxPayload;
    }
}
