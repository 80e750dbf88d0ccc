namespace Edsos.Protocol.Ipv4;

/// <summary>
/// Plans how an IPv4 payload is cut into fragments for a link MTU (RFC 791 3.2, "fragmentation
/// procedure"): every fragment but the last carries the largest multiple of 8 bytes that fits after
/// the header. Only offsets and lengths are computed; the caller builds each fragment as a header plus
/// a slice of the payload's buffers, without copying.
/// </summary>
public static class Fragmenter
{
    /// <summary>Smallest MTU every IPv4 module must handle (RFC 791: 68 bytes).</summary>
    public const int MinimumMtu = 68;

    /// <summary>Number of fragments <see cref="Plan(int, int, int, Span{FragmentPiece})"/> produces; 1 when no fragmentation is needed.</summary>
    /// <exception cref="ArgumentOutOfRangeException">See <see cref="Plan(int, int, int, Span{FragmentPiece})"/>.</exception>
    public static int CountFragments(int payloadLength, int headerLength, int mtu)
    {
        int perFragment = Validate(payloadLength, headerLength, mtu);
        if (headerLength + payloadLength <= mtu || payloadLength == 0)
        {
            return 1;
        }

        return (payloadLength + perFragment - 1) / perFragment;
    }

    /// <summary>
    /// Writes the fragment plan into <paramref name="destination"/> and returns the count. A payload that
    /// fits is one piece with MF clear. Options are treated as copied into every fragment (the header
    /// length is the same for all); a caller that drops non-copied options may pass the first
    /// fragment's length and waste a few bytes of later fragments, never exceed the MTU.
    /// </summary>
    /// <param name="payloadLength">IP payload length (e.g. UDP header plus data).</param>
    /// <param name="headerLength">IP header length, 20..60, a multiple of 4.</param>
    /// <param name="mtu">Link MTU (IP packet size limit), at least 68.</param>
    /// <param name="destination">Receives the pieces; size it with <see cref="CountFragments"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">Payload negative or the datagram would exceed 65535 bytes,
    /// header length invalid, MTU below 68 or leaving fewer than 8 payload bytes per fragment.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too small.</exception>
    public static int Plan(int payloadLength, int headerLength, int mtu, Span<FragmentPiece> destination)
    {
        int count = CountFragments(payloadLength, headerLength, mtu);
        if (destination.Length < count)
        {
            throw new ArgumentException($"{count} fragments need a bigger destination.", nameof(destination));
        }

        if (count == 1)
        {
            destination[0] = new FragmentPiece(0, payloadLength, false);
            return 1;
        }

        int perFragment = MaxFragmentPayload(headerLength, mtu);
        int offset = 0;
        for (int i = 0; i < count; i++)
        {
            int length = Math.Min(perFragment, payloadLength - offset);
            destination[i] = new FragmentPiece(offset, length, i < count - 1);
            offset += length;
        }

        return count;
    }

    /// <summary>Convenience form of <see cref="Plan(int, int, int, Span{FragmentPiece})"/> returning a new array; not for the per-packet path.</summary>
    public static FragmentPiece[] Plan(int payloadLength, int headerLength, int mtu)
    {
        var pieces = new FragmentPiece[CountFragments(payloadLength, headerLength, mtu)];
        Plan(payloadLength, headerLength, mtu, pieces);
        return pieces;
    }

    /// <summary>Payload bytes a non-final fragment carries: (MTU − header) rounded down to a multiple of 8.</summary>
    public static int MaxFragmentPayload(int headerLength, int mtu) => (mtu - headerLength) & ~7;

    private static int Validate(int payloadLength, int headerLength, int mtu)
    {
        if (headerLength < 20 || headerLength > 60 || headerLength % 4 != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(headerLength), headerLength, "IPv4 header length must be 20..60 and a multiple of 4.");
        }

        if (payloadLength < 0 || headerLength + payloadLength > ushort.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(payloadLength), payloadLength, "The datagram would exceed 65535 bytes.");
        }

        int perFragment = MaxFragmentPayload(headerLength, mtu);
        if (mtu < MinimumMtu || perFragment < 8)
        {
            throw new ArgumentOutOfRangeException(nameof(mtu), mtu, "The MTU is below 68 or leaves no room for 8 payload bytes.");
        }

        return perFragment;
    }
}
