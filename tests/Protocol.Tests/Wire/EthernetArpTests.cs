using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Tests.Wire;

public sealed class EthernetArpTests
{
    [Fact]
    public void Parse_QemuArpRequest_AllFields()
    {
        byte[] frame = Fixtures.QemuArpRequest();

        Assert.True(EthernetFrame.TryCreate(frame, out EthernetFrame ethernet, out WireError error));
        Assert.Equal(WireError.None, error);
        EthernetRepr ethernetRepr = EthernetRepr.Parse(ethernet);
        Assert.Equal(new EthernetRepr(MacAddress.Broadcast, MacAddress.Parse("52:54:00:12:34:56"), EtherType.Arp), ethernetRepr);

        Assert.True(ArpPacket.TryCreate(ethernet.Payload, out ArpPacket arp, out error));
        Assert.True(ArpRepr.TryParse(arp, out ArpRepr repr, out error));
        Assert.Equal(
            ArpRepr.Request(MacAddress.Parse("52:54:00:12:34:56"), Ipv4Address.Parse("10.0.2.15"), Ipv4Address.Parse("10.0.2.2")),
            repr);
    }

    [Fact]
    public void Emit_ArpRequestRepr_ByteForByteFixture()
    {
        byte[] frame = new byte[42];
        var ethernet = EthernetFrame.CreateUnchecked(frame);
        new EthernetRepr(MacAddress.Broadcast, MacAddress.Parse("52:54:00:12:34:56"), EtherType.Arp).Emit(ethernet);
        ArpRepr.Request(MacAddress.Parse("52:54:00:12:34:56"), Ipv4Address.Parse("10.0.2.15"), Ipv4Address.Parse("10.0.2.2"))
            .Emit(ArpPacket.CreateUnchecked(ethernet.Payload));

        Assert.Equal(Fixtures.QemuArpRequest(), frame);
    }

    [Fact]
    public void ReplyTo_Request_SwapsAndFillsOurAddress()
    {
        var request = ArpRepr.Request(MacAddress.Parse("52:54:00:12:34:56"), Ipv4Address.Parse("10.0.2.15"), Ipv4Address.Parse("10.0.2.2"));
        MacAddress ours = MacAddress.Parse("52:55:0a:00:02:02");

        ArpRepr reply = ArpRepr.ReplyTo(request, ours);

        Assert.Equal(ArpOperation.Reply, reply.Operation);
        Assert.Equal(ours, reply.SenderHardwareAddress);
        Assert.Equal(Ipv4Address.Parse("10.0.2.2"), reply.SenderProtocolAddress);
        Assert.Equal(MacAddress.Parse("52:54:00:12:34:56"), reply.TargetHardwareAddress);
        Assert.Equal(Ipv4Address.Parse("10.0.2.15"), reply.TargetProtocolAddress);
    }

    [Fact]
    public void EthernetTryCreate_ShorterThanHeader_Truncated()
    {
        Assert.False(EthernetFrame.TryCreate(new byte[13], out _, out WireError error));
        Assert.Equal(WireError.Truncated, error);
    }

    [Theory]
    [InlineData(7)]
    [InlineData(27)]
    public void ArpTryCreate_Truncated_Rejected(int length)
    {
        byte[] arp = Fixtures.QemuArpRequest().AsSpan(14, length).ToArray();

        Assert.False(ArpPacket.TryCreate(arp, out _, out WireError error));
        Assert.Equal(WireError.Truncated, error);
    }

    [Theory]
    [InlineData(4, 8)] // ar$hln = 8
    [InlineData(5, 16)] // ar$pln = 16 (IPv6-sized)
    public void ArpTryCreate_OtherAddressLengths_Unsupported(int offset, byte value)
    {
        byte[] arp = new byte[64];
        Fixtures.QemuArpRequest().AsSpan(14).CopyTo(arp);
        arp[offset] = value;

        Assert.False(ArpPacket.TryCreate(arp, out _, out WireError error));
        Assert.Equal(WireError.Unsupported, error);
    }

    [Theory]
    [InlineData(1, 6)]  // ar$hrd = 6 (IEEE 802)
    [InlineData(2, 0x86)] // ar$pro = 0x86dd
    [InlineData(7, 3)]  // ar$op = 3 (RARP request)
    public void ArpTryParse_OtherTypesOrOpcode_Unsupported(int offset, byte value)
    {
        byte[] arp = Fixtures.QemuArpRequest().AsSpan(14).ToArray();
        arp[offset] = value;
        Assert.True(ArpPacket.TryCreate(arp, out ArpPacket packet, out _));

        Assert.False(ArpRepr.TryParse(packet, out ArpRepr repr, out WireError error));
        Assert.Equal(WireError.Unsupported, error);
        Assert.Equal(default, repr);
    }

    [Fact]
    public void ArpTryCreate_EthernetPadding_Accepted()
    {
        // A received ARP is padded to the 60-byte Ethernet minimum: 18 bytes of zeros after the packet.
        byte[] frame = new byte[EthernetFrame.MinimumFrameLength];
        Fixtures.QemuArpRequest().CopyTo(frame, 0);
        Assert.True(EthernetFrame.TryCreate(frame, out EthernetFrame ethernet, out _));

        Assert.True(ArpPacket.TryCreate(ethernet.Payload, out ArpPacket arp, out _));
        Assert.True(ArpRepr.TryParse(arp, out ArpRepr repr, out _));
        Assert.Equal(Ipv4Address.Parse("10.0.2.2"), repr.TargetProtocolAddress);
    }
}
