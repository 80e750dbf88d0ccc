using Edsos.Protocol.Ipv4;
using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Tests;

/// <summary>
/// The quiesced phase each inet actor enters (by <c>Become</c>) on <see cref="InetStackProtocol.Quiesce"/>: what
/// arrives then is refused or dropped, and every node it carries is released once.
/// </summary>
public sealed class QuiescedPhaseSpec : InetSpecBase
{
    private void Quiesce(IActorRef actor, string name)
    {
        actor.Tell(InetStackProtocol.Quiesce.Instance, Socket.Ref);
        Assert.Equal(new InetStackProtocol.Quiesced(name), Socket.ExpectMsg<InetStackProtocol.Quiesced>());
    }

    [Fact]
    public async Task RxWorker_Quiesced_FrameCountedAndReleasedNotDelivered()
    {
        StartStack();
        Bind(7);
        Quiesce(Stack.RxWorker, nameof(Ipv4RxWorker));

        Deliver(TestFrames.Udp(OurMac, PeerMac, PeerIp, OurIp, 3333, 7, TestFrames.Pattern(100)));

        Socket.ExpectNoMsg(Quiet);
        var counters = await CountersAsync<Ipv4RxCounters>(Stack.RxWorker);
        Assert.Equal(1, counters.Frames);
        Assert.Equal(0, counters.UdpDelivered);
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task IpTx_Quiesced_DatagramFailsWithEnetdown()
    {
        StartStack();
        Quiesce(Stack.IpTx, nameof(Ipv4TxWorker));

        SendUdp(1, TestFrames.Pattern(64), PeerIp);

        Assert.Equal(new Ipv4Protocol.IpXmitComplete(1, 0, Errno.ENETDOWN), Socket.ExpectMsg<Ipv4Protocol.IpXmitComplete>());
        DriverTx.ExpectNoMsg(Quiet);
        Assert.Equal(1, (await CountersAsync<Ipv4TxCounters>(Stack.IpTx)).Failed);
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task IpTx_Quiesced_ArpIgnored()
    {
        StartStack();
        Quiesce(Stack.IpTx, nameof(Ipv4TxWorker));

        // A request for us would be answered while running; quiesced, nothing is sent.
        Deliver(TestFrames.Arp(MacAddress.Broadcast, PeerMac, ArpRepr.Request(PeerMac, PeerIp, OurIp)));

        DriverTx.ExpectNoMsg(Quiet);
        Assert.Equal(0, (await CountersAsync<Ipv4TxCounters>(Stack.IpTx)).ArpReplies);
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task Qdisc_Quiesced_FrameRefusedWithEnetdown()
    {
        StartStack();
        LearnNeighbour(PeerIp, PeerMac);
        Quiesce(Stack.Qdisc, nameof(Edsos.Protocol.Qdisc.QdiscWorker));

        SendUdp(2, TestFrames.Pattern(64), PeerIp);

        Assert.Equal(new Ipv4Protocol.IpXmitComplete(2, 0, Errno.ENETDOWN), Socket.ExpectMsg<Ipv4Protocol.IpXmitComplete>());
        DriverTx.ExpectNoMsg(Quiet);
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task UdpTx_Quiesced_SendRefusedWithEnetdown()
    {
        StartStack();
        Quiesce(Stack.UdpTx, nameof(Edsos.Protocol.Udp.UdpTxWorker));

        SendUdp(3, TestFrames.Pattern(64), PeerIp);

        Assert.Equal(new InetProtocol.XmitComplete(3, 0, Errno.ENETDOWN), Socket.ExpectMsg<InetProtocol.XmitComplete>());
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task Icmp_Quiesced_PingRefusedAndEchoRequestReleased()
    {
        StartStack();
        Quiesce(Stack.Icmp, nameof(Edsos.Protocol.Icmp.IcmpService));

        Stack.Icmp.Tell(new InetProtocol.PingRequest(PeerIp, 1, 32, TimeSpan.FromSeconds(5)), Socket.Ref);
        Assert.Equal(Errno.ENETDOWN, Socket.ExpectMsg<InetProtocol.PingReply>().Error);
        var request = TestFrames.IcmpEcho(IcmpV4Type.EchoRequest, 9, 1, TestFrames.Pattern(32));
        Deliver(TestFrames.Ipv4(OurMac, PeerMac, new Ipv4Repr(PeerIp, OurIp, IpProtocol.Icmp, request.Length) { Identification = 5 }, request));

        DriverTx.ExpectNoMsg(Quiet);
        Assert.Equal(1, (await CountersAsync<Ipv4RxCounters>(Stack.RxWorker)).EchoRequests);
        await StopAndAssertNoLeakAsync();
    }
}
