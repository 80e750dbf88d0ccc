using Edsos.Protocol.Ipv4;
using Edsos.Protocol.Routing;
using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Tests.Ipv4;

public sealed class Ipv4OutputRouterTests
{
    private static readonly Ipv4Address s_gateway = Ipv4Address.Parse("10.0.0.254");

    private static Ipv4OutputRouter Router(bool tso = false, bool defaultRoute = true)
    {
        var routes = new RoutingTable();
        routes.Add(new Route(Ipv4Cidr.Parse("10.0.0.0/24"), null, 0));
        if (defaultRoute)
        {
            routes.AddDefault(s_gateway, 0);
        }

        var options = new InetStackOptions { Mac = MacAddress.Parse("02:00:00:00:00:01"), Address = Ipv4Cidr.Parse("10.0.0.1/24"), Tso = tso };
        return new Ipv4OutputRouter(options, routes);
    }

    private static OutputDecision Decide(Ipv4OutputRouter router, string destination, IpProtocol protocol = IpProtocol.Udp, int payload = 100, bool hasPayload = true, int gso = 0, int transport = 8) =>
        router.Decide(Ipv4Address.Parse(destination), protocol, transport, payload, hasPayload, gso);

    [Fact]
    public void Decide_OnLink_ResolvesTheDestination()
    {
        Assert.Equal(new OutputDecision(OutputAction.Resolve, Errno.None, Ipv4Address.Parse("10.0.0.2")), Decide(Router(), "10.0.0.2"));
    }

    [Fact]
    public void Decide_OffLink_ResolvesTheGateway()
    {
        Assert.Equal(new OutputDecision(OutputAction.Resolve, Errno.None, s_gateway), Decide(Router(), "192.0.2.1"));
    }

    [Fact]
    public void Decide_NoRoute_Enetunreach()
    {
        Assert.Equal(OutputDecision.Fail(Errno.ENETUNREACH), Decide(Router(defaultRoute: false), "192.0.2.1"));
    }

    [Theory]
    [InlineData("10.0.0.1")]
    [InlineData("127.0.0.1")]
    public void Decide_OurAddress_Loopback(string destination)
    {
        Assert.Equal(OutputAction.Loopback, Decide(Router(), destination).Action);
    }

    [Theory]
    [InlineData("255.255.255.255")]
    [InlineData("10.0.0.255")]
    public void Decide_Broadcast_BroadcastMac(string destination)
    {
        Assert.Equal(OutputAction.Broadcast, Decide(Router(), destination).Action);
    }

    [Theory]
    [InlineData(65508, 8, true)] // 65516 bytes of IPv4 payload: one too many
    [InlineData(-1, 8, true)] // TCP's release of a slice rides this path until it gets its own message
    [InlineData(0, 8, true)] // a payload node with no length
    [InlineData(10, 8, false)] // a length with no payload node
    [InlineData(10, -1, true)]
    public void Decide_LengthsThatDoNotAddUp_Emsgsize(int payload, int transport, bool hasPayload)
    {
        Assert.Equal(OutputDecision.Fail(Errno.EMSGSIZE), Decide(Router(), "10.0.0.2", payload: payload, hasPayload: hasPayload, transport: transport));
    }

    [Fact]
    public void Decide_LargestDatagram_Accepted()
    {
        Assert.Equal(OutputAction.Resolve, Decide(Router(), "10.0.0.2", payload: 65507).Action);
    }

    [Fact]
    public void Decide_TcpSuperSegmentWithTso_Resolved()
    {
        Assert.Equal(OutputAction.Resolve, Decide(Router(tso: true), "10.0.0.2", IpProtocol.Tcp, payload: 20000, gso: 1460, transport: 20).Action);
    }

    [Theory]
    [InlineData(false, IpProtocol.Tcp, "10.0.0.2", 1460)] // no TSO
    [InlineData(true, IpProtocol.Udp, "10.0.0.2", 1460)] // not TCP
    [InlineData(true, IpProtocol.Tcp, "127.0.0.1", 1460)] // loopback has no NIC to cut it
    [InlineData(true, IpProtocol.Tcp, "10.0.0.255", 1460)] // broadcast
    [InlineData(true, IpProtocol.Tcp, "10.0.0.2", -5)] // negative segment size
    public void Decide_SuperSegmentNobodyCuts_Eopnotsupp(bool tso, IpProtocol protocol, string destination, int gso)
    {
        Assert.Equal(OutputDecision.Fail(Errno.EOPNOTSUPP), Decide(Router(tso), destination, protocol, payload: 20000, gso: gso, transport: 20));
    }
}
