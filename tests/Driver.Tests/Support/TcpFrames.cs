using System.Buffers.Binary;

namespace Edsos.Driver.Tests.Support;

/// <summary>
/// Ethernet + IPv4 + TCP header templates for the TSO tests, and an independent reading of the frames
/// the device cuts: field getters at the RFC 791 / RFC 9293 offsets and an RFC 1071 checksum written
/// here on its own (a plain word loop), so the device's checksum code is checked against other code.
/// </summary>
internal static class TcpFrames
{
    public const int EthernetLength = 14;
    public const int Ipv4Offset = EthernetLength;
    public const int TcpOffset = Ipv4Offset + 20;
    public const int HeaderLength = TcpOffset + 20;

    public const byte Fin = 0x01;
    public const byte Syn = 0x02;
    public const byte Psh = 0x08;
    public const byte Ack = 0x10;
    public const byte Cwr = 0x80;

    public static readonly byte[] Source = [10, 0, 0, 1];
    public static readonly byte[] Destination = [10, 0, 0, 2];

    /// <summary>
    /// A super-frame header as a stack hands it to TSO: IPv4 total length of the whole super-packet, DF,
    /// TTL 64, protocol 6; TCP ports 40000 → 7, the given sequence and flags. Both checksum fields hold
    /// 0xDEAD: the device must compute them itself.
    /// </summary>
    public static byte[] Header(int payloadLength, ushort identification, uint sequence, byte flags, byte ipProtocol = 6, byte ipVersion = 4)
    {
        var header = new byte[HeaderLength];
        var span = header.AsSpan();
        span[..6].Fill(0x02);
        span[5] = 0x02;
        span.Slice(6, 6).Fill(0x02);
        span[11] = 0x01;
        BinaryPrimitives.WriteUInt16BigEndian(span[12..], 0x0800);

        var ip = span[Ipv4Offset..];
        ip[0] = (byte)((ipVersion << 4) | 5);
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)Math.Min(ushort.MaxValue, 40 + payloadLength));
        BinaryPrimitives.WriteUInt16BigEndian(ip[4..], identification);
        BinaryPrimitives.WriteUInt16BigEndian(ip[6..], 0x4000);
        ip[8] = 64;
        ip[9] = ipProtocol;
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], 0xDEAD);
        Source.CopyTo(ip[12..]);
        Destination.CopyTo(ip[16..]);

        var tcp = span[TcpOffset..];
        BinaryPrimitives.WriteUInt16BigEndian(tcp, 40000);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], 7);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], sequence);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[8..], 0x01020304);
        tcp[12] = 5 << 4;
        tcp[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(tcp[14..], 65535);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[16..], 0xDEAD);
        return header;
    }

    public static int IpTotalLength(byte[] frame) => BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(Ipv4Offset + 2));

    public static ushort IpIdentification(byte[] frame) => BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(Ipv4Offset + 4));

    public static bool DontFragment(byte[] frame) => (frame[Ipv4Offset + 6] & 0x40) != 0;

    public static uint Sequence(byte[] frame) => BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(TcpOffset + 4));

    public static byte Flags(byte[] frame) => frame[TcpOffset + 13];

    /// <summary>RFC 791: the header checksum verifies when the sum over the header, checksum included, is 0xFFFF.</summary>
    public static bool Ipv4ChecksumValid(byte[] frame) => Fold(WordSum(frame.AsSpan(Ipv4Offset, 20), 0)) == 0xFFFF;

    /// <summary>RFC 9293 3.1: pseudo-header (addresses, zero, protocol, TCP length) plus the segment sums to 0xFFFF.</summary>
    public static bool TcpChecksumValid(byte[] frame)
    {
        int tcpLength = frame.Length - TcpOffset;
        long sum = WordSum(frame.AsSpan(Ipv4Offset + 12, 8), 0);
        sum += 6;
        sum += tcpLength;
        sum = WordSum(frame.AsSpan(TcpOffset), sum);
        return Fold(sum) == 0xFFFF;
    }

    /// <summary>
    /// Writes both checksums of an IPv4 frame carrying TCP (protocol 6, checksum at +16) or UDP (17, at +6) with a
    /// 20-byte IPv4 header, over the IPv4 total length (bytes past it are Ethernet padding), with the word loop here.
    /// </summary>
    public static byte[] FillChecksums(byte[] frame)
    {
        var ip = frame.AsSpan(Ipv4Offset);
        int total = BinaryPrimitives.ReadUInt16BigEndian(ip[2..]);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], (ushort)~Fold(WordSum(ip[..20], 0)));
        int protocol = ip[9];
        int at = protocol == 6 ? 16 : 6;
        var transport = ip[20..total];
        BinaryPrimitives.WriteUInt16BigEndian(transport[at..], 0);
        long sum = WordSum(ip.Slice(12, 8), 0) + protocol + transport.Length;
        ushort checksum = (ushort)~Fold(WordSum(transport, sum));
        BinaryPrimitives.WriteUInt16BigEndian(transport[at..], protocol == 17 && checksum == 0 ? (ushort)0xFFFF : checksum);
        return frame;
    }

    /// <summary>
    /// An Ethernet + IPv4 + UDP frame (ports 40000 → 9) around <paramref name="payload"/>, checksums filled (the UDP one
    /// left 0, "none", when <paramref name="udpChecksum"/> is false).
    /// </summary>
    public static byte[] Udp(byte[] payload, bool udpChecksum = true)
    {
        var header = Header(payload.Length - 12, 1, 0, 0, ipProtocol: 17);
        var frame = new byte[TcpOffset + 8 + payload.Length];
        header.AsSpan(0, TcpOffset).CopyTo(frame);
        var udp = frame.AsSpan(TcpOffset);
        BinaryPrimitives.WriteUInt16BigEndian(udp, 40000);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], 9);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)(8 + payload.Length));
        payload.CopyTo(udp[8..]);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(Ipv4Offset + 2), (ushort)(28 + payload.Length));
        FillChecksums(frame);
        if (!udpChecksum)
        {
            BinaryPrimitives.WriteUInt16BigEndian(udp[6..], 0);
        }

        return frame;
    }

    /// <summary>An Ethernet + IPv4 + TCP frame around <paramref name="payload"/>, both checksums filled.</summary>
    public static byte[] Tcp(byte[] payload)
    {
        var frame = new byte[HeaderLength + payload.Length];
        Header(payload.Length, 1, 1000, Ack | Psh).CopyTo(frame, 0);
        payload.CopyTo(frame, HeaderLength);
        return FillChecksums(frame);
    }

    private static long WordSum(ReadOnlySpan<byte> data, long sum)
    {
        for (int i = 0; i < data.Length; i += 2)
        {
            int high = data[i];
            int low = i + 1 < data.Length ? data[i + 1] : 0;
            sum += (high << 8) | low;
        }

        return sum;
    }

    private static int Fold(long sum)
    {
        while (sum > 0xFFFF)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (int)sum;
    }
}
