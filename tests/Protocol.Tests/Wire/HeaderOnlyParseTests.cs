using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Tests.Wire;

/// <summary>
/// The receive path's parsers over header bytes alone: the payload stays in the frame (here: the rest of
/// the fixture), only its checksum sum is handed over, fed in odd-sized pieces as a scatter list would.
/// </summary>
public sealed class HeaderOnlyParseTests
{
    private const int IpStart = 14;
    private const int UdpStart = IpStart + 20;
    private static readonly Ipv4Address s_guest = Ipv4Address.Parse("10.0.2.15");
    private static readonly Ipv4Address s_gateway = Ipv4Address.Parse("10.0.2.2");

    [Fact]
    public void Ipv4TryCreate_HeaderOnlyWithAvailableLength_ParsesLikeTheWholePacket()
    {
        byte[] frame = Fixtures.UdpHelloFrame();

        Assert.True(Ipv4Packet.TryCreate(frame.AsSpan(IpStart, 20), frame.Length - IpStart, out Ipv4Packet ip, out WireError error), error.ToString());
        Assert.True(Ipv4Repr.TryParse(ip, out Ipv4Repr repr, out error), error.ToString());
        Assert.Equal(s_guest, repr.Source);
        Assert.Equal(s_gateway, repr.Destination);
        Assert.Equal(13, repr.PayloadLength);
        Assert.Equal(20, ip.Buffer.Length);
    }

    [Fact]
    public void Ipv4TryCreate_AvailableShorterThanTotalLength_Truncated()
    {
        byte[] frame = Fixtures.UdpHelloFrame();

        // Total length is 33 (0x0021): 32 bytes in the frame are one too few.
        Assert.False(Ipv4Packet.TryCreate(frame.AsSpan(IpStart, 20), 32, out _, out WireError error));
        Assert.Equal(WireError.Truncated, error);
    }

    [Fact]
    public void Ipv4TryCreate_OptionsNotInTheHeaderBuffer_Truncated()
    {
        byte[] frame = Fixtures.UdpHelloFrame();
        frame[IpStart] = 0x46; // IHL 6: 24 header bytes, but only 20 are handed over

        Assert.False(Ipv4Packet.TryCreate(frame.AsSpan(IpStart, 20), frame.Length - IpStart, out _, out WireError error));
        Assert.Equal(WireError.Truncated, error);
    }

    [Theory]
    [InlineData(0x44, 0x00, 0x21)] // IHL 4
    [InlineData(0x45, 0x00, 0x10)] // total length 16 < 20
    public void Ipv4TryCreate_BadLengthFields_Malformed(byte versionIhl, byte totalHigh, byte totalLow)
    {
        byte[] frame = Fixtures.UdpHelloFrame();
        frame[IpStart] = versionIhl;
        frame[IpStart + 2] = totalHigh;
        frame[IpStart + 3] = totalLow;

        Assert.False(Ipv4Packet.TryCreate(frame.AsSpan(IpStart, 20), frame.Length - IpStart, out _, out WireError error));
        Assert.Equal(WireError.Malformed, error);
    }

    [Fact]
    public void UdpTryParse_PayloadSumInOddPieces_VerifiesLikeTheContiguousDatagram()
    {
        byte[] frame = Fixtures.UdpHelloFrame();
        ChecksumAccumulator payload = default;
        payload.Add(frame.AsSpan(UdpStart + 8, 1)); // "h"
        payload.Add(frame.AsSpan(UdpStart + 9, 3)); // "ell"
        payload.Add(frame.AsSpan(UdpStart + 12, 1)); // "o"

        Assert.True(UdpPacket.TryCreate(frame.AsSpan(UdpStart, 8), 13, out UdpPacket udp, out WireError error), error.ToString());
        Assert.True(UdpRepr.TryParse(udp, s_guest, s_gateway, payload, out UdpRepr repr, out error), error.ToString());
        Assert.Equal(new UdpRepr(12345, 7, 5), repr);
    }

