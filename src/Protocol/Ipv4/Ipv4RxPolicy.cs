using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Ipv4;

/// <summary>
/// The address rules of the receive path for one interface: which destinations are ours, when an ICMP
/// error may be sent about a datagram, and which TCP segments are acceptable. Plain rules over the options;
/// no state.
/// </summary>
/// <param name="options">The interface's address, broadcast address and loopback rule.</param>
public sealed class Ipv4RxPolicy(InetStackOptions options)
{
    /// <summary>True for one of our addresses (loopback included), the limited broadcast and our subnet's broadcast.</summary>
    public bool IsForUs(Ipv4Address destination) =>
        options.IsLocalAddress(destination) || IsBroadcast(destination);

    /// <summary>True for the limited broadcast (255.255.255.255) and our subnet's directed broadcast.</summary>
    public bool IsBroadcast(Ipv4Address destination) =>
        destination.IsBroadcast || destination == options.Address.BroadcastAddress;

    /// <summary>RFC 1122 3.2.2: no ICMP error about a broadcast, or from a source that names no single host.</summary>
    public bool CanSendError(in Ipv4Repr ip) =>
        !IsBroadcast(ip.Destination) && !ip.Source.IsUnspecified && !ip.Source.IsBroadcast && !ip.Source.IsMulticast;

    /// <summary>RFC 1122 4.2.3.10: a TCP segment to a broadcast address, or from a broadcast or multicast source, is dropped.</summary>
    public bool AcceptsTcp(in Ipv4Repr ip) =>
        !IsBroadcast(ip.Destination) && !ip.Source.IsBroadcast && !ip.Source.IsMulticast;
}
