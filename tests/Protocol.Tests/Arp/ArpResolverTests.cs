using Edsos.Protocol.Arp;
using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Tests.Arp;

/// <summary>The transmit half of ARP: what is parked, what comes back to send or to fail, and what a stop hands back.</summary>
public sealed class ArpResolverTests
{
    private static readonly Ipv4Address s_gateway = Ipv4Address.Parse("10.0.2.2");
    private static readonly Ipv4Address s_peer = Ipv4Address.Parse("10.0.2.3");
    private static readonly MacAddress s_gatewayMac = MacAddress.Parse("52:55:0a:00:02:02");

    private readonly ManualTimeProvider _clock = new();
    private readonly List<int> _ready = new();
    private readonly List<int> _failed = new();
    private readonly List<Ipv4Address> _requests = new();

    [Fact]
    public void Resolve_MissThenLearn_ParkedPacketsReadyAndNoLongerResolving()
    {
        var resolver = new ArpResolver<int>(_clock);

        Assert.Equal(ArpResolveResult.ParkedRequestNeeded, resolver.Resolve(s_gateway, 1, out _, out _));
        Assert.Equal(ArpResolveResult.Parked, resolver.Resolve(s_gateway, 2, out _, out _));
        Assert.Equal(1, resolver.Resolving);

        resolver.Learn(s_gateway, s_gatewayMac, createIfMissing: false, _ready);

        Assert.Equal(new[] { 1, 2 }, _ready);
        Assert.Equal(0, resolver.Resolving);
        Assert.Equal(ArpResolveResult.Resolved, resolver.Resolve(s_gateway, 3, out MacAddress mac, out _));
        Assert.Equal(s_gatewayMac, mac);
    }

    [Fact]
    public void Learn_AnotherAddress_StillResolving()
    {
        var resolver = new ArpResolver<int>(_clock);
        resolver.Resolve(s_gateway, 1, out _, out _);

        resolver.Learn(s_peer, s_gatewayMac, createIfMissing: true, _ready);

        Assert.Empty(_ready);
        Assert.Equal(1, resolver.Resolving);
    }

    [Fact]
    public void Poll_RetriesThenGivesUp_PacketsFailedAndNoLongerResolving()
    {
        var options = new ArpCacheOptions { MaxRequests = 2, RetransmitInterval = TimeSpan.FromSeconds(1) };
        var resolver = new ArpResolver<int>(_clock, options);
        resolver.Resolve(s_gateway, 1, out _, out _);

        _clock.Advance(TimeSpan.FromSeconds(1));
        resolver.Poll(_requests, _failed);
        Assert.Equal(new[] { s_gateway }, _requests);
        Assert.Empty(_failed);

        _clock.Advance(TimeSpan.FromSeconds(1));
        resolver.Poll(_requests, _failed);

        Assert.Equal(new[] { 1 }, _failed);
        Assert.Equal(0, resolver.Resolving);
        Assert.Null(resolver.NextDeadline);
    }

    [Fact]
    public void RemoveParked_TwoNextHops_EveryParkedPacketHandedBack()
    {
        var resolver = new ArpResolver<int>(_clock);
        resolver.Resolve(s_gateway, 1, out _, out _);
        resolver.Resolve(s_gateway, 2, out _, out _);
        resolver.Resolve(s_peer, 3, out _, out _);

        resolver.RemoveParked(_failed);

        Assert.Equal(new[] { 1, 2, 3 }, _failed.Order());
        Assert.Equal(0, resolver.Resolving);
        Assert.Equal(ArpResolveResult.ParkedRequestNeeded, resolver.Resolve(s_gateway, 4, out _, out _));
    }

    [Fact]
    public void Resolve_QueueFull_OldestHandedBackToRelease()
    {
        var resolver = new ArpResolver<int>(_clock, new ArpCacheOptions { QueueLength = 2 });
        resolver.Resolve(s_gateway, 1, out _, out _);
        resolver.Resolve(s_gateway, 2, out _, out _);

        Assert.Equal(ArpResolveResult.ParkedOldestDropped, resolver.Resolve(s_gateway, 3, out _, out int released));
        Assert.Equal(1, released);
    }
}