    [Fact]
    public void UdpTryParse_OnePayloadByteFlipped_BadChecksum()
    {
        byte[] frame = Fixtures.UdpHelloFrame();
        frame[UdpStart + 10] ^= 0x01;
        ChecksumAccumulator payload = default;
        payload.Add(frame.AsSpan(UdpStart + 8, 5));

        Assert.True(UdpPacket.TryCreate(frame.AsSpan(UdpStart, 8), 13, out UdpPacket udp, out _));
        Assert.False(UdpRepr.TryParse(udp, s_guest, s_gateway, payload, out _, out WireError error));
        Assert.Equal(WireError.BadChecksum, error);
    }

    [Fact]
    public void UdpTryParse_ZeroChecksumField_AcceptedWithoutASum()
    {
        byte[] frame = Fixtures.UdpHelloFrame();
        frame[UdpStart + 6] = 0;
        frame[UdpStart + 7] = 0;

        Assert.True(UdpPacket.TryCreate(frame.AsSpan(UdpStart, 8), 13, out UdpPacket udp, out _));
        Assert.True(UdpRepr.TryParse(udp, s_guest, s_gateway, default, out UdpRepr repr, out WireError error), error.ToString());
        Assert.Equal(5, repr.PayloadLength);
    }

    [Fact]
    public void UdpTryParse_SumOfTheWrongLength_Throws()
    {
        byte[] frame = Fixtures.UdpHelloFrame();
        ChecksumAccumulator payload = default;
        payload.Add(frame.AsSpan(UdpStart + 8, 4));

        // A ref struct view cannot be captured by the lambda: it is made inside it.
        Assert.Throws<ArgumentException>(() => UdpRepr.TryParse(UdpPacket.CreateUnchecked(frame.AsSpan(UdpStart, 8)), s_guest, s_gateway, payload, out _, out _));
    }

    [Theory]
    [InlineData(12, WireError.Truncated)] // the length field says 13
    [InlineData(7, WireError.Truncated)]
    public void UdpTryCreate_AvailableShorterThanTheLengthField_Truncated(int available, WireError expected)
    {
        byte[] frame = Fixtures.UdpHelloFrame();

        Assert.False(UdpPacket.TryCreate(frame.AsSpan(UdpStart, 8), available, out _, out WireError error));
        Assert.Equal(expected, error);
    }

    [Fact]
    public void UdpTryCreate_LengthFieldBelowTheHeader_Malformed()
    {
        byte[] frame = Fixtures.UdpHelloFrame();
        frame[UdpStart + 4] = 0;
        frame[UdpStart + 5] = 7;

        Assert.False(UdpPacket.TryCreate(frame.AsSpan(UdpStart, 8), 13, out _, out WireError error));
        Assert.Equal(WireError.Malformed, error);
    }

    [Fact]
    public void UdpTryParse_DestinationPortZero_Malformed()
    {
        byte[] frame = Fixtures.UdpHelloFrame();
        frame[UdpStart + 2] = 0;
        frame[UdpStart + 3] = 0;
        ChecksumAccumulator payload = default;
        payload.Add(frame.AsSpan(UdpStart + 8, 5));

        Assert.True(UdpPacket.TryCreate(frame.AsSpan(UdpStart, 8), 13, out UdpPacket udp, out _));
        Assert.False(UdpRepr.TryParse(udp, s_guest, s_gateway, payload, out _, out WireError error));
        Assert.Equal(WireError.Malformed, error);
    }

    [Fact]
    public void IcmpTryParse_EchoHeaderAndDataSum_FieldsAndDataLength()
    {
        byte[] message = Fixtures.IcmpEchoRequest();
        ChecksumAccumulator data = default;
        data.Add(message.AsSpan(8, 3));
        data.Add(message.AsSpan(11, 5));

        Assert.True(IcmpV4Packet.TryCreate(message.AsSpan(0, 8), out IcmpV4Packet header, out _));
        Assert.True(IcmpV4Repr.TryParse(header, data, out IcmpV4Repr repr, out WireError error), error.ToString());
        Assert.Equal(IcmpV4Repr.EchoRequest(0x1234, 1, 8), repr);
    }

