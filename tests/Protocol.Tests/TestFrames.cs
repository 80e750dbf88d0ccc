using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Tests;

/// <summary>Builds and parses frames with the wire types, as a peer on the link would.</summary>
internal static class TestFrames
{
    /// <summary>An Ethernet frame around an IPv4 packet with header <paramref name="ip"/> and payload <paramref name="ipPayload"/>.</summary>
    public static byte[] Ipv4(MacAddress destination, MacAddress source, Ipv4Repr ip, ReadOnlySpan<byte> ipPayload, int padding = 0)
    {
        var frame = new byte[EthernetFrame.HeaderLength + Ipv4Packet.MinHeaderLength + ipPayload.Length + padding];
        new EthernetRepr(destination, source, EtherType.Ipv4).Emit(EthernetFrame.CreateUnchecked(frame));
        (ip with { PayloadLength = ipPayload.Length }).Emit(Ipv4Packet.CreateUnchecked(frame.AsSpan(EthernetFrame.HeaderLength)));
        ipPayload.CopyTo(frame.AsSpan(EthernetFrame.HeaderLength + Ipv4Packet.MinHeaderLength));
        return frame;
    }

    /// <summary>A UDP datagram (header + payload) with its checksum, or a zero checksum field.</summary>
    public static byte[] UdpDatagram(Ipv4Address source, Ipv4Address destination, ushort sourcePort, ushort destinationPort, ReadOnlySpan<byte> payload, bool checksum = true)
    {
        var datagram = new byte[UdpRepr.HeaderLength + payload.Length];
        payload.CopyTo(datagram.AsSpan(UdpRepr.HeaderLength));
        new UdpRepr(sourcePort, destinationPort, payload.Length).Emit(UdpPacket.CreateUnchecked(datagram), source, destination, checksum);
        return datagram;
    }

    /// <summary>A whole Ethernet/IPv4/UDP frame.</summary>
    public static byte[] Udp(
        MacAddress destinationMac,
        MacAddress sourceMac,
        Ipv4Address source,
        Ipv4Address destination,
        ushort sourcePort,
        ushort destinationPort,
        ReadOnlySpan<byte> payload,
        bool checksum = true,
        int padding = 0,
        ushort identification = 7)
    {
        var datagram = UdpDatagram(source, destination, sourcePort, destinationPort, payload, checksum);
        var ip = new Ipv4Repr(source, destination, IpProtocol.Udp, datagram.Length) { Identification = identification };
        return Ipv4(destinationMac, sourceMac, ip, datagram, padding);
    }

    /// <summary>An ICMP echo request or reply message (header + data) with its checksum.</summary>
    public static byte[] IcmpEcho(IcmpV4Type type, ushort identifier, ushort sequence, ReadOnlySpan<byte> data)
    {
        var message = new byte[IcmpV4Repr.HeaderLength + data.Length];
        data.CopyTo(message.AsSpan(IcmpV4Repr.HeaderLength));
        var repr = type == IcmpV4Type.EchoRequest
            ? IcmpV4Repr.EchoRequest(identifier, sequence, data.Length)
            : IcmpV4Repr.EchoReplyTo(IcmpV4Repr.EchoRequest(identifier, sequence, data.Length));
        repr.Emit(IcmpV4Packet.CreateUnchecked(message));
        return message;
    }

    /// <summary>An Ethernet/ARP frame.</summary>
    public static byte[] Arp(MacAddress destination, MacAddress source, ArpRepr arp)
    {
        var frame = new byte[EthernetFrame.HeaderLength + ArpPacket.Length];
        new EthernetRepr(destination, source, EtherType.Arp).Emit(EthernetFrame.CreateUnchecked(frame));
        arp.Emit(ArpPacket.CreateUnchecked(frame.AsSpan(EthernetFrame.HeaderLength)));
        return frame;
    }

    /// <summary>Parses an IPv4 frame, asserting the Ethernet type, the header checksum and the lengths.</summary>
    public static ParsedFrame ParseIpv4(byte[] frame)
    {
        Assert.True(EthernetFrame.TryCreate(frame, out var ethernet, out _), "frame shorter than an Ethernet header");
        var eth = EthernetRepr.Parse(ethernet);
        Assert.Equal(EtherType.Ipv4, eth.EtherType);
        Assert.True(Ipv4Packet.TryCreate(frame.AsSpan(EthernetFrame.HeaderLength), out var packet, out var error), $"IPv4 view: {error}");
        Assert.True(Ipv4Repr.TryParse(packet, out var ip, out error), $"IPv4 parse: {error}");
        Assert.Equal(EthernetFrame.HeaderLength + packet.TotalLength, frame.Length);
        return new ParsedFrame(eth, ip, packet.Payload.ToArray());
    }

    /// <summary>Parses an ARP frame.</summary>
    public static (EthernetRepr Ethernet, ArpRepr Arp) ParseArp(byte[] frame)
    {
        Assert.True(EthernetFrame.TryCreate(frame, out var ethernet, out _));
        var eth = EthernetRepr.Parse(ethernet);
        Assert.Equal(EtherType.Arp, eth.EtherType);
        Assert.True(ArpPacket.TryCreate(frame.AsSpan(EthernetFrame.HeaderLength), out var packet, out _));
        Assert.True(ArpRepr.TryParse(packet, out var arp, out _));
        return (eth, arp);
    }

    /// <summary>Parses a UDP datagram (header + payload), asserting its checksum against the pseudo-header.</summary>
    public static (UdpRepr Udp, byte[] Payload, ushort Checksum) ParseUdp(byte[] datagram, Ipv4Address source, Ipv4Address destination)
    {
        Assert.True(UdpPacket.TryCreate(datagram, out var packet, out var error), $"UDP view: {error}");
        Assert.True(UdpRepr.TryParse(packet, source, destination, out var udp, out error), $"UDP parse: {error}");
        return (udp, packet.Payload.ToArray(), packet.Checksum);
    }

    /// <summary>Parses an ICMP message, asserting its checksum.</summary>
    public static (IcmpV4Repr Icmp, byte[] Data) ParseIcmp(byte[] message)
    {
        Assert.True(IcmpV4Packet.TryCreate(message, out var packet, out var error), $"ICMP view: {error}");
        Assert.True(IcmpV4Repr.TryParse(packet, out var icmp, out error), $"ICMP parse: {error}");
        return (icmp, packet.Data.ToArray());
    }

    /// <summary>Bytes 0, 1, 2, ... (mod 251, so no page-sized period hides an offset error).</summary>
    public static byte[] Pattern(int length, int seed = 0)
    {
        var bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)((i + seed) % 251);
        }

        return bytes;
    }
}

/// <summary>A parsed Ethernet/IPv4 frame.</summary>
internal sealed record ParsedFrame(EthernetRepr Ethernet, Ipv4Repr Ip, byte[] IpPayload);
