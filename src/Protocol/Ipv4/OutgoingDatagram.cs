using System.Diagnostics;
using Edsos.Memory;
using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Ipv4;

/// <summary>
/// A datagram between <c>ip_queue_xmit</c> and its frames, parked in the ARP resolver while its next hop
/// resolves. A struct, so parking allocates nothing. Whoever holds it owns <see cref="Headroom"/> and
/// <see cref="Payload"/> (nodes of the transmit TS).
/// </summary>
/// <param name="OutputId">The transmit worker's id for its completion.</param>
/// <param name="Source">IPv4 source.</param>
/// <param name="Destination">IPv4 destination.</param>
/// <param name="Protocol">Transport protocol.</param>
/// <param name="Tos">DSCP and ECN (the old TOS byte).</param>
/// <param name="Headroom">Ethernet + IPv4 + transport header node; the transport header already written.</param>
/// <param name="TransportHeaderLength">Bytes of transport header at the end of <see cref="Headroom"/>.</param>
/// <param name="Payload">Payload node, default when <see cref="PayloadLength"/> is 0.</param>
/// <param name="PayloadLength">Payload bytes.</param>
/// <param name="GsoSize">Segment size of a TCP super-segment the NIC cuts; 0 for an ordinary datagram.</param>
/// <param name="Cause">The trace context of the send that produced it (resumed when ARP resolves).</param>
public readonly record struct OutgoingDatagram(
    ulong OutputId,
    Ipv4Address Source,
    Ipv4Address Destination,
    IpProtocol Protocol,
    byte Tos,
    Capability Headroom,
    int TransportHeaderLength,
    Capability Payload,
    int PayloadLength,
    int GsoSize,
    ActivityContext Cause)
{
    /// <summary>Length of <see cref="Headroom"/>: Ethernet, IPv4 and the transport header.</summary>
    public int HeadroomLength => FrameLayout.EthernetIpv4HeaderLength + TransportHeaderLength;

    /// <summary>IPv4 payload length: transport header and payload.</summary>
    public int IpPayloadLength => TransportHeaderLength + PayloadLength;
}
