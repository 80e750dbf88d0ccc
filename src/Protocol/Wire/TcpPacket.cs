using System.Buffers.Binary;

namespace Edsos.Protocol.Wire;

/// <summary>
/// A view over a TCP header (RFC 9293 section 3.1), options included. The payload is not part of the
/// view: on the data path it stays in the sender's pages or the received frame, and checksums are summed
/// over it in place. After <see cref="TryCreate"/> the whole header (<see cref="HeaderLength"/> bytes) lies
/// inside the buffer.
/// </summary>
public readonly ref struct TcpPacket
{
    /// <summary>Offset of the source port.</summary>
    public const int SourcePortOffset = 0;

    /// <summary>Offset of the destination port.</summary>
    public const int DestinationPortOffset = 2;

    /// <summary>Offset of the sequence number.</summary>
    public const int SequenceOffset = 4;

    /// <summary>Offset of the acknowledgment number.</summary>
    public const int AcknowledgementOffset = 8;

    /// <summary>Offset of the data offset (high nibble).</summary>
    public const int DataOffsetOffset = 12;

    /// <summary>Offset of the control bits.</summary>
    public const int FlagsOffset = 13;

    /// <summary>Offset of the window.</summary>
    public const int WindowOffset = 14;

    /// <summary>Offset of the checksum.</summary>
    public const int ChecksumOffset = 16;

    /// <summary>Offset of the urgent pointer.</summary>
    public const int UrgentOffset = 18;

    /// <summary>Header without options.</summary>
    public const int MinHeaderLength = 20;

    /// <summary>Largest header the 4-bit data offset can describe.</summary>
    public const int MaxHeaderLength = 60;

    private readonly Span<byte> _buffer;

    private TcpPacket(Span<byte> buffer)
    {
        _buffer = buffer;
    }

    /// <summary>Wraps a buffer without checking; for emitting.</summary>
    public static TcpPacket CreateUnchecked(Span<byte> buffer) => new(buffer);

    /// <summary>Wraps untrusted bytes (at least the TCP header) after checking the data offset.</summary>
    /// <returns>False with <see cref="WireError.Truncated"/> when the buffer is shorter than 20 bytes or than
    /// the data offset says; <see cref="WireError.Malformed"/> for a data offset below 5 words.</returns>
    public static bool TryCreate(Span<byte> buffer, out TcpPacket packet, out WireError error)
    {
        packet = default;
        if (buffer.Length < MinHeaderLength)
        {
            error = WireError.Truncated;
            return false;
        }

        int headerLength = (buffer[DataOffsetOffset] >> 4) * 4;
        if (headerLength < MinHeaderLength)
        {
            error = WireError.Malformed;
            return false;
        }

        if (buffer.Length < headerLength)
        {
            error = WireError.Truncated;
            return false;
        }

        packet = new TcpPacket(buffer);
        error = WireError.None;
        return true;
    }

    /// <summary>
    /// Wraps the untrusted header bytes of a segment whose data stays elsewhere (arena pages reached by a
    /// scatter list): <paramref name="header"/> holds the first bytes of the segment, at least the whole header
    /// with its options, and <paramref name="available"/> is the segment's length as the IPv4 header gives it.
    /// The view spans the header only (<see cref="HeaderLength"/> bytes); verify the checksum with
    /// <see cref="TcpRepr.VerifyChecksum"/> over it and the payload's sum.
    /// </summary>
    /// <returns>False with <see cref="WireError.Truncated"/> if the segment is shorter than 20 bytes or
    /// <paramref name="header"/> shorter than the data offset says; <see cref="WireError.Malformed"/> if the
    /// data offset is below 5 words or points past the end of the segment.</returns>
    public static bool TryCreate(Span<byte> header, int available, out TcpPacket packet, out WireError error)
    {
        packet = default;
        if (header.Length < MinHeaderLength || available < MinHeaderLength)
        {
            error = WireError.Truncated;
            return false;
        }

        int headerLength = (header[DataOffsetOffset] >> 4) * 4;
        if (headerLength < MinHeaderLength || headerLength > available)
        {
            error = WireError.Malformed;
            return false;
        }

        if (header.Length < headerLength)
        {
            error = WireError.Truncated;
            return false;
        }

        packet = new TcpPacket(header[..headerLength]);
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

    /// <summary>Sequence number.</summary>
    public uint Sequence
    {
        get => BinaryPrimitives.ReadUInt32BigEndian(_buffer[SequenceOffset..]);
        set => BinaryPrimitives.WriteUInt32BigEndian(_buffer[SequenceOffset..], value);
    }

    /// <summary>Acknowledgment number.</summary>
    public uint Acknowledgement
    {
        get => BinaryPrimitives.ReadUInt32BigEndian(_buffer[AcknowledgementOffset..]);
        set => BinaryPrimitives.WriteUInt32BigEndian(_buffer[AcknowledgementOffset..], value);
    }

    /// <summary>Header length in bytes (data offset × 4).</summary>
    public int HeaderLength
    {
        get => (_buffer[DataOffsetOffset] >> 4) * 4;
        set => _buffer[DataOffsetOffset] = (byte)((value / 4) << 4);
    }

    /// <summary>Control bits.</summary>
    public TcpFlags Flags
    {
        get => (TcpFlags)_buffer[FlagsOffset];
        set => _buffer[FlagsOffset] = (byte)value;
    }

    /// <summary>Receive window.</summary>
    public ushort Window
    {
        get => BinaryPrimitives.ReadUInt16BigEndian(_buffer[WindowOffset..]);
        set => BinaryPrimitives.WriteUInt16BigEndian(_buffer[WindowOffset..], value);
    }

    /// <summary>Checksum over pseudo-header, header and payload.</summary>
    public ushort Checksum
    {
        get => BinaryPrimitives.ReadUInt16BigEndian(_buffer[ChecksumOffset..]);
        set => BinaryPrimitives.WriteUInt16BigEndian(_buffer[ChecksumOffset..], value);
    }

    /// <summary>Urgent pointer.</summary>
    public ushort Urgent
    {
        get => BinaryPrimitives.ReadUInt16BigEndian(_buffer[UrgentOffset..]);
        set => BinaryPrimitives.WriteUInt16BigEndian(_buffer[UrgentOffset..], value);
    }

    /// <summary>The option bytes between the fixed header and the data.</summary>
    public Span<byte> Options => _buffer[MinHeaderLength..HeaderLength];
}
