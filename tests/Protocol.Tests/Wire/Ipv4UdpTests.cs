using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Tests.Wire;

public sealed class Ipv4UdpTests
{
    private static readonly Ipv4Address s_guest = Ipv4Address.Parse("10.0.2.15");
    private static readonly Ipv4Address s_gateway = Ipv4Address.Parse("10.0.2.2");

    [Fact]
    public void Parse_UdpHelloFrame_AllFields()
    {
        byte[] frame = Fixtures.UdpHelloFrame();
        Assert.True(EthernetFrame.TryCreate(frame, out EthernetFrame ethernet, out _));

        Assert.True(Ipv4Packet.TryCreate(ethernet.Payload, out Ipv4Packet ip, out WireError error), error.ToString());
        Assert.True(Ipv4Repr.TryParse(ip, out Ipv4Repr ipRepr, out error), error.ToString());
        Assert.Equal(s_guest, ipRepr.Source);
        Assert.Equal(s_gateway, ipRepr.Destination);
        Assert.Equal(IpProtocol.Udp, ipRepr.Protocol);
        Assert.Equal(13, ipRepr.PayloadLength);
        Assert.Equal(0x1234, ipRepr.Identification);
        Assert.True(ipRepr.DontFragment);
        Assert.False(ipRepr.IsFragment);
        Assert.Equal(64, ipRepr.Ttl);

        Assert.True(UdpPacket.TryCreate(ip.Payload, out UdpPacket udp, out error));
        Assert.True(UdpRepr.TryParse(udp, ipRepr.Source, ipRepr.Destination, out UdpRepr udpRepr, out error), error.ToString());
        Assert.Equal(new UdpRepr(12345, 7, 5), udpRepr);
        Assert.Equal("hello"u8.ToArray(), udp.Payload.ToArray());
    }

    [Fact]
    public void Emit_UdpHelloReprs_ByteForByteFixture()
    {
        byte[] frame = new byte[Fixtures.UdpHelloFrame().Length];
        var ethernet = EthernetFrame.CreateUnchecked(frame);
        new EthernetRepr(MacAddress.Parse("52:55:0a:00:02:02"), MacAddress.Parse("52:54:00:12:34:56"), EtherType.Ipv4).Emit(ethernet);
        var udpRepr = new UdpRepr(12345, 7, 5);
        var ipRepr = new Ipv4Repr(s_guest, s_gateway, IpProtocol.Udp, udpRepr.Length) { Identification = 0x1234, DontFragment = true };
        var ip = Ipv4Packet.CreateUnchecked(ethernet.Payload);
        ipRepr.Emit(ip);
        "hello"u8.CopyTo(ip.Payload[UdpRepr.HeaderLength..]);
        udpRepr.Emit(UdpPacket.CreateUnchecked(ip.Payload), s_guest, s_gateway);

        Assert.Equal(Convert.ToHexString(Fixtures.UdpHelloFrame()), Convert.ToHexString(frame));
    }

    [Fact]
    public void EmitHeader_PayloadInThreeOddSegments_SameChecksumAsContiguous()
    {
        // Scatter-gather send: header in one buffer, "hello" as "h" + "el" + "lo" elsewhere.
        var payloadSum = default(ChecksumAccumulator);
        payloadSum.Add("h"u8);
        payloadSum.Add("el"u8);
        payloadSum.Add("lo"u8);
        byte[] header = new byte[8];

        new UdpRepr(12345, 7, 5).EmitHeader(header, s_guest, s_gateway, payloadSum);

        Assert.Equal(Fixtures.UdpHelloFrame().AsSpan(34, 8).ToArray(), header);
    }

    [Fact]
    public void ComputeChecksum_WrongPayloadLength_Throws()
    {
        var payloadSum = default(ChecksumAccumulator);
        payloadSum.Add("hell"u8);

        Assert.Throws<ArgumentException>(() => new UdpRepr(12345, 7, 5).ComputeChecksum(s_guest, s_gateway, payloadSum));
    }

    [Fact]
    public void ComputeChecksum_SumIsZero_SentAsFfff()
    {
        // Choose the payload word so the checksum comes out 0: the sum of everything else, complemented,
        // makes the total 0xffff, whose complement 0 must go out as 0xffff (RFC 768).
        var repr = new UdpRepr(1, 2, 2);
        ChecksumAccumulator rest = InternetChecksum.PseudoHeader(s_guest, s_gateway, IpProtocol.Udp, repr.Length);
        rest.AddUInt16(repr.SourcePort);
        rest.AddUInt16(repr.DestinationPort);
        rest.AddUInt16((ushort)repr.Length);
        ushort word = (ushort)~rest.Sum;
        var payloadSum = default(ChecksumAccumulator);
        payloadSum.AddUInt16(word);

        Assert.Equal(0xFFFF, repr.ComputeChecksum(s_guest, s_gateway, payloadSum));
    }

