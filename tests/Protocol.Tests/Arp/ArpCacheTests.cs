using Edsos.Protocol.Arp;
using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Tests.Arp;

public sealed class ArpCacheTests
{
    private static readonly Ipv4Address s_gateway = Ipv4Address.Parse("10.0.2.2");
    private static readonly MacAddress s_gatewayMac = MacAddress.Parse("52:55:0a:00:02:02");

    private readonly ManualTimeProvider _clock = new();

    [Fact]
    public void Resolve_UnknownThenReply_ParksThenReleasesInOrder()
    {
        var cache = new ArpCache<int>(_clock);

        Assert.Equal(ArpResolveResult.ParkedRequestNeeded, cache.Resolve(s_gateway, 1, out _, out _));
        Assert.Equal(ArpResolveResult.Parked, cache.Resolve(s_gateway, 2, out _, out _));
        Assert.Equal(ArpEntryState.Incomplete, cache.GetState(s_gateway));
        Assert.False(cache.TryGet(s_gateway, out _));

        var ready = new List<int>();
        Assert.True(cache.Update(s_gateway, s_gatewayMac, createIfMissing: false, ready));

        Assert.Equal(new[] { 1, 2 }, ready);
        Assert.Equal(ArpResolveResult.Resolved, cache.Resolve(s_gateway, 3, out MacAddress mac, out _));
        Assert.Equal(s_gatewayMac, mac);
        Assert.Equal(ArpEntryState.Reachable, cache.GetState(s_gateway));
    }

    [Fact]
    public void Resolve_QueueFull_OldestDroppedAndReturned()
    {
        var cache = new ArpCache<int>(_clock, new ArpCacheOptions { QueueLength = 3 });
        cache.Resolve(s_gateway, 1, out _, out _);
        cache.Resolve(s_gateway, 2, out _, out _);
        cache.Resolve(s_gateway, 3, out _, out _);

        Assert.Equal(ArpResolveResult.ParkedOldestDropped, cache.Resolve(s_gateway, 4, out _, out int dropped));
        Assert.Equal(1, dropped);

        var ready = new List<int>();
        cache.Update(s_gateway, s_gatewayMac, false, ready);
        Assert.Equal(new[] { 2, 3, 4 }, ready);
    }

