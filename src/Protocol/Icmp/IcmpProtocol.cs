using Edsos.Memory;
using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Icmp;

/// <summary>
/// Events between the receive worker and <see cref="IcmpService"/>. Nodes ride as capabilities the
/// receive worker <c>ct_share</c>d into the transmit TS, where the ICMP service lives.
/// </summary>
public static class IcmpProtocol
{
    /// <summary>
    /// Receive worker → ICMP service: an echo request for us. <paramref name="Data"/> (default when
    /// <paramref name="DataLength"/> is 0) is its data, headers divided off, which the reply reuses
    /// as is (RFC 792: the data is returned unchanged). The service owns it.
    /// </summary>
    public sealed record EchoRequestReceivedEvent(
        Capability Data,
        int DataLength,
        Ipv4Address From,
        Ipv4Address To,
        ushort Identifier,
        ushort SequenceNumber);

    /// <summary>Receive worker → ICMP service: an echo reply arrived (its node is already popped).</summary>
    public sealed record EchoReplyReceivedEvent(Ipv4Address From, ushort Identifier, ushort SequenceNumber, byte Ttl, int DataLength);

    /// <summary>
    /// Receive worker → ICMP service: send destination unreachable (<paramref name="Code"/>) to
    /// <paramref name="To"/> quoting <paramref name="Quote"/>, the offending datagram's IPv4 header and
    /// first 8 data bytes (RFC 792), divided out of the received frame. The service owns it.
    /// </summary>
    public sealed record DestinationUnreachableNeeded(
        Capability Quote,
        int QuoteLength,
        Ipv4Address To,
        Ipv4Address From,
        IcmpV4UnreachableCode Code);
}
