namespace Edsos.Protocol.Arp;

/// <summary>State of an ARP cache entry, a subset of Linux's NUD states.</summary>
public enum ArpEntryState
{
    /// <summary>No entry.</summary>
    None = 0,

    /// <summary>Requests sent, no answer yet; packets are parked.</summary>
    Incomplete,

    /// <summary>Confirmed within <see cref="ArpCacheOptions.ReachableTime"/>.</summary>
    Reachable,

    /// <summary>Not confirmed recently: still used, but a refreshing request is due.</summary>
    Stale,

    /// <summary>Configured by hand; never ages.</summary>
    Permanent,
}
