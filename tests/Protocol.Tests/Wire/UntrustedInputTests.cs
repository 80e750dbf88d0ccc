using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Tests.Wire;

/// <summary>Every prefix and thousands of mutations of real frames go through the full receive parse
/// chain; any exception escaping is a failure, and no
/// single-byte corruption may slip past the checksums.</summary>
public sealed class UntrustedInputTests
{
    [Fact]
    public void ParseChain_EveryTruncation_NoExceptionAndOnlyFullFramesAccepted()
    {
        byte[][] frames = { Fixtures.QemuArpRequest(), Fixtures.UdpHelloFrame() };
        foreach (byte[] frame in frames)
        {
            for (int length = 0; length <= frame.Length; length++)
            {
                bool accepted = ParseChain(frame.AsSpan(0, length).ToArray());
                Assert.Equal(length == frame.Length, accepted);
            }
        }
    }

    [Fact]
    public void ParseChain_RandomSingleByteCorruptionOfUdp_NoExceptionAndMostlyRejected()
    {
        var random = new Random(1234);
        byte[] original = Fixtures.UdpHelloFrame();
        int accepted = 0;
        const int Rounds = 5000;
        for (int i = 0; i < Rounds; i++)
        {
            byte[] frame = (byte[])original.Clone();

            // Corrupt only the IP/UDP part: MAC bytes are not covered by any checksum here.
            int at = random.Next(14, frame.Length);
            frame[at] ^= (byte)random.Next(1, 256);
            if (ParseChain(frame))
            {
                accepted++;
            }
        }

        // Every IP/UDP byte is covered by a checksum, and the ones'-complement sum catches any single-byte
        // change: a byte moves its word by at most 0xff00, never by a multiple of 0xffff (RFC 1071's one
        // blind spot is a whole word flipping between 0x0000 and 0xffff).
        Assert.Equal(0, accepted);
    }

    [Fact]
    public void ParseChain_RandomBytes_NoException()
    {
        var random = new Random(99);
        for (int i = 0; i < 20000; i++)
        {
            byte[] frame = new byte[random.Next(0, 80)];
            random.NextBytes(frame);
            if (frame.Length > 13)
            {
                // Steer half of them into the IPv4/ARP parsers.
                frame[12] = 0x08;
                frame[13] = (byte)(i % 2 == 0 ? 0x00 : 0x06);
            }

            if (frame.Length > 14 && i % 4 == 0)
            {
                frame[14] = 0x45;
            }

            ParseChain(frame);
        }
    }

    private static bool ParseChain(byte[] frame)
    {
        if (!EthernetFrame.TryCreate(frame, out EthernetFrame ethernet, out _))
        {
            return false;
        }

        EthernetRepr ethernetRepr = EthernetRepr.Parse(ethernet);
        if (ethernetRepr.EtherType == EtherType.Arp)
        {
            return ArpPacket.TryCreate(ethernet.Payload, out ArpPacket arp, out _) && ArpRepr.TryParse(arp, out _, out _);
        }

        if (ethernetRepr.EtherType != EtherType.Ipv4
            || !Ipv4Packet.TryCreate(ethernet.Payload, out Ipv4Packet ip, out _)
            || !Ipv4Repr.TryParse(ip, out Ipv4Repr ipRepr, out _))
        {
            return false;
        }

        return ipRepr.Protocol switch
        {
            IpProtocol.Udp => UdpPacket.TryCreate(ip.Payload, out UdpPacket udp, out _)
                && UdpRepr.TryParse(udp, ipRepr.Source, ipRepr.Destination, out _, out _),
            IpProtocol.Icmp => IcmpV4Packet.TryCreate(ip.Payload, out IcmpV4Packet icmp, out _)
                && IcmpV4Repr.TryParse(icmp, out _, out _),
            _ => false,
        };
    }
}
