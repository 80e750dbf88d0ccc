namespace Edsos.Protocol.Wire;

/// <summary>The Ethernet II type field (IEEE 802 numbers). Other values are representable by casting
/// and are dropped by the stack.</summary>
public enum EtherType : ushort
{
    /// <summary>IPv4 (RFC 894).</summary>
    Ipv4 = 0x0800,

    /// <summary>ARP (RFC 826).</summary>
    Arp = 0x0806,

    /// <summary>IPv6 (RFC 2464); recognised so it can be counted, not handled.</summary>
    Ipv6 = 0x86DD,
}
