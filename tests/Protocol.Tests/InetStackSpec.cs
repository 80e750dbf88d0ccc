using Edsos.Protocol.Ipv4;
using Edsos.Protocol.Qdisc;
using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Tests;

/// <summary>Start-up (seed 002: ARP announcement and gateway probe), statistics and the orderly stop.</summary>
public sealed class InetStackSpec : InetSpecBase
{
    [Fact]
    public async Task Start_AnnouncesItselfAndProbesTheGateway_ReplyMarksTheReceivePathUp()
    {
        StartStack(options => options with { AnnounceOnStart = true, ProbeGatewayOnStart = true, Gateway = GatewayIp });

        var (announceEth, announcement) = TestFrames.ParseArp(TakeFrame());
        Assert.True(announceEth.Destination.IsBroadcast);
        Assert.Equal(OurIp, announcement.SenderProtocolAddress);
        Assert.Equal(OurIp, announcement.TargetProtocolAddress);
        var (_, probe) = TestFrames.ParseArp(TakeFrame());
        Assert.Equal(ArpRepr.Request(OurMac, OurIp, GatewayIp), probe);
        Assert.False((await CountersAsync<Ipv4TxCounters>(Stack.IpTx)).GatewayReachable);

        Deliver(TestFrames.Arp(OurMac, GatewayMac, ArpRepr.ReplyTo(probe, GatewayMac)));

        await AwaitAssertAsync(async () => Assert.True((await CountersAsync<Ipv4TxCounters>(Stack.IpTx)).GatewayReachable));
        await AwaitAssertAsync(async () =>
        {
            var statistics = await Stack.GetStatisticsAsync();
            Assert.Equal(1, statistics.Rx.ArpReceived);
            Assert.Equal(2, statistics.Tx.ArpRequests);
            Assert.Equal(2, statistics.Qdisc.Completed);
        });
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task Stop_WithParkedQueuedAndPartialWork_CompletesSendersAndLeavesNothing()
    {
        StartStack(credit: null);
        Bind(9000);

        // Parked on ARP, queued in the qdisc (no credit), and half a reassembly.
        SendUdp(1, TestFrames.Pattern(100), PeerIp);
        SendUdp(2, TestFrames.Pattern(100), Ipv4Address.Parse("10.0.0.255"));
        var datagram = TestFrames.UdpDatagram(PeerIp, OurIp, 4444, 9000, TestFrames.Pattern(3000));
        var firstPiece = new Ipv4Repr(PeerIp, OurIp, IpProtocol.Udp, 1480) { Identification = 3, MoreFragments = true };
        Deliver(TestFrames.Ipv4(OurMac, PeerMac, firstPiece, datagram.AsSpan(0, 1480)));
        await AwaitAssertAsync(async () =>
        {
            Assert.Equal(2, (await CountersAsync<QdiscCounters>(Stack.Qdisc)).Backlog);
            Assert.Equal(1, (await CountersAsync<Ipv4RxCounters>(Stack.RxWorker)).FragmentsReceived);
        });

        await StopAndAssertNoLeakAsync();

        var completions = new[] { Socket.ExpectMsg<Ipv4Protocol.IpXmitComplete>(), Socket.ExpectMsg<Ipv4Protocol.IpXmitComplete>() };
        Assert.All(completions, c => Assert.Equal(Errno.ENETDOWN, c.Error));
        Assert.Equal(new ulong[] { 1, 2 }, completions.Select(c => c.RequestId).Order().ToArray());
        DriverTx.ExpectNoMsg(Quiet);
    }

    [Fact]
    public async Task Stop_AfterTraffic_CleanAndSecondStackCanStartInTheSameTrees()
    {
        StartStack();
        LearnNeighbour(PeerIp, PeerMac);
        SendUdp(1, TestFrames.Pattern(10), PeerIp);
        TakeFrame();
        Socket.ExpectMsg<Ipv4Protocol.IpXmitComplete>();

        await StopAndAssertNoLeakAsync();

        StartStack(options => options with { ActorNamePrefix = "inet2" });
        LearnNeighbour(PeerIp, PeerMac);
        await StopAndAssertNoLeakAsync();
    }
}
