namespace Edsos.Protocol.Arp;

/// <summary>Timers and limits of an <see cref="ArpCache{TPacket}"/>. Defaults follow Linux's neighbour
/// table defaults for ARP (net.ipv4.neigh.default.*).</summary>
public sealed record ArpCacheOptions
{
    /// <summary>How long a confirmed entry stays Reachable (base_reachable_time, 30 s).</summary>
    public TimeSpan ReachableTime { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a Stale entry is still used before it is dropped (gc_staletime, 60 s).</summary>
    public TimeSpan StaleTime { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Time between ARP requests for an unresolved address (retrans_time, 1 s).</summary>
    public TimeSpan RetransmitInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Requests sent before giving up on an address (mcast_solicit, 3).</summary>
    public int MaxRequests { get; init; } = 3;

    /// <summary>Packets parked per unresolved address; older ones are dropped first (unres_qlen was 3
    /// for years; small because these packets pin buffers while nobody answers).</summary>
    public int QueueLength { get; init; } = 3;

    /// <summary>Most entries held at once (gc_thresh3, 1024).</summary>
    public int Capacity { get; init; } = 1024;
}
