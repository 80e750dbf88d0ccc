using System.Buffers.Binary;

namespace Edsos.Protocol.Wire;

/// <summary>
/// A view over an IPv4 datagram (RFC 791 section 3.1). Reads and writes fields in place.
/// After <see cref="TryCreate"/> the header, options and the <see cref="TotalLength"/> bytes are known
/// to lie inside the buffer; bytes past <see cref="TotalLength"/> (Ethernet padding) are ignored.
/// </summary>
public readonly ref struct Ipv4Packet
{
    /// <summary>Offset of version (high nibble) and IHL (low nibble, in 32-bit words).</summary>
    public const int VersionAndHeaderLengthOffset = 0;

    /// <summary>Offset of DSCP (high 6 bits) and ECN (low 2 bits), formerly the TOS byte.</summary>
    public const int DscpEcnOffset = 1;

    /// <summary>Offset of the 16-bit total length (header plus data).</summary>
    public const int TotalLengthOffset = 2;

    /// <summary>Offset of the 16-bit identification.</summary>
    public const int IdentificationOffset = 4;

    /// <summary>Offset of flags (3 bits) and fragment offset (13 bits, 8-byte units).</summary>
    public const int FlagsAndFragmentOffsetOffset = 6;

    /// <summary>Offset of the time to live.</summary>
    public const int TtlOffset = 8;

    /// <summary>Offset of the protocol number.</summary>
    public const int ProtocolOffset = 9;

    /// <summary>Offset of the header checksum.</summary>
    public const int ChecksumOffset = 10;

    /// <summary>Offset of the source address.</summary>
    public const int SourceOffset = 12;

    /// <summary>Offset of the destination address.</summary>
    public const int DestinationOffset = 16;

    /// <summary>Header length without options (IHL 5).</summary>
    public const int MinHeaderLength = 20;

    /// <summary>Header length with the most options IHL can express (IHL 15).</summary>
    public const int MaxHeaderLength = 60;

    private const ushort DontFragmentBit = 0x4000;
    private const ushort MoreFragmentsBit = 0x2000;
    private const ushort ReservedBit = 0x8000;
    private const ushort FragmentOffsetMask = 0x1FFF;

    private readonly Span<byte> _buffer;

    private Ipv4Packet(Span<byte> buffer)
    {
        _buffer = buffer;
    }

    /// <summary>Wraps a buffer without checking; for emitting into a buffer this stack sized.</summary>
    public static Ipv4Packet CreateUnchecked(Span<byte> buffer) => new(buffer);

    /// <summary>Wraps untrusted bytes after checking the length fields against the buffer.</summary>
    /// <returns>
    /// False with <see cref="WireError.Truncated"/> if the buffer is shorter than 20 bytes, than IHL says,
    /// or than total length says; <see cref="WireError.Malformed"/> if IHL is below 5 or total length is
    /// below the header length (RFC 791: IHL minimum is 5). The version is checked by
    /// <see cref="Ipv4Repr.TryParse"/>.
    /// </returns>
    public static bool TryCreate(Span<byte> buffer, out Ipv4Packet packet, out WireError error)
    {
        packet = default;
        if (buffer.Length < MinHeaderLength)
        {
            error = WireError.Truncated;
            return false;
        }

        var candidate = new Ipv4Packet(buffer);
        int headerLength = candidate.HeaderLength;
        int totalLength = candidate.TotalLength;
        if (headerLength < MinHeaderLength || totalLength < headerLength)
        {
            error = WireError.Malformed;
            return false;
        }

        if (buffer.Length < headerLength || buffer.Length < totalLength)
        {
            error = WireError.Truncated;
            return false;
        }

        packet = candidate;
        error = WireError.None;
        return true;
    }

    /// <summary>
    /// Wraps the untrusted header bytes of a datagram whose data stays elsewhere (in arena pages reached by
    /// a scatter list, never copied to be checked): <paramref name="header"/> holds the first bytes of the
    /// datagram, at least the whole header with its options, and <paramref name="available"/> says how many
    /// bytes of the datagram the frame holds in all (Ethernet padding included). The same rules as
    /// <see cref="TryCreate(Span{byte}, out Ipv4Packet, out WireError)"/>, with the total length checked
    /// against <paramref name="available"/> instead of the buffer. The view spans <paramref name="header"/>
    /// only: read its header fields, never <see cref="Payload"/>.
    /// </summary>
    /// <returns>
    /// False with <see cref="WireError.Truncated"/> if <paramref name="header"/> is shorter than 20 bytes or
    /// than IHL says, or <paramref name="available"/> is shorter than total length says;
    /// <see cref="WireError.Malformed"/> if IHL is below 5 or total length below the header length.
    /// </returns>
    public static bool TryCreate(Span<byte> header, int available, out Ipv4Packet packet, out WireError error)
    {
        packet = default;
        if (header.Length < MinHeaderLength || available < MinHeaderLength)
        {
            error = WireError.Truncated;
            return false;
        }

        var candidate = new Ipv4Packet(header);
        int headerLength = candidate.HeaderLength;
        int totalLength = candidate.TotalLength;
        if (headerLength < MinHeaderLength || totalLength < headerLength)
        {
            error = WireError.Malformed;
            return false;
        }

        if (header.Length < headerLength || available < totalLength)
        {
            error = WireError.Truncated;
            return false;
        }

        packet = new Ipv4Packet(header[..headerLength]);
        error = WireError.None;
        return true;
    }

    /// <summary>The underlying bytes, possibly longer than <see cref="TotalLength"/>.</summary>
    public Span<byte> Buffer => _buffer;

    /// <summary>IP version (4 for IPv4).</summary>
    public int Version
    {
        get => _buffer[VersionAndHeaderLengthOffset] >> 4;
        set => _buffer[VersionAndHeaderLengthOffset] = (byte)((value << 4) | (_buffer[VersionAndHeaderLengthOffset] & 0x0F));
    }

    /// <summary>Header length in bytes (IHL × 4). Setting requires a multiple of 4 in 20..60.</summary>
    public int HeaderLength
    {
        get => (_buffer[VersionAndHeaderLengthOffset] & 0x0F) * 4;
        set => _buffer[VersionAndHeaderLengthOffset] = (byte)((_buffer[VersionAndHeaderLengthOffset] & 0xF0) | ((value / 4) & 0x0F));
    }

    /// <summary>Differentiated services code point (RFC 2474), the high six bits of the old TOS byte.</summary>
    public byte Dscp
    {
        get => (byte)(_buffer[DscpEcnOffset] >> 2);
        set => _buffer[DscpEcnOffset] = (byte)((value << 2) | (_buffer[DscpEcnOffset] & 0x03));
    }

    /// <summary>Explicit congestion notification (RFC 3168), the low two bits of the old TOS byte.</summary>
    public byte Ecn
    {
        get => (byte)(_buffer[DscpEcnOffset] & 0x03);
        set => _buffer[DscpEcnOffset] = (byte)((_buffer[DscpEcnOffset] & 0xFC) | (value & 0x03));
    }

    /// <summary>Total length of the datagram in bytes, header included.</summary>
    public int TotalLength
    {
        get => BinaryPrimitives.ReadUInt16BigEndian(_buffer[TotalLengthOffset..]);
        set => BinaryPrimitives.WriteUInt16BigEndian(_buffer[TotalLengthOffset..], (ushort)value);
    }

    /// <summary>Identification, shared by all fragments of one datagram.</summary>
    public ushort Identification
    {
        get => BinaryPrimitives.ReadUInt16BigEndian(_buffer[IdentificationOffset..]);
        set => BinaryPrimitives.WriteUInt16BigEndian(_buffer[IdentificationOffset..], value);
    }

    /// <summary>The reserved flag bit, which RFC 791 requires to be zero.</summary>
    public bool ReservedFlag => (FlagsAndFragmentOffset & ReservedBit) != 0;

    /// <summary>Don't Fragment flag.</summary>
    public bool DontFragment
    {
        get => (FlagsAndFragmentOffset & DontFragmentBit) != 0;
        set => FlagsAndFragmentOffset = (ushort)(value ? FlagsAndFragmentOffset | DontFragmentBit : FlagsAndFragmentOffset & ~DontFragmentBit);
    }

    /// <summary>More Fragments flag.</summary>
    public bool MoreFragments
    {
        get => (FlagsAndFragmentOffset & MoreFragmentsBit) != 0;
        set => FlagsAndFragmentOffset = (ushort)(value ? FlagsAndFragmentOffset | MoreFragmentsBit : FlagsAndFragmentOffset & ~MoreFragmentsBit);
    }

    /// <summary>Fragment offset in bytes (the field counts 8-byte units). Setting requires a multiple of 8
    /// below 65536; the low three bits are discarded.</summary>
    public int FragmentOffset
    {
        get => (FlagsAndFragmentOffset & FragmentOffsetMask) * 8;
        set => FlagsAndFragmentOffset = (ushort)((FlagsAndFragmentOffset & ~FragmentOffsetMask) | ((value / 8) & FragmentOffsetMask));
    }

    /// <summary>Time to live.</summary>
    public byte Ttl
    {
        get => _buffer[TtlOffset];
        set => _buffer[TtlOffset] = value;
    }

    /// <summary>Upper-layer protocol.</summary>
    public IpProtocol Protocol
    {
        get => (IpProtocol)_buffer[ProtocolOffset];
        set => _buffer[ProtocolOffset] = (byte)value;
    }

    /// <summary>Header checksum as stored.</summary>
    public ushort HeaderChecksum
    {
        get => BinaryPrimitives.ReadUInt16BigEndian(_buffer[ChecksumOffset..]);
        set => BinaryPrimitives.WriteUInt16BigEndian(_buffer[ChecksumOffset..], value);
    }

    /// <summary>Source address.</summary>
    public Ipv4Address Source
    {
        get => Ipv4Address.Read(_buffer[SourceOffset..]);
        set => value.WriteTo(_buffer[SourceOffset..]);
    }

    /// <summary>Destination address.</summary>
    public Ipv4Address Destination
    {
        get => Ipv4Address.Read(_buffer[DestinationOffset..]);
        set => value.WriteTo(_buffer[DestinationOffset..]);
    }

    /// <summary>The header including options (first <see cref="HeaderLength"/> bytes).</summary>
    public Span<byte> Header => _buffer[..HeaderLength];

    /// <summary>Options bytes between the fixed header and the data (empty for IHL 5).</summary>
    public Span<byte> Options => _buffer[MinHeaderLength..HeaderLength];

    /// <summary>The data: bytes from <see cref="HeaderLength"/> to <see cref="TotalLength"/>.</summary>
    public Span<byte> Payload => _buffer[HeaderLength..TotalLength];

    /// <summary>True when the header checksum (RFC 791 3.1: ones' complement of the ones'-complement sum
    /// of the header's 16-bit words) verifies.</summary>
    public bool VerifyChecksum() => InternetChecksum.Verify(Header);

    /// <summary>Computes and stores the header checksum over the current header bytes.</summary>
    public void FillChecksum()
    {
        HeaderChecksum = 0;
        HeaderChecksum = InternetChecksum.Compute(Header);
    }

    private ushort FlagsAndFragmentOffset
    {
        get => BinaryPrimitives.ReadUInt16BigEndian(_buffer[FlagsAndFragmentOffsetOffset..]);
        set => BinaryPrimitives.WriteUInt16BigEndian(_buffer[FlagsAndFragmentOffsetOffset..], value);
    }
}
