using System.Buffers.Binary;

namespace Edsos.Protocol.Wire;

/// <summary>
/// A view over a UDP datagram (RFC 768). After <see cref="TryCreate"/> the header and the
/// <see cref="Length"/> bytes it announces lie inside the buffer.
/// </summary>
public readonly ref struct UdpPacket
{
    /// <summary>Offset of the source port.</summary>
    public const int SourcePortOffset = 0;

    /// <summary>Offset of the destination port.</summary>
    public const int DestinationPortOffset = 2;

    /// <summary>Offset of the length (header plus data).</summary>
    public const int LengthOffset = 4;

    /// <summary>Offset of the checksum.</summary>
    public const int ChecksumOffset = 6;

    /// <summary>Header length.</summary>
    public const int HeaderLength = 8;

    private readonly Span<byte> _buffer;

    private UdpPacket(Span<byte> buffer)
    {
        _buffer = buffer;
    }

    /// <summary>Wraps a buffer without checking; for emitting.</summary>
    public static UdpPacket CreateUnchecked(Span<byte> buffer) => new(buffer);

    /// <summary>Wraps untrusted bytes (the IPv4 payload) after checking the length field.</summary>
    /// <returns>False with <see cref="WireError.Truncated"/> if the buffer is shorter than 8 bytes or than
    /// the length field; <see cref="WireError.Malformed"/> if the length field is below 8.</returns>
    public static bool TryCreate(Span<byte> buffer, out UdpPacket packet, out WireError error)
    {
        packet = default;
        if (buffer.Length < HeaderLength)
        {
            error = WireError.Truncated;
            return false;
        }

        int length = BinaryPrimitives.ReadUInt16BigEndian(buffer[LengthOffset..]);
        if (length < HeaderLength)
        {
            error = WireError.Malformed;
            return false;
        }

        if (buffer.Length < length)
        {
            error = WireError.Truncated;
            return false;
        }

        packet = new UdpPacket(buffer);
        error = WireError.None;
        return true;
    }

    /// <summary>
    /// Wraps the untrusted 8-byte header of a datagram whose data stays elsewhere (arena pages reached by a
    /// scatter list): <paramref name="header"/> holds at least the header, <paramref name="available"/> is
    /// how many bytes the IPv4 payload holds in all. The length field is checked against
    /// <paramref name="available"/> instead of the buffer; the view spans the header only (read its fields,
    /// never <see cref="Payload"/>). Verify it with
    /// <see cref="UdpRepr.TryParse(UdpPacket, Ipv4Address, Ipv4Address, in ChecksumAccumulator, out UdpRepr, out WireError)"/>.
    /// </summary>
    /// <returns>False with <see cref="WireError.Truncated"/> if the header is shorter than 8 bytes or
    /// <paramref name="available"/> shorter than the length field; <see cref="WireError.Malformed"/> if the
    /// length field is below 8.</returns>
    public static bool TryCreate(Span<byte> header, int available, out UdpPacket packet, out WireError error)
    {
        packet = default;
        if (header.Length < HeaderLength || available < HeaderLength)
        {
            error = WireError.Truncated;
            return false;
        }

        int length = BinaryPrimitives.ReadUInt16BigEndian(header[LengthOffset..]);
        if (length < HeaderLength)
        {
            error = WireError.Malformed;
            return false;
        }

        if (available < length)
        {
            error = WireError.Truncated;
            return false;
        }

        packet = new UdpPacket(header[..HeaderLength]);
        error = WireError.None;
        return true;
    }

    /// <summary>The underlying bytes.</summary>
    public Span<byte> Buffer => _buffer;

    /// <summary>Source port.</summary>
    public ushort SourcePort
    {
        get => BinaryPrimitives.ReadUInt16BigEndian(_buffer[SourcePortOffset..]);
        set => BinaryPrimitives.WriteUInt16BigEndian(_buffer[SourcePortOffset..], value);
    }

    /// <summary>Destination port.</summary>
    public ushort DestinationPort
    {
        get => BinaryPrimitives.ReadUInt16BigEndian(_buffer[DestinationPortOffset..]);
        set => BinaryPrimitives.WriteUInt16BigEndian(_buffer[DestinationPortOffset..], value);
    }

    /// <summary>Length of header plus data in bytes.</summary>
    public int Length
    {
        get => BinaryPrimitives.ReadUInt16BigEndian(_buffer[LengthOffset..]);
        set => BinaryPrimitives.WriteUInt16BigEndian(_buffer[LengthOffset..], (ushort)value);
    }

    /// <summary>Checksum as stored; 0 means the sender computed none (RFC 768).</summary>
    public ushort Checksum
    {
        get => BinaryPrimitives.ReadUInt16BigEndian(_buffer[ChecksumOffset..]);
        set => BinaryPrimitives.WriteUInt16BigEndian(_buffer[ChecksumOffset..], value);
    }

    /// <summary>The data: bytes 8 to <see cref="Length"/>.</summary>
    public Span<byte> Payload => _buffer[HeaderLength..Length];

    /// <summary>True when the stored checksum is 0 (none sent) or verifies over pseudo-header, header and
    /// data (RFC 768).</summary>
    public bool VerifyChecksum(Ipv4Address source, Ipv4Address destination)
    {
        if (Checksum == 0)
        {
            return true;
        }

        ChecksumAccumulator accumulator = InternetChecksum.PseudoHeader(source, destination, IpProtocol.Udp, Length);
        accumulator.Add(_buffer[..Length]);
        return accumulator.Finish() == 0;
    }

    /// <summary>Computes and stores the checksum over pseudo-header, header and the data already in place.</summary>
    public void FillChecksum(Ipv4Address source, Ipv4Address destination)
    {
        Checksum = 0;
        ChecksumAccumulator accumulator = InternetChecksum.PseudoHeader(source, destination, IpProtocol.Udp, Length);
        accumulator.Add(_buffer[..Length]);
        Checksum = UdpRepr.ToWireChecksum(accumulator.Finish());
    }
}
