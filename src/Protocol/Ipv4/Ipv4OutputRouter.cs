using Edsos.Protocol.Routing;
using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Ipv4;

/// <summary>
/// The checks and the route of <c>ip_queue_xmit</c> for one interface: is the datagram acceptable (lengths,
/// a super-segment the NIC can cut), and does it go to ourselves, to a broadcast MAC, or to a next hop to
/// resolve (longest prefix match). Plain rules over the options and the routing table.
/// </summary>
/// <param name="options">The interface (addresses, TSO).</param>
/// <param name="routes">The routing table.</param>
public sealed class Ipv4OutputRouter(InetStackOptions options, RoutingTable routes)
{
    /// <summary>
    /// The verdict for a datagram to <paramref name="destination"/> with a transport header of
    /// <paramref name="transportHeaderLength"/> bytes and <paramref name="payloadLength"/> payload bytes
    /// (<paramref name="hasPayload"/>: a payload node came with it). Fails with <see cref="Errno.EMSGSIZE"/> for
    /// negative lengths, more than 65515 bytes of IPv4 payload, or a payload node that does not match the length
    /// (an empty one, or a length without one); <see cref="Errno.EOPNOTSUPP"/> for a super-segment
    /// (<paramref name="gsoSize"/> ≠ 0) that is not TCP, goes to ourselves or a broadcast, or meets an interface
    /// without TSO (sent whole or fragmented it would carry no valid TCP checksum); <see cref="Errno.ENETUNREACH"/>
    /// without a route.
    /// </summary>
    public OutputDecision Decide(Ipv4Address destination, IpProtocol protocol, int transportHeaderLength, int payloadLength, bool hasPayload, int gsoSize)
    {
        if (payloadLength < 0 || transportHeaderLength < 0
            || transportHeaderLength + payloadLength > Ipv4Repr.MaxTotalLength - FrameLayout.Ipv4HeaderLength
            || (payloadLength > 0) != hasPayload)
        {
            return OutputDecision.Fail(Errno.EMSGSIZE);
        }

        bool local = options.IsLocalAddress(destination);
        bool broadcast = destination.IsBroadcast || destination == options.Address.BroadcastAddress;
        if (gsoSize != 0 && (gsoSize < 0 || !options.Tso || protocol != IpProtocol.Tcp || local || broadcast))
        {
            return OutputDecision.Fail(Errno.EOPNOTSUPP);
        }

        if (local)
        {
            return new OutputDecision(OutputAction.Loopback, Errno.None, destination);
        }

        if (broadcast)
        {
            return new OutputDecision(OutputAction.Broadcast, Errno.None, destination);
        }

        if (!routes.TryLookup(destination, out Route route))
        {
            return OutputDecision.Fail(Errno.ENETUNREACH);
        }

        return new OutputDecision(OutputAction.Resolve, Errno.None, route.NextHop(destination));
    }
}
