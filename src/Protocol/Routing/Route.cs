using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Routing;

/// <summary>One routing table entry.</summary>
/// <param name="Destination">The prefix this route covers; 0.0.0.0/0 is the default route.</param>
/// <param name="Gateway">Next-hop router, or null when the destination is on-link (directly reachable).</param>
/// <param name="InterfaceIndex">Index of the interface to send through.</param>
/// <param name="Metric">Preference among routes of equal prefix length; lower wins.</param>
public readonly record struct Route(Ipv4Cidr Destination, Ipv4Address? Gateway, int InterfaceIndex, int Metric = 0)
{
    /// <summary>The address to resolve with ARP for a datagram to <paramref name="destination"/>:
    /// the gateway when there is one, otherwise the destination itself.</summary>
    public Ipv4Address NextHop(Ipv4Address destination) => Gateway ?? destination;
}
