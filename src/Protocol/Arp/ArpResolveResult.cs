namespace Edsos.Protocol.Arp;

/// <summary>What <see cref="ArpCache{TPacket}.Resolve"/> did with a packet, and what the caller must do next.</summary>
public enum ArpResolveResult
{
    /// <summary>The MAC address is known: send the packet now. The packet was not kept.</summary>
    Resolved,

    /// <summary>The MAC address is known but stale: send the packet now, and send an ARP request to refresh it.</summary>
    ResolvedRefreshNeeded,

    /// <summary>First packet for an unknown address: it is parked; send an ARP request now.</summary>
    ParkedRequestNeeded,

    /// <summary>Parked behind other packets; a request is already outstanding.</summary>
    Parked,

    /// <summary>Parked, but the queue was full: the oldest parked packet was dropped and handed back to be released.</summary>
    ParkedOldestDropped,

    /// <summary>The cache is full of unresolved entries: the packet itself is handed back to be released.</summary>
    Rejected,
}
