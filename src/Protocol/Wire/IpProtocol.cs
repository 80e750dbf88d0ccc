namespace Edsos.Protocol.Wire;

/// <summary>The IPv4 protocol field (IANA "Assigned Internet Protocol Numbers"). Other values are
/// representable by casting; the stack answers them with ICMP protocol unreachable.</summary>
public enum IpProtocol : byte
{
    /// <summary>ICMP for IPv4 (RFC 792).</summary>
    Icmp = 1,

    /// <summary>TCP (RFC 793).</summary>
    Tcp = 6,

    /// <summary>UDP (RFC 768).</summary>
    Udp = 17,
}