    [Fact]
    public void IcmpTryParse_DataByteFlipped_BadChecksum()
    {
        byte[] message = Fixtures.IcmpEchoRequest();
        message[12] ^= 0x40;
        ChecksumAccumulator data = default;
        data.Add(message.AsSpan(8));

        Assert.True(IcmpV4Packet.TryCreate(message.AsSpan(0, 8), out IcmpV4Packet header, out _));
        Assert.False(IcmpV4Repr.TryParse(header, data, out _, out WireError error));
        Assert.Equal(WireError.BadChecksum, error);
    }

    [Fact]
    public void IcmpTryParse_TimestampRequest_Unsupported()
    {
        // Type 13 (timestamp) with a checksum fixed up to verify: valid, but not an echo.
        byte[] message = Fixtures.IcmpEchoRequest();
        message[0] = 13;
        message[2] = 0;
        message[3] = 0;
        ushort checksum = InternetChecksum.Compute(message);
        message[2] = (byte)(checksum >> 8);
        message[3] = (byte)checksum;
        ChecksumAccumulator data = default;
        data.Add(message.AsSpan(8));

        Assert.True(IcmpV4Packet.TryCreate(message.AsSpan(0, 8), out IcmpV4Packet header, out _));
        Assert.False(IcmpV4Repr.TryParse(header, data, out _, out WireError error));
        Assert.Equal(WireError.Unsupported, error);
    }

    /// <summary>
    /// A TCP SYN with an MSS option (24-byte header, data offset 6), ports 40000 → 80, sequence 1, no payload.
    /// Checksum over the pseudo-header 10.0.2.15 → 10.0.2.2, protocol 6, length 24, and the header:
    /// 0a00+020f+0a00+0202+0006+0018 + 9c40+0050+0000+0001+0000+0000+6002+ffff+0000+0000+0204+05b4 = 0x21c79
    /// → fold 0x1c79 + 2 = 0x1c7b → ~ = 0xe384 (cross-checked with python3).
    /// </summary>
    private static byte[] TcpSynWithMss() => new byte[]
    {
        0x9c, 0x40, 0x00, 0x50,             // ports 40000 → 80
        0x00, 0x00, 0x00, 0x01,             // sequence 1
        0x00, 0x00, 0x00, 0x00,             // acknowledgement 0
        0x60, 0x02,                         // data offset 6, SYN
        0xff, 0xff,                         // window 65535
        0xe3, 0x84,                         // checksum
        0x00, 0x00,                         // urgent pointer
        0x02, 0x04, 0x05, 0xb4,             // MSS 1460
    };

    [Fact]
    public void TcpTryCreate_HeaderWithOptions_ChecksumVerifiesWithAnEmptyPayloadSum()
    {
        byte[] segment = TcpSynWithMss();

        Assert.True(TcpPacket.TryCreate(segment, 24, out TcpPacket tcp, out WireError error), error.ToString());
        Assert.Equal(24, tcp.Buffer.Length);
        Assert.True(TcpRepr.VerifyChecksum(tcp.Buffer, s_guest, s_gateway, default));
        Assert.True(TcpRepr.TryParse(tcp, out TcpRepr repr, out error), error.ToString());
        Assert.Equal((ushort)1460, repr.MaxSegmentSize);
    }

    [Fact]
    public void TcpTryCreate_DataOffsetPastTheSegment_Malformed()
    {
        byte[] segment = TcpSynWithMss();

        Assert.False(TcpPacket.TryCreate(segment, 22, out _, out WireError error));
        Assert.Equal(WireError.Malformed, error);
    }

    [Fact]
    public void TcpTryCreate_OptionsNotInTheHeaderBuffer_Truncated()
    {
        byte[] segment = TcpSynWithMss();

        Assert.False(TcpPacket.TryCreate(segment.AsSpan(0, 20), 24, out _, out WireError error));
        Assert.Equal(WireError.Truncated, error);
    }

    [Fact]
    public void TcpTryCreate_DataOffsetBelowFive_Malformed()
    {
        byte[] segment = TcpSynWithMss();
        segment[12] = 0x40;

        Assert.False(TcpPacket.TryCreate(segment, 24, out _, out WireError error));
        Assert.Equal(WireError.Malformed, error);
    }
}
