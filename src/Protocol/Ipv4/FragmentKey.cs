using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Ipv4;

/// <summary>What identifies the fragments of one datagram (RFC 791 3.2: source, destination, protocol, identification).</summary>
/// <param name="Source">IPv4 source.</param>
/// <param name="Destination">IPv4 destination.</param>
/// <param name="Protocol">Upper-layer protocol.</param>
/// <param name="Identification">The IPv4 identification field.</param>
public readonly record struct FragmentKey(Ipv4Address Source, Ipv4Address Destination, IpProtocol Protocol, ushort Identification)
{
    /// <summary>The key of the datagram a parsed fragment header belongs to.</summary>
    public static FragmentKey Of(in Ipv4Repr header) => new(header.Source, header.Destination, header.Protocol, header.Identification);
}