    [Fact]
    public void Poll_NoReply_RetriesThenFailsParkedPackets()
    {
        var cache = new ArpCache<int>(_clock, new ArpCacheOptions { MaxRequests = 3, RetransmitInterval = TimeSpan.FromSeconds(1) });
        Assert.Equal(ArpResolveResult.ParkedRequestNeeded, cache.Resolve(s_gateway, 7, out _, out _)); // request 1
        cache.Resolve(s_gateway, 8, out _, out _);
        var requests = new List<Ipv4Address>();
        var failed = new List<int>();

        cache.Poll(requests, failed); // too early: nothing
        Assert.Empty(requests);

        _clock.Advance(TimeSpan.FromSeconds(1));
        cache.Poll(requests, failed); // request 2
        _clock.Advance(TimeSpan.FromSeconds(1));
        cache.Poll(requests, failed); // request 3
        Assert.Equal(new[] { s_gateway, s_gateway }, requests);
        Assert.Empty(failed);

        _clock.Advance(TimeSpan.FromSeconds(1));
        cache.Poll(requests, failed); // give up: EHOSTUNREACH for the parked packets

        Assert.Equal(2, requests.Count);
        Assert.Equal(new[] { 7, 8 }, failed);
        Assert.Equal(ArpEntryState.None, cache.GetState(s_gateway));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void Resolve_AfterReachableTime_StaleRefreshOncePerInterval()
    {
        var cache = new ArpCache<int>(_clock);
        cache.Update(s_gateway, s_gatewayMac, createIfMissing: true, new List<int>());

        _clock.Advance(TimeSpan.FromSeconds(30));

        Assert.Equal(ArpEntryState.Stale, cache.GetState(s_gateway));
        Assert.Equal(ArpResolveResult.ResolvedRefreshNeeded, cache.Resolve(s_gateway, 1, out MacAddress mac, out _));
        Assert.Equal(s_gatewayMac, mac);
        Assert.Equal(ArpResolveResult.Resolved, cache.Resolve(s_gateway, 2, out _, out _));
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(ArpResolveResult.ResolvedRefreshNeeded, cache.Resolve(s_gateway, 3, out _, out _));
    }

    [Fact]
    public void Poll_StaleTooLong_EntryRemoved()
    {
        var cache = new ArpCache<int>(_clock, new ArpCacheOptions { ReachableTime = TimeSpan.FromSeconds(30), StaleTime = TimeSpan.FromSeconds(60) });
        cache.Update(s_gateway, s_gatewayMac, true, new List<int>());

        _clock.Advance(TimeSpan.FromSeconds(89));
        cache.Poll(new List<Ipv4Address>(), new List<int>());
        Assert.Equal(1, cache.Count);

        _clock.Advance(TimeSpan.FromSeconds(1));
        cache.Poll(new List<Ipv4Address>(), new List<int>());
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void Update_UnknownWithoutCreate_Ignored()
    {
        var cache = new ArpCache<int>(_clock);

        Assert.False(cache.Update(s_gateway, s_gatewayMac, createIfMissing: false, new List<int>()));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void Update_PermanentEntry_NotOverwritten()
    {
        var cache = new ArpCache<int>(_clock);
        cache.AddPermanent(s_gateway, s_gatewayMac, new List<int>());

        cache.Update(s_gateway, MacAddress.Parse("de:ad:be:ef:00:01"), true, new List<int>());
        _clock.Advance(TimeSpan.FromDays(1));

        Assert.True(cache.TryGet(s_gateway, out MacAddress mac));
        Assert.Equal(s_gatewayMac, mac);
        Assert.Null(cache.NextDeadline);
    }

    [Fact]
    public void Resolve_CacheFullOfIncomplete_Rejected()
    {
        var cache = new ArpCache<int>(_clock, new ArpCacheOptions { Capacity = 2 });
        cache.Resolve(Ipv4Address.Parse("10.0.0.1"), 1, out _, out _);
        cache.Resolve(Ipv4Address.Parse("10.0.0.2"), 2, out _, out _);

        Assert.Equal(ArpResolveResult.Rejected, cache.Resolve(Ipv4Address.Parse("10.0.0.3"), 3, out _, out int released));
        Assert.Equal(3, released);
    }

    [Fact]
    public void Resolve_CacheFullWithResolvedEntry_EvictsIt()
    {
        var cache = new ArpCache<int>(_clock, new ArpCacheOptions { Capacity = 2 });
        cache.Update(Ipv4Address.Parse("10.0.0.1"), s_gatewayMac, true, new List<int>());
        cache.Resolve(Ipv4Address.Parse("10.0.0.2"), 2, out _, out _);

        Assert.Equal(ArpResolveResult.ParkedRequestNeeded, cache.Resolve(Ipv4Address.Parse("10.0.0.3"), 3, out _, out _));
        Assert.Equal(ArpEntryState.None, cache.GetState(Ipv4Address.Parse("10.0.0.1")));
    }

    [Fact]
    public void NextDeadline_Incomplete_IsRetransmitTime()
    {
        var cache = new ArpCache<int>(_clock);
        DateTimeOffset start = _clock.GetUtcNow();

        cache.Resolve(s_gateway, 1, out _, out _);

        Assert.Equal(start + TimeSpan.FromSeconds(1), cache.NextDeadline);
    }

    [Fact]
    public void Remove_Incomplete_ParkedPacketsFailed()
    {
        var cache = new ArpCache<int>(_clock);
        cache.Resolve(s_gateway, 1, out _, out _);
        var failed = new List<int>();

        Assert.True(cache.Remove(s_gateway, failed));
        Assert.Equal(new[] { 1 }, failed);
    }

    [Fact]
    public void EveryPacket_RandomWorkload_ReturnedExactlyOnce()
    {
        // Ownership property: each handle comes back once, as ready, dropped, rejected or failed.
        var random = new Random(5);
        var cache = new ArpCache<int>(_clock, new ArpCacheOptions { Capacity = 4, QueueLength = 2 });
        var seen = new HashSet<int>();
        var ready = new List<int>();
        var failed = new List<int>();
        var requests = new List<Ipv4Address>();
        int sentDirectly = 0;
        void Collect(int packet) => Assert.True(seen.Add(packet), $"packet {packet} returned twice");

        for (int packet = 0; packet < 5000; packet++)
        {
            var address = new Ipv4Address(0x0A000000u + (uint)random.Next(8));
            switch (cache.Resolve(address, packet, out _, out int released))
            {
                case ArpResolveResult.Resolved:
                case ArpResolveResult.ResolvedRefreshNeeded:
                    Collect(packet);
                    sentDirectly++;
                    break;
                case ArpResolveResult.ParkedOldestDropped:
                case ArpResolveResult.Rejected:
                    Collect(released);
                    break;
            }

            if (random.Next(10) == 0)
            {
                cache.Update(new Ipv4Address(0x0A000000u + (uint)random.Next(8)), s_gatewayMac, random.Next(2) == 0, ready);
            }

            _clock.Advance(TimeSpan.FromMilliseconds(random.Next(0, 400)));
            cache.Poll(requests, failed);
            foreach (int p in ready)
            {
                Collect(p);
            }

            foreach (int p in failed)
            {
                Collect(p);
            }

            ready.Clear();
            failed.Clear();
        }

        for (uint host = 0; host < 8; host++)
        {
            cache.Remove(new Ipv4Address(0x0A000000u + host), failed);
        }

        foreach (int p in failed)
        {
            Collect(p);
        }

        Assert.Equal(5000, seen.Count);
        Assert.InRange(sentDirectly, 1, 4999);
    }
}
