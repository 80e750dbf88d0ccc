using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Tests.Wire;

public sealed class AddressTests
{
    [Fact]
    public void MacParse_ColonText_RoundTripsThroughBytesAndText()
    {
        MacAddress mac = MacAddress.Parse("02:00:5E:10:00:01");
        byte[] bytes = new byte[6];
        mac.WriteTo(bytes);

        Assert.Equal(new byte[] { 0x02, 0x00, 0x5E, 0x10, 0x00, 0x01 }, bytes);
        Assert.Equal("02:00:5e:10:00:01", mac.ToString());
        Assert.Equal(mac, new MacAddress(bytes));
    }

    [Theory]
    [InlineData("")]
    [InlineData("02:00:00:00:00")]
    [InlineData("02:00:00:00:00:0g")]
    [InlineData("02:00:00:00:00:001")]
    [InlineData("02.00.00.00.00.01")]
    public void MacTryParse_Malformed_ReturnsFalse(string text)
    {
        Assert.False(MacAddress.TryParse(text, out _));
    }

    [Fact]
    public void MacFlags_BroadcastMulticastUnicast_Classified()
    {
        Assert.True(MacAddress.Broadcast.IsBroadcast);
        Assert.True(MacAddress.Broadcast.IsMulticast);
        Assert.True(MacAddress.Parse("01:00:5e:00:00:01").IsMulticast);
        Assert.False(MacAddress.Parse("01:00:5e:00:00:01").IsBroadcast);
        Assert.True(MacAddress.Parse("52:54:00:12:34:56").IsUnicast);
    }

    [Fact]
    public void Ipv4Parse_DottedQuad_HostOrderValueAndNetworkOrderBytes()
    {
        Ipv4Address address = Ipv4Address.Parse("10.0.2.15");
        byte[] bytes = new byte[4];
        address.WriteTo(bytes);

        Assert.Equal(0x0A00020Fu, address.Value);
        Assert.Equal(new byte[] { 10, 0, 2, 15 }, bytes);
        Assert.Equal(address, Ipv4Address.Read(bytes));
        Assert.Equal("10.0.2.15", address.ToString());
    }

    [Theory]
    [InlineData("10.0.0")]
    [InlineData("10.0.0.1.2")]
    [InlineData("10.0.0.256")]
    [InlineData("10..0.1")]
    [InlineData("10.0.0.-1")]
    [InlineData("10.0.0.1 ")]
    [InlineData("1000.0.0.1")]
    public void Ipv4TryParse_Malformed_ReturnsFalse(string text)
    {
        Assert.False(Ipv4Address.TryParse(text, out _));
    }

    [Fact]
    public void Ipv4InSubnet_PrefixBoundaries_Respected()
    {
        Ipv4Address network = Ipv4Address.Parse("10.0.2.0");

        Assert.True(Ipv4Address.Parse("10.0.2.255").InSubnet(network, 24));
        Assert.False(Ipv4Address.Parse("10.0.3.0").InSubnet(network, 24));
        Assert.True(Ipv4Address.Parse("10.0.3.0").InSubnet(network, 23));
        Assert.True(Ipv4Address.Parse("192.168.1.1").InSubnet(network, 0));
        Assert.False(Ipv4Address.Parse("10.0.2.1").InSubnet(network, 32));
    }

    [Fact]
    public void Ipv4Flags_BroadcastAndSubnetBroadcast_Classified()
    {
        Assert.True(Ipv4Address.Broadcast.IsBroadcast);
        Assert.False(Ipv4Address.Parse("10.0.2.255").IsBroadcast);
        Assert.True(Ipv4Address.Parse("10.0.2.255").IsSubnetBroadcast(Ipv4Address.Parse("10.0.2.0"), 24));
        Assert.False(Ipv4Address.Parse("10.0.2.255").IsSubnetBroadcast(Ipv4Address.Parse("10.0.2.0"), 23));
        Assert.True(Ipv4Address.Parse("224.0.0.1").IsMulticast);
    }

    [Fact]
    public void CidrParse_Text_NetworkMaskBroadcastContains()
    {
        Ipv4Cidr cidr = Ipv4Cidr.Parse("10.0.2.15/24");

        Assert.Equal(Ipv4Address.Parse("10.0.2.0"), cidr.Network);
        Assert.Equal(Ipv4Address.Parse("255.255.255.0"), cidr.Netmask);
        Assert.Equal(Ipv4Address.Parse("10.0.2.255"), cidr.BroadcastAddress);
        Assert.True(cidr.Contains(Ipv4Address.Parse("10.0.2.2")));
        Assert.False(cidr.Contains(Ipv4Address.Parse("10.0.1.2")));
        Assert.Equal("10.0.2.15/24", cidr.ToString());
    }

    [Theory]
    [InlineData("10.0.0.0")]
    [InlineData("10.0.0.0/33")]
    [InlineData("10.0.0.0/")]
    [InlineData("10.0.0/8")]
    [InlineData("10.0.0.0/-1")]
    public void CidrTryParse_Malformed_ReturnsFalse(string text)
    {
        Assert.False(Ipv4Cidr.TryParse(text, out _));
    }
}
