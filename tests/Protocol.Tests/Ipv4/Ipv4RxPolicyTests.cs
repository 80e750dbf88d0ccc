using Edsos.Protocol.Ipv4;
using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Tests.Ipv4;

public sealed class Ipv4RxPolicyTests
{
    private static readonly Ipv4Address s_ours = Ipv4Address.Parse("10.0.0.1");
    private static readonly Ipv4Address s_peer = Ipv4Address.Parse("10.0.0.2");
    private static readonly Ipv4Address s_subnetBroadcast = Ipv4Address.Parse("10.0.0.255");

    private readonly Ipv4RxPolicy _policy = new(new InetStackOptions
    {
        Mac = MacAddress.Parse("02:00:00:00:00:01"),
        Address = Ipv4Cidr.Parse("10.0.0.1/24"),
    });

    [Theory]
    [InlineData("10.0.0.1", true)]
    [InlineData("127.0.0.1", true)]
    [InlineData("255.255.255.255", true)]
    [InlineData("10.0.0.255", true)]
    [InlineData("10.0.0.2", false)]
    [InlineData("10.0.1.255", false)]
    public void IsForUs_Destination(string destination, bool expected)
    {
        Assert.Equal(expected, _policy.IsForUs(Ipv4Address.Parse(destination)));
    }

    [Fact]
    public void CanSendError_UnicastFromAHost_True()
    {
        Assert.True(_policy.CanSendError(new Ipv4Repr(s_peer, s_ours, IpProtocol.Udp, 8)));
    }

    [Fact]
    public void CanSendError_SubnetBroadcastDestination_False()
    {
        Assert.False(_policy.CanSendError(new Ipv4Repr(s_peer, s_subnetBroadcast, IpProtocol.Udp, 8)));
    }

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("224.0.0.1")]
    public void CanSendError_SourceNamesNoSingleHost_False(string source)
    {
        Assert.False(_policy.CanSendError(new Ipv4Repr(Ipv4Address.Parse(source), s_ours, IpProtocol.Udp, 8)));
    }

    [Fact]
    public void AcceptsTcp_UnicastBothWays_True()
    {
        Assert.True(_policy.AcceptsTcp(new Ipv4Repr(s_peer, s_ours, IpProtocol.Tcp, 20)));
    }

    [Fact]
    public void AcceptsTcp_ToBroadcastOrFromMulticast_False()
    {
        Assert.False(_policy.AcceptsTcp(new Ipv4Repr(s_peer, Ipv4Address.Broadcast, IpProtocol.Tcp, 20)));
        Assert.False(_policy.AcceptsTcp(new Ipv4Repr(Ipv4Address.Parse("224.0.0.9"), s_ours, IpProtocol.Tcp, 20)));
    }

    [Fact]
    public void AcceptsTcp_FromUnspecifiedSource_AcceptedAsLinuxDoes()
    {
        // Only broadcast and multicast sources are refused for TCP (RFC 1122 4.2.3.10); the error rule is stricter.
        var ip = new Ipv4Repr(Ipv4Address.Any, s_ours, IpProtocol.Tcp, 20);

        Assert.True(_policy.AcceptsTcp(ip));
        Assert.False(_policy.CanSendError(ip));
    }
}