    [Fact]
    public void UdpTryParse_ZeroChecksum_AcceptedUnverified()
    {
        byte[] udp = Fixtures.UdpHelloFrame().AsSpan(34).ToArray();
        udp[6] = 0;
        udp[7] = 0;
        udp[8] ^= 0xFF; // corrupt the payload: with "no checksum" nobody can tell

        Assert.True(UdpPacket.TryCreate(udp, out UdpPacket packet, out _));
        Assert.True(UdpRepr.TryParse(packet, s_guest, s_gateway, out _, out WireError error));
        Assert.Equal(WireError.None, error);
    }

    [Fact]
    public void UdpTryParse_CorruptPayload_BadChecksum()
    {
        byte[] udp = Fixtures.UdpHelloFrame().AsSpan(34).ToArray();
        udp[12] ^= 0x01;
        Assert.True(UdpPacket.TryCreate(udp, out UdpPacket packet, out _));

        Assert.False(UdpRepr.TryParse(packet, s_guest, s_gateway, out _, out WireError error));
        Assert.Equal(WireError.BadChecksum, error);
        Assert.True(UdpRepr.TryParse(packet, s_guest, s_gateway, out _, out _, verifyChecksum: false));
    }

    [Fact]
    public void UdpTryParse_WrongPseudoHeaderAddress_BadChecksum()
    {
        byte[] udp = Fixtures.UdpHelloFrame().AsSpan(34).ToArray();
        Assert.True(UdpPacket.TryCreate(udp, out UdpPacket packet, out _));

        Assert.False(UdpRepr.TryParse(packet, s_guest, Ipv4Address.Parse("10.0.2.3"), out _, out WireError error));
        Assert.Equal(WireError.BadChecksum, error);
    }

    [Theory]
    [InlineData(7, WireError.Truncated)]       // shorter than the header
    [InlineData(12, WireError.Truncated)]      // length field 13 > 12 bytes
    public void UdpTryCreate_Short_Truncated(int keep, WireError expected)
    {
        byte[] udp = Fixtures.UdpHelloFrame().AsSpan(34, keep).ToArray();

        Assert.False(UdpPacket.TryCreate(udp, out _, out WireError error));
        Assert.Equal(expected, error);
    }

    [Fact]
    public void UdpTryCreate_LengthBelowHeader_Malformed()
    {
        byte[] udp = Fixtures.UdpHelloFrame().AsSpan(34).ToArray();
        udp[5] = 7;

        Assert.False(UdpPacket.TryCreate(udp, out _, out WireError error));
        Assert.Equal(WireError.Malformed, error);
    }

    [Fact]
    public void Ipv4TryParse_WikipediaHeader_ChecksumVerifies()
    {
        byte[] datagram = new byte[0x73];
        Convert.FromHexString("45000073000040004011B861C0A80001C0A800C7").CopyTo(datagram, 0);

        Assert.True(Ipv4Packet.TryCreate(datagram, out Ipv4Packet packet, out _));
        Assert.True(Ipv4Repr.TryParse(packet, out Ipv4Repr repr, out WireError error), error.ToString());
        Assert.Equal(Ipv4Address.Parse("192.168.0.199"), repr.Destination);
        Assert.Equal(0x73 - 20, repr.PayloadLength);
    }

    [Fact]
    public void Ipv4TryParse_CorruptHeader_BadChecksum()
    {
        byte[] ip = Fixtures.UdpHelloFrame().AsSpan(14).ToArray();
        ip[8] = 63; // TTL changed without updating the checksum
        Assert.True(Ipv4Packet.TryCreate(ip, out Ipv4Packet packet, out _));

        Assert.False(Ipv4Repr.TryParse(packet, out _, out WireError error));
        Assert.Equal(WireError.BadChecksum, error);
    }

    [Theory]
    [InlineData(0, 0x44, WireError.Malformed)]  // IHL 4 < 5
    [InlineData(0, 0x4F, WireError.Malformed)]  // IHL 15: a 60-byte header cannot fit total length 33
    [InlineData(3, 0x13, WireError.Malformed)]  // total length 19 < header length 20
    [InlineData(3, 0x22, WireError.Truncated)]  // total length 34 > 33 bytes present
    public void Ipv4TryCreate_BadLengths_Rejected(int offset, byte value, WireError expected)
    {
        byte[] ip = Fixtures.UdpHelloFrame().AsSpan(14).ToArray();
        ip[offset] = value;

        Assert.False(Ipv4Packet.TryCreate(ip, out _, out WireError error));
        Assert.Equal(expected, error);
    }

