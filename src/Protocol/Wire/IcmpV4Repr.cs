using System.Buffers.Binary;

namespace Edsos.Protocol.Wire;

/// <summary>
/// A parsed ICMPv4 message (RFC 792): echo request/reply, or an error (destination unreachable, time
/// exceeded) quoting the original datagram's IP header plus its first 8 data bytes. Data bytes stay in
/// the buffer; the repr records only their length, and for errors the quoted header.
/// </summary>
public readonly record struct IcmpV4Repr
{
    /// <summary>Header length.</summary>
    public const int HeaderLength = IcmpV4Packet.HeaderLength;

    /// <summary>Bytes of original data an error quotes after the original IP header (RFC 792: 64 bits).</summary>
    public const int QuotedDataLength = 8;

    /// <summary>Message type.</summary>
    public IcmpV4Type Type { get; init; }

    /// <summary>Message code (an <see cref="IcmpV4UnreachableCode"/> for destination unreachable).</summary>
    public byte Code { get; init; }

    /// <summary>Echo identifier; 0 for errors.</summary>
    public ushort Identifier { get; init; }

    /// <summary>Echo sequence number; 0 for errors.</summary>
    public ushort SequenceNumber { get; init; }

    /// <summary>Length of the data after the 8-byte header.</summary>
    public int DataLength { get; init; }

    /// <summary>For errors: the header of the datagram that caused it, read from the quote without
    /// checksum verification; <see cref="Ipv4Repr.PayloadLength"/> is what the original claimed, not
    /// what was quoted. Default for echo messages.</summary>
    public Ipv4Repr OriginalHeader { get; init; }

    /// <summary>True for destination unreachable and time exceeded.</summary>
    public bool IsError => Type is IcmpV4Type.DestinationUnreachable or IcmpV4Type.TimeExceeded;

    /// <summary>Bytes needed on the wire: header plus data.</summary>
    public int BufferLength => HeaderLength + DataLength;

    /// <summary>An echo request carrying <paramref name="dataLength"/> bytes of data.</summary>
    public static IcmpV4Repr EchoRequest(ushort identifier, ushort sequenceNumber, int dataLength)
    {
        return new IcmpV4Repr { Type = IcmpV4Type.EchoRequest, Identifier = identifier, SequenceNumber = sequenceNumber, DataLength = dataLength };
    }

    /// <summary>The reply to an echo request: same identifier, sequence and data length (RFC 792: the data
    /// is returned unchanged; the caller copies or reuses it).</summary>
    public static IcmpV4Repr EchoReplyTo(in IcmpV4Repr request)
    {
        return new IcmpV4Repr { Type = IcmpV4Type.EchoReply, Identifier = request.Identifier, SequenceNumber = request.SequenceNumber, DataLength = request.DataLength };
    }

    /// <summary>A destination unreachable message quoting <paramref name="quotedLength"/> bytes of the
    /// original datagram (see <see cref="QuoteLength"/>).</summary>
    public static IcmpV4Repr DestinationUnreachable(IcmpV4UnreachableCode code, in Ipv4Repr originalHeader, int quotedLength)
    {
        return new IcmpV4Repr { Type = IcmpV4Type.DestinationUnreachable, Code = (byte)code, OriginalHeader = originalHeader, DataLength = quotedLength };
    }

    /// <summary>How many bytes of <paramref name="original"/> an error message quotes: its header plus
    /// 8 data bytes (RFC 792), or less if the datagram is shorter.</summary>
    public static int QuoteLength(Ipv4Packet original)
    {
        return Math.Min(original.HeaderLength + QuotedDataLength, original.TotalLength);
    }

    /// <summary>
    /// Validates and reads an echo message whose data stays where it is (arena pages reached by a scatter
    /// list): <paramref name="header"/> is a view over the 8 header bytes alone (from
    /// <see cref="IcmpV4Packet.TryCreate"/>), <paramref name="dataSum"/> the sum of every data byte after it,
    /// so the checksum over the whole message (RFC 792) is verified without the data being copied.
    /// <see cref="DataLength"/> is the number of bytes <paramref name="dataSum"/> covers.
    /// </summary>
    /// <returns>False with <see cref="WireError.BadChecksum"/> if the checksum fails;
    /// <see cref="WireError.Unsupported"/> for a valid message of another type than echo request or reply (an
    /// error message needs its quote, which only the buffer form can read).</returns>
    public static bool TryParse(IcmpV4Packet header, in ChecksumAccumulator dataSum, out IcmpV4Repr repr, out WireError error)
    {
        repr = default;
        ChecksumAccumulator sum = default;
        sum.Add(header.Buffer[..HeaderLength]);
        sum.Add(in dataSum);
        if (sum.Finish() != 0)
        {
            error = WireError.BadChecksum;
            return false;
        }

        IcmpV4Type type = header.Type;
        if (type is not (IcmpV4Type.EchoRequest or IcmpV4Type.EchoReply))
        {
            error = WireError.Unsupported;
            return false;
        }

        repr = new IcmpV4Repr
        {
            Type = type,
            Code = header.Code,
            Identifier = header.Identifier,
            SequenceNumber = header.SequenceNumber,
            DataLength = (int)dataSum.ByteCount,
        };
        error = WireError.None;
        return true;
    }

    /// <summary>Validates and reads a message accepted by <see cref="IcmpV4Packet.TryCreate"/>.</summary>
    /// <returns>False with <see cref="WireError.BadChecksum"/> if the checksum fails;
    /// <see cref="WireError.Unsupported"/> for other types; <see cref="WireError.Malformed"/> for an error
    /// message whose quote does not hold a whole IPv4 header (version 4, IHL of at least 5).</returns>
    public static bool TryParse(IcmpV4Packet packet, out IcmpV4Repr repr, out WireError error, bool verifyChecksum = true)
    {
        repr = default;
        if (verifyChecksum && !packet.VerifyChecksum())
        {
            error = WireError.BadChecksum;
            return false;
        }

        IcmpV4Type type = packet.Type;
        int dataLength = packet.Data.Length;
        switch (type)
        {
            case IcmpV4Type.EchoRequest:
            case IcmpV4Type.EchoReply:
                repr = new IcmpV4Repr
                {
                    Type = type,
                    Code = packet.Code,
                    Identifier = packet.Identifier,
                    SequenceNumber = packet.SequenceNumber,
                    DataLength = dataLength,
                };
                error = WireError.None;
                return true;

            case IcmpV4Type.DestinationUnreachable:
            case IcmpV4Type.TimeExceeded:
                if (!TryReadQuotedHeader(packet.Data, out Ipv4Repr original))
                {
                    error = WireError.Malformed;
                    return false;
                }

                repr = new IcmpV4Repr { Type = type, Code = packet.Code, DataLength = dataLength, OriginalHeader = original };
                error = WireError.None;
                return true;

            default:
                error = WireError.Unsupported;
                return false;
        }
    }

    /// <summary>
    /// Writes the header and the checksum over the whole message; the data (echo payload or the quote)
    /// must already be in place after the header. The packet buffer must be exactly <see cref="BufferLength"/> long.
    /// </summary>
    /// <exception cref="ArgumentException">The packet buffer length differs from <see cref="BufferLength"/>.</exception>
    public void Emit(IcmpV4Packet packet)
    {
        if (packet.Buffer.Length != BufferLength)
        {
            throw new ArgumentException($"The ICMP buffer is {packet.Buffer.Length} bytes, the message {BufferLength}.", nameof(packet));
        }

        WriteHeader(packet.Buffer, 0);
        packet.FillChecksum();
    }

    /// <summary>Writes the 8-byte header with a checksum computed from <paramref name="dataSum"/>, the data
    /// summed in order from its first byte; the data may live in other buffers (scatter-gather).</summary>
    /// <exception cref="ArgumentException"><paramref name="header"/> is shorter than 8 bytes, or
    /// <paramref name="dataSum"/> covers a different length than <see cref="DataLength"/>.</exception>
    public void EmitHeader(Span<byte> header, in ChecksumAccumulator dataSum)
    {
        if (header.Length < HeaderLength)
        {
            throw new ArgumentException("The buffer cannot hold an ICMP header.", nameof(header));
        }

        if (dataSum.ByteCount != DataLength)
        {
            throw new ArgumentException($"The data sum covers {dataSum.ByteCount} bytes, the repr {DataLength}.", nameof(dataSum));
        }

        WriteHeader(header, 0);
        var accumulator = default(ChecksumAccumulator);
        accumulator.Add(header[..HeaderLength]);
        accumulator.Add(in dataSum);
        BinaryPrimitives.WriteUInt16BigEndian(header[IcmpV4Packet.ChecksumOffset..], accumulator.Finish());
    }

    private void WriteHeader(Span<byte> header, ushort checksum)
    {
        header[IcmpV4Packet.TypeOffset] = (byte)Type;
        header[IcmpV4Packet.CodeOffset] = Code;
        BinaryPrimitives.WriteUInt16BigEndian(header[IcmpV4Packet.ChecksumOffset..], checksum);

        // Error messages leave the second word unused and zero (RFC 792).
        BinaryPrimitives.WriteUInt16BigEndian(header[IcmpV4Packet.IdentifierOffset..], IsError ? (ushort)0 : Identifier);
        BinaryPrimitives.WriteUInt16BigEndian(header[IcmpV4Packet.SequenceNumberOffset..], IsError ? (ushort)0 : SequenceNumber);
    }

    private static bool TryReadQuotedHeader(Span<byte> quote, out Ipv4Repr original)
    {
        original = default;
        if (quote.Length < Ipv4Packet.MinHeaderLength)
        {
            return false;
        }

        // The quote is cut after 8 data bytes, so the view's total-length check cannot apply; read the
        // fixed fields unchecked after validating version and IHL by hand.
        Ipv4Packet header = Ipv4Packet.CreateUnchecked(quote);
        int headerLength = header.HeaderLength;
        if (header.Version != 4 || headerLength < Ipv4Packet.MinHeaderLength || quote.Length < headerLength)
        {
            return false;
        }

        original = new Ipv4Repr(header.Source, header.Destination, header.Protocol, Math.Max(0, header.TotalLength - headerLength))
        {
            Ttl = header.Ttl,
            Dscp = header.Dscp,
            Ecn = header.Ecn,
            Identification = header.Identification,
            DontFragment = header.DontFragment,
            MoreFragments = header.MoreFragments,
            FragmentOffset = header.FragmentOffset,
            HeaderLength = headerLength,
        };
        return true;
    }
}
