using Edsos.Memory;
using Edsos.Protocol.Ipv4;
using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Tests.Ipv4;

public sealed class FragmentationPlannerTests
{
    private static readonly MacAddress s_ourMac = MacAddress.Parse("02:00:00:00:00:01");
    private static readonly MacAddress s_peerMac = MacAddress.Parse("02:00:00:00:00:02");

    private static OutgoingDatagram Datagram(int payload, int gso = 0, int transport = 8, byte tos = 0) => new(
        OutputId: 1,
        Source: Ipv4Address.Parse("10.0.0.1"),
        Destination: Ipv4Address.Parse("10.0.0.2"),
        Protocol: gso > 0 ? IpProtocol.Tcp : IpProtocol.Udp,
        Tos: tos,
        Headroom: default,
        TransportHeaderLength: transport,
        Payload: default,
        PayloadLength: payload,
        GsoSize: gso,
        Cause: default);

    [Fact]
    public void Plan_FitsTheMtu_OneFrameAndTheNextIdentification()
    {
        var planner = new FragmentationPlanner(1500);

        Assert.Equal(new FramePlan(1, 1, 1500, Gso: false), planner.Plan(Datagram(1472), loopback: false));
        Assert.Equal(new FramePlan(2, 1, 1500, Gso: false), planner.Plan(Datagram(100), loopback: false));
    }

    [Fact]
    public void Plan_LongerThanTheMtu_FragmentsWithOneIdentification()
    {
        var planner = new FragmentationPlanner(1500);

        FramePlan plan = planner.Plan(Datagram(4000), loopback: false);

        Assert.Equal(3, plan.Fragments); // 4008 bytes of IPv4 payload in pieces of 1480
        Assert.Equal(2, planner.NextIdentification);
    }

    [Fact]
    public void Plan_Loopback_NeverFragmented()
    {
        var planner = new FragmentationPlanner(1500);

        FramePlan plan = planner.Plan(Datagram(60000), loopback: true);

        Assert.Equal(1, plan.Fragments);
        Assert.Equal(ushort.MaxValue, plan.Mtu);
    }

    [Fact]
    public void Plan_SuperSegment_OneFrameAndOneIdentificationPerSegment()
    {
        var planner = new FragmentationPlanner(1500);

        FramePlan plan = planner.Plan(Datagram(14600 + 1, gso: 1460, transport: 20), loopback: false);

        Assert.Equal(new FramePlan(1, 1, 1500, Gso: true), plan);
        Assert.Equal(12, planner.NextIdentification); // 11 segments: ids 1..11
    }

    [Fact]
    public void WriteHeaders_MiddleFragment_ParsesBackWithOffsetMfAndTos()
    {
        byte[] buffer = new byte[FrameLayout.EthernetIpv4HeaderLength];

        FragmentationPlanner.WriteHeaders(buffer, Datagram(4000, tos: 0xB9), s_ourMac, s_peerMac, 77, new FragmentPiece(1480, 1480, true));

        Assert.True(EthernetFrame.TryCreate(buffer, out EthernetFrame frame, out _));
        Assert.Equal(new EthernetRepr(s_peerMac, s_ourMac, EtherType.Ipv4), EthernetRepr.Parse(frame));
        Assert.True(Ipv4Packet.TryCreate(buffer.AsSpan(FrameLayout.EthernetHeaderLength), 1500, out Ipv4Packet ip, out WireError error), error.ToString());
        Assert.True(Ipv4Repr.TryParse(ip, out Ipv4Repr repr, out error), error.ToString());
        Assert.Equal(77, repr.Identification);
        Assert.Equal(1480, repr.FragmentOffset);
        Assert.True(repr.MoreFragments);
        Assert.False(repr.DontFragment);
        Assert.Equal(1480, repr.PayloadLength);
        Assert.Equal(0xB9 >> 2, repr.Dscp);
        Assert.Equal(0xB9 & 3, repr.Ecn);
        Assert.Equal(Ipv4Repr.DefaultTtl, repr.Ttl);
    }

    [Fact]
    public void WriteHeaders_SuperSegment_DontFragmentSet()
    {
        byte[] buffer = new byte[FrameLayout.EthernetIpv4HeaderLength];

        FragmentationPlanner.WriteHeaders(buffer, Datagram(20000, gso: 1460, transport: 20), s_ourMac, s_peerMac, 5, new FragmentPiece(0, 20020, false));

        Assert.True(Ipv4Packet.TryCreate(buffer.AsSpan(FrameLayout.EthernetHeaderLength), 20020 + 20, out Ipv4Packet ip, out _));
        Assert.True(Ipv4Repr.TryParse(ip, out Ipv4Repr repr, out _));
        Assert.True(repr.DontFragment);
        Assert.Equal(20020, repr.PayloadLength);
    }
}
