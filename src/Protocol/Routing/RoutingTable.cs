using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Routing;

/// <summary>
/// An IPv4 forwarding table with longest-prefix match (RFC 1812 5.2.4.3). Among routes with the same
/// prefix length the lowest metric wins, then the one added first. Not thread-safe: one owner (the IP
/// service) mutates and queries it.
/// </summary>
/// <remarks>Routes are kept sorted by descending prefix length, then ascending metric, so a lookup is
/// one linear scan that stops at the first match. Tables here hold a handful of routes; a trie would
/// pay off only at thousands.</remarks>
public sealed class RoutingTable
{
    private readonly List<Route> _routes = new();

    /// <summary>Number of routes.</summary>
    public int Count => _routes.Count;

    /// <summary>The routes in lookup order (most specific first).</summary>
    public IReadOnlyList<Route> Routes => _routes;

    /// <summary>
    /// Adds a route. The destination is stored in its network form (host bits cleared), so 10.0.0.7/24
    /// and 10.0.0.0/24 are the same prefix.
    /// </summary>
    /// <returns>False, changing nothing, if a route with the same prefix, gateway and interface exists.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="route"/> has a negative interface index.</exception>
    public bool Add(Route route)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(route.InterfaceIndex);
        route = route with { Destination = new Ipv4Cidr(route.Destination.Network, route.Destination.PrefixLength) };
        int insertAt = _routes.Count;
        for (int i = 0; i < _routes.Count; i++)
        {
            Route existing = _routes[i];
            if (existing.Destination == route.Destination && existing.Gateway == route.Gateway && existing.InterfaceIndex == route.InterfaceIndex)
            {
                return false;
            }

            if (insertAt == _routes.Count && Precedes(route, existing))
            {
                insertAt = i;
            }
        }

        _routes.Insert(insertAt, route);
        return true;
    }

    /// <summary>Adds the default route 0.0.0.0/0 via <paramref name="gateway"/>.</summary>
    /// <returns>False if that exact default route exists.</returns>
    public bool AddDefault(Ipv4Address gateway, int interfaceIndex, int metric = 0)
    {
        return Add(new Route(new Ipv4Cidr(Ipv4Address.Any, 0), gateway, interfaceIndex, metric));
    }

    /// <summary>Removes the route matching prefix, gateway and interface (metric ignored).</summary>
    /// <returns>False if there was none.</returns>
    public bool Remove(Route route)
    {
        var destination = new Ipv4Cidr(route.Destination.Network, route.Destination.PrefixLength);
        for (int i = 0; i < _routes.Count; i++)
        {
            Route existing = _routes[i];
            if (existing.Destination == destination && existing.Gateway == route.Gateway && existing.InterfaceIndex == route.InterfaceIndex)
            {
                _routes.RemoveAt(i);
                return true;
            }
        }

        return false;
    }

    /// <summary>Removes every route through <paramref name="interfaceIndex"/> (the interface went down).</summary>
    /// <returns>How many routes were removed.</returns>
    public int RemoveInterface(int interfaceIndex)
    {
        return _routes.RemoveAll(r => r.InterfaceIndex == interfaceIndex);
    }

    /// <summary>Finds the most specific route covering <paramref name="destination"/>.</summary>
    /// <returns>False (no route: the sender gets ENETUNREACH) when nothing matches, not even a default route.</returns>
    public bool TryLookup(Ipv4Address destination, out Route route)
    {
        // List<T> indexer rather than foreach: no enumerator, and this runs per packet.
        for (int i = 0; i < _routes.Count; i++)
        {
            Route candidate = _routes[i];
            if (candidate.Destination.Contains(destination))
            {
                route = candidate;
                return true;
            }
        }

        route = default;
        return false;
    }

    private static bool Precedes(in Route a, in Route b)
    {
        if (a.Destination.PrefixLength != b.Destination.PrefixLength)
        {
            return a.Destination.PrefixLength > b.Destination.PrefixLength;
        }

        // Strictly lower metric only: equal routes keep insertion order.
        return a.Metric < b.Metric;
    }
}
