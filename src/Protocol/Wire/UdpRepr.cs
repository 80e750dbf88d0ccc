using System.Buffers.Binary;

namespace Edsos.Protocol.Wire;

/// <summary>
/// A parsed UDP header (RFC 768). The payload is not part of the repr: it stays where it is (in the
/// received frame, or in a scatter list of send buffers), and the checksum helpers take its sum
/// as a <see cref="ChecksumAccumulator"/> so it is never copied to be checksummed.
/// </summary>
/// <param name="SourcePort">Source port (0 allowed: "no reply expected", RFC 768).</param>
/// <param name="DestinationPort">Destination port.</param>
/// <param name="PayloadLength">Data length in bytes, excluding the 8-byte header.</param>
public readonly record struct UdpRepr(ushort SourcePort, ushort DestinationPort, int PayloadLength)
{
    /// <summary>Header length.</summary>
    public const int HeaderLength = UdpPacket.HeaderLength;

    /// <summary>Largest payload the 16-bit length field can describe.</summary>
    public const int MaxPayloadLength = ushort.MaxValue - HeaderLength;

    /// <summary>Header plus payload, the value of the length field.</summary>
    public int Length => HeaderLength + PayloadLength;

    /// <summary>Validates and reads a datagram accepted by <see cref="UdpPacket.TryCreate"/>.</summary>
    /// <param name="packet">The checked view.</param>
    /// <param name="source">IPv4 source, for the pseudo-header.</param>
    /// <param name="destination">IPv4 destination, for the pseudo-header.</param>
    /// <param name="repr">The header on success, default otherwise.</param>
    /// <param name="error">Why parsing failed.</param>
    /// <param name="verifyChecksum">False when the NIC verified it already (checksum offload).</param>
    /// <returns>False with <see cref="WireError.Malformed"/> for destination port 0 (reserved, nothing can
    /// listen there); <see cref="WireError.BadChecksum"/> for a nonzero checksum that does not verify.
    /// A zero checksum field is accepted unverified (RFC 768: "no checksum").</returns>
    public static bool TryParse(
        UdpPacket packet,
        Ipv4Address source,
        Ipv4Address destination,
        out UdpRepr repr,
        out WireError error,
        bool verifyChecksum = true)
    {
        repr = default;
        if (packet.DestinationPort == 0)
        {
            error = WireError.Malformed;
            return false;
        }

        if (verifyChecksum && !packet.VerifyChecksum(source, destination))
        {
            error = WireError.BadChecksum;
            return false;
        }

        repr = new UdpRepr(packet.SourcePort, packet.DestinationPort, packet.Length - HeaderLength);
        error = WireError.None;
        return true;
    }

    /// <summary>
    /// Validates and reads a datagram whose header was accepted by
    /// <see cref="UdpPacket.TryCreate(Span{byte}, int, out UdpPacket, out WireError)"/> and whose data stays
    /// where it is: <paramref name="payloadSum"/> is the sum of the data bytes (the
    /// <see cref="UdpPacket.Length"/> − 8 bytes after the header, fed in order, any number of segments), so
    /// the checksum is verified over pseudo-header, header and data without the data being copied (RFC 768).
    /// The sum is read only when the checksum field is nonzero and <paramref name="verifyChecksum"/> is true (false when
    /// the NIC verified it already: receive checksum offload).
    /// </summary>
    /// <returns>False with <see cref="WireError.Malformed"/> for destination port 0;
    /// <see cref="WireError.BadChecksum"/> for a nonzero checksum that does not verify. A zero checksum field
    /// is accepted unverified (RFC 768: "no checksum").</returns>
    /// <exception cref="ArgumentException">The checksum is to be verified and <paramref name="payloadSum"/>
    /// covers a different number of bytes than the length field announces (a caller bug, not bad input).</exception>
    public static bool TryParse(
        UdpPacket header,
        Ipv4Address source,
        Ipv4Address destination,
        in ChecksumAccumulator payloadSum,
        out UdpRepr repr,
        out WireError error,
        bool verifyChecksum = true)
    {
        repr = default;
        if (header.DestinationPort == 0)
        {
            error = WireError.Malformed;
            return false;
        }

        int length = header.Length;
        if (verifyChecksum && header.Checksum != 0)
        {
            if (payloadSum.ByteCount != length - HeaderLength)
            {
                throw new ArgumentException(
                    $"The payload sum covers {payloadSum.ByteCount} bytes but the header announces {length - HeaderLength}.",
                    nameof(payloadSum));
            }

            ChecksumAccumulator sum = InternetChecksum.PseudoHeader(source, destination, IpProtocol.Udp, length);
            sum.Add(header.Buffer[..HeaderLength]);
            sum.Add(in payloadSum);
            if (sum.Finish() != 0)
            {
                error = WireError.BadChecksum;
                return false;
            }
        }

        repr = new UdpRepr(header.SourcePort, header.DestinationPort, length - HeaderLength);
        error = WireError.None;
        return true;
    }

    /// <summary>
    /// The checksum field value for this header and a payload whose bytes were fed, in order and
    /// starting at payload offset 0, into <paramref name="payloadSum"/> (any number of segments).
    /// Never returns 0: a computed 0 is sent as 0xFFFF, since 0 on the wire means "no checksum" (RFC 768).
    /// </summary>
    /// <exception cref="InvalidOperationException"><see cref="PayloadLength"/> is outside 0..65527.</exception>
    /// <exception cref="ArgumentException"><paramref name="payloadSum"/> did not sum exactly
    /// <see cref="PayloadLength"/> bytes, which would produce a checksum the receiver rejects.</exception>
    public ushort ComputeChecksum(Ipv4Address source, Ipv4Address destination, in ChecksumAccumulator payloadSum)
    {
        EnsureLength();
        if (payloadSum.ByteCount != PayloadLength)
        {
            throw new ArgumentException(
                $"The payload sum covers {payloadSum.ByteCount} bytes but the header announces {PayloadLength}.",
                nameof(payloadSum));
        }

        ChecksumAccumulator accumulator = InternetChecksum.PseudoHeader(source, destination, IpProtocol.Udp, Length);
        Span<byte> header = stackalloc byte[HeaderLength];
        WriteHeader(header, 0);
        accumulator.Add(header);
        accumulator.Add(in payloadSum);
        return ToWireChecksum(accumulator.Finish());
    }

    /// <summary>
    /// Writes the 8-byte header into <paramref name="header"/> with a checksum computed from
    /// <paramref name="payloadSum"/>; the payload itself may live anywhere (scatter-gather send).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="header"/> is shorter than 8 bytes, or
    /// <paramref name="payloadSum"/> covers a different length than <see cref="PayloadLength"/>.</exception>
    /// <exception cref="InvalidOperationException"><see cref="PayloadLength"/> is outside 0..65527.</exception>
    public void EmitHeader(Span<byte> header, Ipv4Address source, Ipv4Address destination, in ChecksumAccumulator payloadSum)
    {
        if (header.Length < HeaderLength)
        {
            throw new ArgumentException("The buffer cannot hold a UDP header.", nameof(header));
        }

        WriteHeader(header, ComputeChecksum(source, destination, in payloadSum));
    }

    /// <summary>
    /// Writes the header into a packet whose payload is already in place after it, then the checksum
    /// over pseudo-header, header and payload; or 0 ("no checksum") when <paramref name="fillChecksum"/> is false.
    /// </summary>
    /// <exception cref="InvalidOperationException"><see cref="PayloadLength"/> is outside 0..65527.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The packet buffer is shorter than <see cref="Length"/>.</exception>
    public void Emit(UdpPacket packet, Ipv4Address source, Ipv4Address destination, bool fillChecksum = true)
    {
        EnsureLength();
        if (packet.Buffer.Length < Length)
        {
            throw new ArgumentOutOfRangeException(nameof(packet), "The buffer cannot hold the datagram.");
        }

        WriteHeader(packet.Buffer, 0);
        if (fillChecksum)
        {
            packet.FillChecksum(source, destination);
        }
    }

    /// <summary>Maps a computed checksum to its wire value: 0 becomes 0xFFFF (RFC 768; both are zero in
    /// ones' complement, and 0 is reserved for "no checksum").</summary>
    public static ushort ToWireChecksum(ushort computed) => computed == 0 ? (ushort)0xFFFF : computed;

    private void WriteHeader(Span<byte> header, ushort checksum)
    {
        BinaryPrimitives.WriteUInt16BigEndian(header[UdpPacket.SourcePortOffset..], SourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(header[UdpPacket.DestinationPortOffset..], DestinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(header[UdpPacket.LengthOffset..], (ushort)Length);
        BinaryPrimitives.WriteUInt16BigEndian(header[UdpPacket.ChecksumOffset..], checksum);
    }

    private void EnsureLength()
    {
        if (PayloadLength < 0 || PayloadLength > MaxPayloadLength)
        {
            throw new InvalidOperationException($"UDP payload length {PayloadLength} does not fit the length field.");
        }
    }
}
