using System.Buffers.Binary;
using Edsos.Driver.Ring;

namespace Edsos.Driver.Device;

/// <summary>
/// Receive checksum offload as the e1000 does it (8254x SDM 3.2.3.1 and 3.2.3.2, RXCSUM.IPOFL | TUOFL): for an untagged
/// IPv4 frame the device checks the IPv4 header checksum (IPCS, and IPE when wrong) and, for a TCP or UDP datagram that is
/// not a fragment, the transport checksum over pseudo-header, header and payload (TCPCS, and TCPE when wrong; the 8254x's
/// TCPCS covers UDP too, and a UDP checksum of 0 means none was sent, so none is checked). <see cref="Begin"/> reads the
/// headers; the transport bytes are summed by <see cref="Add"/> piece by piece as the device DMA-writes them into its RX
/// buffers, so the sum takes no pass of its own; <see cref="Status"/> and <see cref="Errors"/> go into the frame's EOP
/// descriptor. A frame the device cannot parse (too short, not IPv4, lengths that do not fit) gets no indication, and
/// the stack's own checks judge it. A mutable struct the device keeps on its stack for one frame.
/// </summary>
internal struct RxChecksumCheck
{
    private const int EthernetHeaderLength = 14;
    private const ushort EtherTypeIpv4 = 0x0800;
    private const byte ProtocolTcp = 6;
    private const byte ProtocolUdp = 17;

    private int _start;
    private int _end;
    private ulong _sum;
    private RxDescriptorStatus _status;
    private RxDescriptorErrors _errors;

    /// <summary>What the frame's EOP descriptor reports: IPCS and TCPCS for what was checked (IXSM when offload is off).</summary>
    public readonly RxDescriptorStatus Status => _status;

    /// <summary>IPE and TCPE for a checksum found wrong; valid once every piece was added.</summary>
    public readonly RxDescriptorErrors Errors =>
        (_status & RxDescriptorStatus.TcpCs) != 0 && OnesComplement.Fold(_sum) != 0xFFFF ? _errors | RxDescriptorErrors.Tcpe : _errors;

    /// <summary>The check of a device whose receive checksum offload is off: IXSM, nothing checked.</summary>
    public static RxChecksumCheck Ignored => new() { _status = RxDescriptorStatus.Ixsm };

    /// <summary>Reads the headers of <paramref name="frame"/> and checks the IPv4 header; the transport sum starts with the pseudo-header.</summary>
    public static RxChecksumCheck Begin(ReadOnlySpan<byte> frame)
    {
        var check = default(RxChecksumCheck);
        if (frame.Length < EthernetHeaderLength + 20 || BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) != EtherTypeIpv4)
        {
            return check;
        }

        var ip = frame[EthernetHeaderLength..];
        int headerLength = (ip[0] & 0x0F) * 4;
        int totalLength = BinaryPrimitives.ReadUInt16BigEndian(ip[2..]);
        if (ip[0] >> 4 != 4 || headerLength < 20 || totalLength < headerLength || totalLength > ip.Length)
        {
            return check;
        }

        check._status = RxDescriptorStatus.IpCs;
        if (OnesComplement.Fold(OnesComplement.AddWords(0, ip[..headerLength])) != 0xFFFF)
        {
            check._errors = RxDescriptorErrors.Ipe;
            return check;
        }

        byte protocol = ip[9];
        bool fragment = (BinaryPrimitives.ReadUInt16BigEndian(ip[6..]) & 0x3FFF) != 0;
        int transportLength = totalLength - headerLength;
        if (fragment)
        {
            return check;
        }

        if (protocol == ProtocolUdp && transportLength >= 8)
        {
            // The UDP length field bounds what its checksum covers; a checksum of 0 means the sender computed none.
            var udp = ip[headerLength..];
            int udpLength = BinaryPrimitives.ReadUInt16BigEndian(udp[4..]);
            if (udpLength < 8 || udpLength > transportLength || BinaryPrimitives.ReadUInt16BigEndian(udp[6..]) == 0)
            {
                return check;
            }

            transportLength = udpLength;
        }
        else if (protocol != ProtocolTcp || transportLength < 20)
        {
            return check;
        }

        // RFC 9293 3.1 and RFC 768: source and destination addresses, zero, protocol, transport length.
        check._status |= RxDescriptorStatus.TcpCs;
        check._start = EthernetHeaderLength + headerLength;
        check._end = check._start + transportLength;
        check._sum = OnesComplement.AddWords(0, ip.Slice(12, 8)) + protocol + (ulong)transportLength;
        return check;
    }

    /// <summary>Adds the transport bytes among <paramref name="piece"/>, which holds the frame's bytes from <paramref name="offset"/> on.</summary>
    public void Add(int offset, ReadOnlySpan<byte> piece)
    {
        int from = Math.Max(offset, _start);
        int to = Math.Min(offset + piece.Length, _end);
        if (from >= to)
        {
            return;
        }

        ulong sum = OnesComplement.AddWords(0, piece[(from - offset)..(to - offset)]);
        if (((from - _start) & 1) != 0)
        {
            // The piece starts on the low byte of a word: its words are the byte-swapped ones (RFC 1071 2(B)).
            sum = BinaryPrimitives.ReverseEndianness((ushort)OnesComplement.Fold(sum));
        }

        _sum += sum;
    }
}