    [Fact]
    public void Ipv4TryParse_Version6_Unsupported()
    {
        byte[] ip = Fixtures.UdpHelloFrame().AsSpan(14).ToArray();
        ip[0] = 0x65;
        Assert.True(Ipv4Packet.TryCreate(ip, out Ipv4Packet packet, out _));

        Assert.False(Ipv4Repr.TryParse(packet, out _, out WireError error));
        Assert.Equal(WireError.Unsupported, error);
    }

    [Fact]
    public void Ipv4TryParse_MulticastSource_Malformed()
    {
        byte[] ip = Fixtures.UdpHelloFrame().AsSpan(14).ToArray();
        var packet = Ipv4Packet.CreateUnchecked(ip);
        packet.Source = Ipv4Address.Parse("224.0.0.1");
        packet.FillChecksum();

        Assert.False(Ipv4Repr.TryParse(packet, out _, out WireError error));
        Assert.Equal(WireError.Malformed, error);
    }

    [Fact]
    public void Ipv4TryParse_FragmentBeyond65535_Malformed()
    {
        byte[] ip = Fixtures.UdpHelloFrame().AsSpan(14).ToArray();
        var packet = Ipv4Packet.CreateUnchecked(ip);
        packet.FragmentOffset = 65528; // plus 33 bytes overruns the largest datagram ("ping of death")
        packet.FillChecksum();

        Assert.False(Ipv4Repr.TryParse(packet, out _, out WireError error));
        Assert.Equal(WireError.Malformed, error);
    }

    [Fact]
    public void Ipv4TryParse_WithOptions_SkipsThemAndPayloadFollows()
    {
        // 24-byte header: IHL 6 with one 4-byte option word (NOP NOP NOP EOL), then the UDP datagram.
        byte[] original = Fixtures.UdpHelloFrame().AsSpan(14).ToArray();
        byte[] ip = new byte[original.Length + 4];
        original.AsSpan(0, 20).CopyTo(ip);
        ip[20] = 1;
        ip[21] = 1;
        ip[22] = 1;
        ip[23] = 0;
        original.AsSpan(20).CopyTo(ip.AsSpan(24));
        var packet = Ipv4Packet.CreateUnchecked(ip);
        packet.HeaderLength = 24;
        packet.TotalLength = ip.Length;
        packet.FillChecksum();

        Assert.True(Ipv4Packet.TryCreate(ip, out packet, out _));
        Assert.True(Ipv4Repr.TryParse(packet, out Ipv4Repr repr, out WireError error), error.ToString());
        Assert.Equal(24, repr.HeaderLength);
        Assert.Equal(13, repr.PayloadLength);
        Assert.Equal(4, packet.Options.Length);
        Assert.Equal(0x30, packet.Payload[0]); // first byte of source port 12345
    }

    [Fact]
    public void Ipv4Emit_FragmentFields_RoundTrip()
    {
        var repr = new Ipv4Repr(s_guest, s_gateway, IpProtocol.Udp, 1480)
        {
            Identification = 77,
            MoreFragments = true,
            FragmentOffset = 1480,
            Ttl = 5,
            Dscp = 46,
            Ecn = 1,
        };
        byte[] buffer = new byte[repr.BufferLength];

        repr.Emit(Ipv4Packet.CreateUnchecked(buffer));

        Assert.Equal(0x20, buffer[6] & 0xE0); // MF set, DF and reserved clear
        Assert.Equal(1480 / 8, ((buffer[6] & 0x1F) << 8) | buffer[7]);
        Assert.Equal((46 << 2) | 1, buffer[1]);
        Assert.True(Ipv4Packet.TryCreate(buffer, out Ipv4Packet packet, out _));
        Assert.True(Ipv4Repr.TryParse(packet, out Ipv4Repr parsed, out WireError error), error.ToString());
        Assert.Equal(repr, parsed);
        Assert.True(parsed.IsFragment);
    }

    [Fact]
    public void Ipv4Emit_OffsetNotMultipleOf8_Throws()
    {
        var repr = new Ipv4Repr(s_guest, s_gateway, IpProtocol.Udp, 8) { FragmentOffset = 4 };

        Assert.Throws<InvalidOperationException>(() => repr.Emit(Ipv4Packet.CreateUnchecked(new byte[28])));
    }
}
