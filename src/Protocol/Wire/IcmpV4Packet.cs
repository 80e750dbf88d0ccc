using System.Buffers.Binary;

namespace Edsos.Protocol.Wire;

/// <summary>
/// A view over an ICMPv4 message (RFC 792): the whole IPv4 payload, because the checksum covers all of it.
/// The second header word is identifier/sequence for echo messages and unused (zero) for errors.
/// </summary>
public readonly ref struct IcmpV4Packet
{
    /// <summary>Offset of the type.</summary>
    public const int TypeOffset = 0;

    /// <summary>Offset of the code.</summary>
    public const int CodeOffset = 1;

    /// <summary>Offset of the checksum.</summary>
    public const int ChecksumOffset = 2;

    /// <summary>Offset of the echo identifier.</summary>
    public const int IdentifierOffset = 4;

    /// <summary>Offset of the echo sequence number.</summary>
    public const int SequenceNumberOffset = 6;

    /// <summary>Header length (type, code, checksum, one 32-bit word).</summary>
    public const int HeaderLength = 8;

    private readonly Span<byte> _buffer;

    private IcmpV4Packet(Span<byte> buffer)
    {
        _buffer = buffer;
    }

    /// <summary>Wraps a buffer without checking; for emitting. The buffer must be exactly the message.</summary>
    public static IcmpV4Packet CreateUnchecked(Span<byte> buffer) => new(buffer);

    /// <summary>Wraps untrusted bytes, which must be exactly the IPv4 payload.</summary>
    /// <returns>False with <see cref="WireError.Truncated"/> if shorter than the 8-byte header.</returns>
    public static bool TryCreate(Span<byte> buffer, out IcmpV4Packet packet, out WireError error)
    {
        if (buffer.Length < HeaderLength)
        {
            packet = default;
            error = WireError.Truncated;
            return false;
        }

        packet = new IcmpV4Packet(buffer);
        error = WireError.None;
        return true;
    }

    /// <summary>The whole message.</summary>
    public Span<byte> Buffer => _buffer;

    /// <summary>Message type.</summary>
    public IcmpV4Type Type
    {
        get => (IcmpV4Type)_buffer[TypeOffset];
        set => _buffer[TypeOffset] = (byte)value;
    }

    /// <summary>Message code.</summary>
    public byte Code
    {
        get => _buffer[CodeOffset];
        set => _buffer[CodeOffset] = value;
    }

    /// <summary>Checksum as stored.</summary>
    public ushort Checksum
    {
        get => BinaryPrimitives.ReadUInt16BigEndian(_buffer[ChecksumOffset..]);
        set => BinaryPrimitives.WriteUInt16BigEndian(_buffer[ChecksumOffset..], value);
    }

    /// <summary>Echo identifier (meaningful for echo request/reply only).</summary>
    public ushort Identifier
    {
        get => BinaryPrimitives.ReadUInt16BigEndian(_buffer[IdentifierOffset..]);
        set => BinaryPrimitives.WriteUInt16BigEndian(_buffer[IdentifierOffset..], value);
    }

    /// <summary>Echo sequence number (meaningful for echo request/reply only).</summary>
    public ushort SequenceNumber
    {
        get => BinaryPrimitives.ReadUInt16BigEndian(_buffer[SequenceNumberOffset..]);
        set => BinaryPrimitives.WriteUInt16BigEndian(_buffer[SequenceNumberOffset..], value);
    }

    /// <summary>The second header word as one value (unused, must be zero, in error messages).</summary>
    public uint RestOfHeader
    {
        get => BinaryPrimitives.ReadUInt32BigEndian(_buffer[IdentifierOffset..]);
        set => BinaryPrimitives.WriteUInt32BigEndian(_buffer[IdentifierOffset..], value);
    }

    /// <summary>Everything after the header: echo data, or the quoted original datagram in an error.</summary>
    public Span<byte> Data => _buffer[HeaderLength..];

    /// <summary>True when the checksum over the whole message verifies (RFC 792).</summary>
    public bool VerifyChecksum() => InternetChecksum.Verify(_buffer);

    /// <summary>Computes and stores the checksum over the whole message.</summary>
    public void FillChecksum()
    {
        Checksum = 0;
        Checksum = InternetChecksum.Compute(_buffer);
    }
}
