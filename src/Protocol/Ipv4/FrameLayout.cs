using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Ipv4;

/// <summary>Header lengths of the frames this stack builds (Ethernet II + IPv4 without options).</summary>
public static class FrameLayout
{
    /// <summary>Ethernet II header.</summary>
    public const int EthernetHeaderLength = EthernetFrame.HeaderLength;

    /// <summary>IPv4 header as emitted (no options).</summary>
    public const int Ipv4HeaderLength = Ipv4Repr.EmittedHeaderLength;

    /// <summary>Ethernet plus IPv4: the part of the headroom the IPv4 worker fills.</summary>
    public const int EthernetIpv4HeaderLength = EthernetHeaderLength + Ipv4HeaderLength;

    /// <summary>Ethernet plus ARP.</summary>
    public const int ArpFrameLength = EthernetHeaderLength + ArpRepr.BufferLength;

    /// <summary>Headroom of a UDP or ICMP datagram: Ethernet, IPv4 and the 8-byte transport header.</summary>
    public const int Headroom8 = EthernetIpv4HeaderLength + 8;

}
