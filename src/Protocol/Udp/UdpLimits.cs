using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Udp;

/// <summary>The size rules of UDP over IPv4, in one place for every layer that checks them (KPN, socket, transmit worker).</summary>
public static class UdpLimits
{
    /// <summary>
    /// Largest UDP payload one IPv4 datagram can carry: 65535 (IPv4 total length) − 20 (IPv4 header without
    /// options) − 8 (UDP header) = 65507 (RFC 768, RFC 791). A longer send fails with <see cref="Errno.EMSGSIZE"/>,
    /// as Linux's <c>udp_sendmsg</c> does.
    /// </summary>
    public const int MaxPayload = ushort.MaxValue - Ipv4Repr.EmittedHeaderLength - UdpRepr.HeaderLength;
}
