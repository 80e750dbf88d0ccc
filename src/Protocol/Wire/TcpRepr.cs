using System.Buffers.Binary;

namespace Edsos.Protocol.Wire;

/// <summary>
/// A parsed TCP header (RFC 9293 section 3.1) with the two options this stack uses, both only on SYN: MSS
/// (RFC 9293 section 3.7.1; kind 2, length 4) and Window Scale (RFC 7323 section 2.2; kind 3, length 3,
/// emitted after a NOP so the header stays a multiple of four bytes). The payload is not part of the repr:
/// its checksum sum comes in as a <see cref="ChecksumAccumulator"/> so it is never copied to be checksummed.
/// </summary>
/// <param name="SourcePort">Source port.</param>
/// <param name="DestinationPort">Destination port.</param>
/// <param name="Sequence">Sequence number of the first octet (of the SYN when set).</param>
/// <param name="Acknowledgement">Next sequence number expected (meaningful with <see cref="TcpFlags.Ack"/>).</param>
/// <param name="Flags">Control bits.</param>
/// <param name="Window">Receive window as carried in the header (unscaled: the connection applies the shift).</param>
/// <param name="MaxSegmentSize">The MSS option, 0 when absent.</param>
/// <param name="WindowScale">The Window Scale option's shift count as carried (RFC 7323 2.2), null when absent.
/// Values above <see cref="MaxWindowScale"/> are kept as received; the connection clamps them (RFC 7323 2.3).</param>
public readonly record struct TcpRepr(
    ushort SourcePort,
    ushort DestinationPort,
    uint Sequence,
    uint Acknowledgement,
    TcpFlags Flags,
    ushort Window,
    ushort MaxSegmentSize = 0,
    byte? WindowScale = null)
{
    /// <summary>Header without options.</summary>
    public const int MinHeaderLength = TcpPacket.MinHeaderLength;

    /// <summary>RFC 9293 3.7.1: the MSS assumed when a SYN carries none (536 for IPv4).</summary>
    public const ushort DefaultMss = 536;

    /// <summary>RFC 7323 2.3: the largest shift count a window may be scaled by (a window then spans 2^30 bytes).</summary>
    public const int MaxWindowScale = 14;

    private const byte OptionEnd = 0;
    private const byte OptionNop = 1;
    private const byte OptionMss = 2;
    private const byte OptionWindowScale = 3;

    /// <summary>Header length as emitted: 20, plus 4 with the MSS option, plus 4 (NOP + Window Scale) with that one.</summary>
    public int HeaderLength => MinHeaderLength + (MaxSegmentSize != 0 ? 4 : 0) + (WindowScale is null ? 0 : 4);

    /// <summary>Sequence space the segment occupies: payload plus one for SYN and one for FIN (RFC 9293 3.4).</summary>
    public int SegmentLength(int payloadLength) =>
        payloadLength + ((Flags & TcpFlags.Syn) != 0 ? 1 : 0) + ((Flags & TcpFlags.Fin) != 0 ? 1 : 0);

    /// <summary>
    /// Reads a header accepted by <see cref="TcpPacket.TryCreate"/>. The checksum is not verified here (it
    /// covers the payload, which the caller sums in place: <see cref="VerifyChecksum"/>). Unknown options
    /// are skipped (RFC 9293 3.1: a receiver must ignore options it does not implement).
    /// </summary>
    /// <returns>False with <see cref="WireError.Malformed"/> for destination port 0, or an option whose
    /// length runs past the header or is below 2.</returns>
    public static bool TryParse(TcpPacket packet, out TcpRepr repr, out WireError error)
    {
        repr = default;
        if (packet.DestinationPort == 0 || packet.SourcePort == 0)
        {
            error = WireError.Malformed;
            return false;
        }

        ushort mss = 0;
        byte? windowScale = null;
        ReadOnlySpan<byte> options = packet.Options;
        while (!options.IsEmpty)
        {
            byte kind = options[0];
            if (kind == OptionEnd)
            {
                break;
            }

            if (kind == OptionNop)
            {
                options = options[1..];
                continue;
            }

            if (options.Length < 2 || options[1] < 2 || options[1] > options.Length)
            {
                error = WireError.Malformed;
                return false;
            }

            if (kind == OptionMss && options[1] == 4)
            {
                mss = BinaryPrimitives.ReadUInt16BigEndian(options[2..]);
            }
            else if (kind == OptionWindowScale && options[1] == 3)
            {
                windowScale = options[2];
            }

            options = options[options[1]..];
        }

        repr = new TcpRepr(packet.SourcePort, packet.DestinationPort, packet.Sequence, packet.Acknowledgement, packet.Flags, packet.Window, mss, windowScale);
        error = WireError.None;
        return true;
    }

    /// <summary>
    /// Writes the header into <paramref name="header"/> (at least <see cref="HeaderLength"/> bytes) with its
    /// checksum over pseudo-header, header and a payload of <paramref name="payloadSum"/>.ByteCount bytes
    /// summed wherever it lives (scatter-gather send, RFC 9293 3.1 "Checksum").
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="header"/> is too short, or the segment would not fit an IPv4 datagram.</exception>
    public void EmitHeader(Span<byte> header, Ipv4Address source, Ipv4Address destination, in ChecksumAccumulator payloadSum)
    {
        int headerLength = HeaderLength;
        if (header.Length < headerLength)
        {
            throw new ArgumentException("The buffer cannot hold the TCP header.", nameof(header));
        }

        long total = headerLength + payloadSum.ByteCount;
        if (total > ushort.MaxValue - 20)
        {
            throw new ArgumentException($"A TCP segment of {total} bytes does not fit an IPv4 datagram.", nameof(payloadSum));
        }

        var packet = WriteFields(header);
        ChecksumAccumulator sum = InternetChecksum.PseudoHeader(source, destination, IpProtocol.Tcp, (int)total);
        sum.Add(packet.Buffer);
        sum.Add(in payloadSum);
        packet.Checksum = sum.Finish();
    }

    /// <summary>
    /// Writes the header of a super-segment whose checksum the NIC computes per segment (TCP segmentation
    /// offload): every field as <see cref="EmitHeader"/> writes it, the checksum field 0. The payload is not
    /// summed at all, since the NIC sums each segment's own bytes.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="header"/> is too short.</exception>
    public void EmitOffloadHeader(Span<byte> header)
    {
        if (header.Length < HeaderLength)
        {
            throw new ArgumentException("The buffer cannot hold the TCP header.", nameof(header));
        }

        WriteFields(header);
    }

    private TcpPacket WriteFields(Span<byte> header)
    {
        int headerLength = HeaderLength;
        var packet = TcpPacket.CreateUnchecked(header[..headerLength]);
        packet.SourcePort = SourcePort;
        packet.DestinationPort = DestinationPort;
        packet.Sequence = Sequence;
        packet.Acknowledgement = Acknowledgement;
        packet.HeaderLength = headerLength;
        packet.Flags = Flags;
        packet.Window = Window;
        packet.Checksum = 0;
        packet.Urgent = 0;
        Span<byte> options = packet.Options;
        if (MaxSegmentSize != 0)
        {
            options[0] = OptionMss;
            options[1] = 4;
            BinaryPrimitives.WriteUInt16BigEndian(options[2..], MaxSegmentSize);
            options = options[4..];
        }

        if (WindowScale is byte shift)
        {
            // RFC 7323 2.2 (and its appendix): a NOP first, so the three-byte option ends on a word boundary.
            options[0] = OptionNop;
            options[1] = OptionWindowScale;
            options[2] = 3;
            options[3] = shift;
        }

        return packet;
    }

    /// <summary>
    /// True when <paramref name="header"/> (the whole TCP header as received) and the payload summed into
    /// <paramref name="payloadSum"/> verify against the pseudo-header (the ones'-complement sum is zero).
    /// </summary>
    public static bool VerifyChecksum(ReadOnlySpan<byte> header, Ipv4Address source, Ipv4Address destination, in ChecksumAccumulator payloadSum)
    {
        ChecksumAccumulator sum = InternetChecksum.PseudoHeader(source, destination, IpProtocol.Tcp, (int)(header.Length + payloadSum.ByteCount));
        sum.Add(header);
        sum.Add(in payloadSum);
        return sum.Finish() == 0;
    }
}
