namespace Edsos.Protocol.Wire;

/// <summary>
/// One-shot helpers around <see cref="ChecksumAccumulator"/>: the RFC 1071 checksum of one span, and
/// the IPv4 pseudo-header that UDP (RFC 768) and TCP (RFC 793 3.1) prepend to their checksum.
/// </summary>
public static class InternetChecksum
{
    /// <summary>Length of the IPv4 pseudo-header in bytes: src, dst, zero, protocol, length.</summary>
    public const int PseudoHeaderLength = 12;

    /// <summary>The checksum of <paramref name="data"/> (0 when <paramref name="data"/> already holds a
    /// valid checksum field).</summary>
    public static ushort Compute(ReadOnlySpan<byte> data)
    {
        var accumulator = default(ChecksumAccumulator);
        accumulator.Add(data);
        return accumulator.Finish();
    }

    /// <summary>True when <paramref name="data"/>, checksum field included, sums to all ones.</summary>
    public static bool Verify(ReadOnlySpan<byte> data) => Compute(data) == 0;

    /// <summary>
    /// Starts an accumulator with the IPv4 pseudo-header (RFC 768): source, destination, a zero byte,
    /// the protocol number and the upper-layer length (UDP/TCP header plus payload).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="upperLayerLength"/> is outside 0..65535.</exception>
    public static ChecksumAccumulator PseudoHeader(Ipv4Address source, Ipv4Address destination, IpProtocol protocol, int upperLayerLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(upperLayerLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(upperLayerLength, ushort.MaxValue);

        var accumulator = default(ChecksumAccumulator);
        accumulator.AddUInt32(source.Value);
        accumulator.AddUInt32(destination.Value);
        accumulator.AddUInt16((ushort)(byte)protocol);
        accumulator.AddUInt16((ushort)upperLayerLength);
        return accumulator;
    }
}
