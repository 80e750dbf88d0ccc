using Edsos.Protocol.Routing;
using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Tests.Routing;

public sealed class RoutingTableTests
{
    private static Route On(string cidr, int interfaceIndex, int metric = 0) => new(Ipv4Cidr.Parse(cidr), null, interfaceIndex, metric);

    private static Route Via(string cidr, string gateway, int interfaceIndex, int metric = 0) =>
        new(Ipv4Cidr.Parse(cidr), Ipv4Address.Parse(gateway), interfaceIndex, metric);

    [Fact]
    public void TryLookup_NestedPrefixes_LongestPrefixWins()
    {
        var table = new RoutingTable();
        table.AddDefault(Ipv4Address.Parse("10.0.2.2"), 0);
        table.Add(On("10.0.0.0/8", 1));
        table.Add(On("10.0.2.0/24", 2));
        table.Add(On("10.0.2.128/25", 3));

        Assert.True(table.TryLookup(Ipv4Address.Parse("10.0.2.200"), out Route route));
        Assert.Equal(3, route.InterfaceIndex);
        Assert.True(table.TryLookup(Ipv4Address.Parse("10.0.2.5"), out route));
        Assert.Equal(2, route.InterfaceIndex);
        Assert.True(table.TryLookup(Ipv4Address.Parse("10.9.9.9"), out route));
        Assert.Equal(1, route.InterfaceIndex);
        Assert.True(table.TryLookup(Ipv4Address.Parse("8.8.8.8"), out route));
        Assert.Equal(0, route.InterfaceIndex);
    }

    [Fact]
    public void TryLookup_InsertionOrderShuffled_SameAnswer()
    {
        // The sort must not depend on the order routes arrive in.
        var table = new RoutingTable();
        table.Add(On("10.0.2.128/25", 3));
        table.AddDefault(Ipv4Address.Parse("10.0.2.2"), 0);
        table.Add(On("10.0.2.0/24", 2));

        Assert.True(table.TryLookup(Ipv4Address.Parse("10.0.2.129"), out Route route));
        Assert.Equal(3, route.InterfaceIndex);
    }

    [Fact]
    public void TryLookup_NoDefaultRoute_ReturnsFalse()
    {
        var table = new RoutingTable();
        table.Add(On("10.0.2.0/24", 1));

        Assert.False(table.TryLookup(Ipv4Address.Parse("192.168.1.1"), out Route route));
        Assert.Equal(default, route);
    }

    [Fact]
    public void TryLookup_EqualPrefix_LowerMetricWins()
    {
        var table = new RoutingTable();
        table.Add(Via("0.0.0.0/0", "10.0.2.2", 1, metric: 100));
        table.Add(Via("0.0.0.0/0", "10.0.3.2", 2, metric: 10));

        Assert.True(table.TryLookup(Ipv4Address.Parse("1.1.1.1"), out Route route));
        Assert.Equal(Ipv4Address.Parse("10.0.3.2"), route.Gateway);
    }

    [Fact]
    public void NextHop_OnLinkAndViaGateway_ResolvesRightAddress()
    {
        var table = new RoutingTable();
        table.AddDefault(Ipv4Address.Parse("10.0.2.2"), 0);
        table.Add(On("10.0.2.0/24", 0));

        Assert.True(table.TryLookup(Ipv4Address.Parse("10.0.2.3"), out Route onLink));
        Assert.Equal(Ipv4Address.Parse("10.0.2.3"), onLink.NextHop(Ipv4Address.Parse("10.0.2.3")));
        Assert.True(table.TryLookup(Ipv4Address.Parse("93.184.216.34"), out Route viaGateway));
        Assert.Equal(Ipv4Address.Parse("10.0.2.2"), viaGateway.NextHop(Ipv4Address.Parse("93.184.216.34")));
    }

    [Fact]
    public void Add_HostBitsSetAndDuplicate_NormalisedAndRejected()
    {
        var table = new RoutingTable();

        Assert.True(table.Add(On("10.0.2.15/24", 1)));
        Assert.False(table.Add(On("10.0.2.0/24", 1)));
        Assert.Equal(Ipv4Cidr.Parse("10.0.2.0/24"), table.Routes[0].Destination);
    }

    [Fact]
    public void Remove_AndRemoveInterface_RoutesGone()
    {
        var table = new RoutingTable();
        table.Add(On("10.0.2.0/24", 1));
        table.Add(On("10.0.3.0/24", 2));
        table.Add(Via("0.0.0.0/0", "10.0.3.1", 2));

        Assert.True(table.Remove(On("10.0.2.0/24", 1)));
        Assert.False(table.Remove(On("10.0.2.0/24", 1)));
        Assert.Equal(2, table.RemoveInterface(2));
        Assert.Equal(0, table.Count);
        Assert.False(table.TryLookup(Ipv4Address.Parse("10.0.3.5"), out _));
    }

    [Fact]
    public void TryLookup_HostRoute_BeatsSubnet()
    {
        var table = new RoutingTable();
        table.Add(On("10.0.2.0/24", 1));
        table.Add(Via("10.0.2.77/32", "10.0.2.1", 4));

        Assert.True(table.TryLookup(Ipv4Address.Parse("10.0.2.77"), out Route route));
        Assert.Equal(4, route.InterfaceIndex);
        Assert.True(table.TryLookup(Ipv4Address.Parse("10.0.2.78"), out route));
        Assert.Equal(1, route.InterfaceIndex);
    }
}
