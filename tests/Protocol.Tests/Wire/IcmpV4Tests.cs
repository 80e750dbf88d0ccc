using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Tests.Wire;

public sealed class IcmpV4Tests
{
    [Fact]
    public void Parse_EchoRequestFixture_Fields()
    {
        byte[] message = Fixtures.IcmpEchoRequest();

        Assert.True(IcmpV4Packet.TryCreate(message, out IcmpV4Packet packet, out _));
        Assert.True(IcmpV4Repr.TryParse(packet, out IcmpV4Repr repr, out WireError error), error.ToString());
        Assert.Equal(IcmpV4Repr.EchoRequest(0x1234, 1, 8), repr);
    }

    [Fact]
    public void Emit_EchoRequest_ByteForByteFixture()
    {
        byte[] message = new byte[16];
        "abcdefgh"u8.CopyTo(message.AsSpan(8));

        IcmpV4Repr.EchoRequest(0x1234, 1, 8).Emit(IcmpV4Packet.CreateUnchecked(message));

        Assert.Equal(Fixtures.IcmpEchoRequest(), message);
    }

    [Fact]
    public void EchoReplyTo_Request_ChecksumVerifiesAndIdsKept()
    {
        byte[] message = Fixtures.IcmpEchoRequest();
        Assert.True(IcmpV4Packet.TryCreate(message, out IcmpV4Packet packet, out _));
        Assert.True(IcmpV4Repr.TryParse(packet, out IcmpV4Repr request, out _));

        // Reply in place, as a stack answering ping without copying the data does.
        IcmpV4Repr reply = IcmpV4Repr.EchoReplyTo(request);
        reply.Emit(packet);

        Assert.Equal(0, message[0]);
        Assert.True(packet.VerifyChecksum());
        Assert.True(IcmpV4Repr.TryParse(packet, out IcmpV4Repr parsed, out _));
        Assert.Equal(reply, parsed);
        Assert.Equal(0x1234, parsed.Identifier);
    }

    [Fact]
    public void EmitHeader_DataSumFromSegments_SameAsEmit()
    {
        var dataSum = default(ChecksumAccumulator);
        dataSum.Add("abc"u8);
        dataSum.Add("defgh"u8);
        byte[] header = new byte[8];

        IcmpV4Repr.EchoRequest(0x1234, 1, 8).EmitHeader(header, dataSum);

        Assert.Equal(Fixtures.IcmpEchoRequest().AsSpan(0, 8).ToArray(), header);
    }

    [Fact]
    public void DestinationUnreachable_PortUnreachableForUdpHello_QuotesHeaderPlus8()
    {
        // The guest's UDP datagram to port 7 hits a closed port: quote its 20-byte header + 8 bytes.
        byte[] original = Fixtures.UdpHelloFrame().AsSpan(14).ToArray();
        Assert.True(Ipv4Packet.TryCreate(original, out Ipv4Packet originalPacket, out _));
        Assert.True(Ipv4Repr.TryParse(originalPacket, out Ipv4Repr originalHeader, out _));
        int quoteLength = IcmpV4Repr.QuoteLength(originalPacket);
        Assert.Equal(28, quoteLength);

        IcmpV4Repr repr = IcmpV4Repr.DestinationUnreachable(IcmpV4UnreachableCode.PortUnreachable, originalHeader, quoteLength);
        byte[] message = new byte[repr.BufferLength];
        original.AsSpan(0, quoteLength).CopyTo(message.AsSpan(8));
        repr.Emit(IcmpV4Packet.CreateUnchecked(message));

        Assert.Equal(new byte[] { 3, 3 }, message.AsSpan(0, 2).ToArray());
        Assert.Equal(new byte[4], message.AsSpan(4, 4).ToArray()); // unused word zero (RFC 792)
        Assert.True(IcmpV4Packet.TryCreate(message, out IcmpV4Packet packet, out _));
        Assert.True(IcmpV4Repr.TryParse(packet, out IcmpV4Repr parsed, out WireError error), error.ToString());
        Assert.Equal(IcmpV4Type.DestinationUnreachable, parsed.Type);
        Assert.Equal((byte)IcmpV4UnreachableCode.PortUnreachable, parsed.Code);
        Assert.Equal(originalHeader.Source, parsed.OriginalHeader.Source);
        Assert.Equal(originalHeader.Destination, parsed.OriginalHeader.Destination);
        Assert.Equal(IpProtocol.Udp, parsed.OriginalHeader.Protocol);
        Assert.Equal(13, parsed.OriginalHeader.PayloadLength);
    }

    [Fact]
    public void TryParse_UnreachableWithShortQuote_Malformed()
    {
        byte[] message = new byte[8 + 19];
        message[0] = 3;
        message[1] = 3;
        message[8] = 0x45;
        IcmpV4Packet.CreateUnchecked(message).FillChecksum();
        Assert.True(IcmpV4Packet.TryCreate(message, out IcmpV4Packet packet, out _));

        Assert.False(IcmpV4Repr.TryParse(packet, out _, out WireError error));
        Assert.Equal(WireError.Malformed, error);
    }

    [Fact]
    public void TryParse_CorruptData_BadChecksum()
    {
        byte[] message = Fixtures.IcmpEchoRequest();
        message[15] ^= 0x20;
        Assert.True(IcmpV4Packet.TryCreate(message, out IcmpV4Packet packet, out _));

        Assert.False(IcmpV4Repr.TryParse(packet, out _, out WireError error));
        Assert.Equal(WireError.BadChecksum, error);
    }

    [Fact]
    public void TryParse_UnknownType_Unsupported()
    {
        byte[] message = Fixtures.IcmpEchoRequest();
        message[0] = 13; // timestamp request
        IcmpV4Packet.CreateUnchecked(message).FillChecksum();
        Assert.True(IcmpV4Packet.TryCreate(message, out IcmpV4Packet packet, out _));

        Assert.False(IcmpV4Repr.TryParse(packet, out _, out WireError error));
        Assert.Equal(WireError.Unsupported, error);
    }

    [Fact]
    public void TryCreate_ShorterThanHeader_Truncated()
    {
        Assert.False(IcmpV4Packet.TryCreate(new byte[7], out _, out WireError error));
        Assert.Equal(WireError.Truncated, error);
    }
}
