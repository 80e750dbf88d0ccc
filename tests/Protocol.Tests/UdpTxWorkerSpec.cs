using Edsos.Protocol.Udp;
using Edsos.Driver;
using Edsos.Memory;
using Edsos.Protocol.Ipv4;
using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Tests;

/// <summary>The send path of seed 000 stages 3-4 for UDP: header push, zero-copy merge, ARP, routing, errors.</summary>
public sealed class UdpTxWorkerSpec : InetSpecBase
{
    [Fact]
    public async Task Xmit_SmallDatagram_OneByteExactFrameOverTheUsersPagesWithoutPayloadCopy()
    {
        StartStack();
        LearnNeighbour(PeerIp, PeerMac);
        var data = TestFrames.Pattern(100);
        var payload = SharePayload(data, out var userBuffer);
        long payloadCopiedBefore = Memory.Counters.PayloadBytesCopied;

        SendUdp(1, payload, data.Length, new Ipv4Endpoint(Ipv4Address.Any, 5000), new Ipv4Endpoint(PeerIp, 9000));

        var xmit = ExpectFrame();
        Assert.Equal(14 + 20 + 8 + 100, xmit.Length);
        var frame = TestFrames.ParseIpv4(ReadFrame(xmit));
        Assert.Equal(PeerMac, frame.Ethernet.Destination);
        Assert.Equal(OurMac, frame.Ethernet.Source);
        Assert.Equal(OurIp, frame.Ip.Source);
        Assert.Equal(PeerIp, frame.Ip.Destination);
        Assert.Equal(IpProtocol.Udp, frame.Ip.Protocol);
        Assert.Equal(64, frame.Ip.Ttl);
        Assert.False(frame.Ip.IsFragment);
        var (udp, received, checksum) = TestFrames.ParseUdp(frame.IpPayload, OurIp, PeerIp);
        Assert.Equal(new UdpRepr(5000, 9000, 100), udp);
        Assert.NotEqual(0, checksum);
        Assert.Equal(data, received);

        // Zero copy: the frame's payload extent is the user's own page, and no payload byte was copied.
        var skb = Memory.Inspect(DriverTs, xmit.Skb).Unwrap();
        var user = Memory.Inspect(UserTs, userBuffer).Unwrap();
        Assert.Equal(2, skb.Extents.Count);
        Assert.Equal(42, skb.Extents[0].Length);
        Assert.Equal(user.Extents[0], skb.Extents[1]);
        Assert.Equal(payloadCopiedBefore, Memory.Counters.PayloadBytesCopied);

        Complete(xmit);
        Assert.Equal(new Ipv4Protocol.IpXmitComplete(1, 100, Errno.None), Socket.ExpectMsg<Ipv4Protocol.IpXmitComplete>());
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task Xmit_BoundSourceAddress_IsKept()
    {
        StartStack();
        LearnNeighbour(PeerIp, PeerMac);
        var data = TestFrames.Pattern(10);

        SendUdp(2, SharePayload(data), data.Length, new Ipv4Endpoint(OurIp, 6000), new Ipv4Endpoint(PeerIp, 53));

        var frame = TestFrames.ParseIpv4(TakeFrame());
        var (udp, _, _) = TestFrames.ParseUdp(frame.IpPayload, OurIp, PeerIp);
        Assert.Equal(6000, udp.SourcePort);
        Assert.Equal(53, udp.DestinationPort);
        Assert.Equal(Errno.None, Socket.ExpectMsg<Ipv4Protocol.IpXmitComplete>().Error);
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task Xmit_ArpMiss_ParksRequestsThenSendsOnReply()
    {
        StartStack();
        var data = TestFrames.Pattern(32);

        SendUdp(3, data, PeerIp);

        var (eth, arp) = TestFrames.ParseArp(TakeFrame());
        Assert.True(eth.Destination.IsBroadcast);
        Assert.Equal(ArpRepr.Request(OurMac, OurIp, PeerIp), arp);
        DriverTx.ExpectNoMsg(Quiet);

        Deliver(TestFrames.Arp(OurMac, PeerMac, ArpRepr.ReplyTo(arp, PeerMac)));

        var frame = TestFrames.ParseIpv4(TakeFrame());
        Assert.Equal(PeerMac, frame.Ethernet.Destination);
        Assert.Equal(data, TestFrames.ParseUdp(frame.IpPayload, OurIp, PeerIp).Payload);
        Assert.Equal(new Ipv4Protocol.IpXmitComplete(3, 32, Errno.None), Socket.ExpectMsg<Ipv4Protocol.IpXmitComplete>());
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task Xmit_ArpNeverAnswered_RetriesThenEhostunreachAndFreesTheDatagram()
    {
        StartStack();

        SendUdp(4, TestFrames.Pattern(64), PeerIp);

        // Linux mcast_solicit: three requests one second apart, then the datagram fails.
        for (int request = 1; request <= 3; request++)
        {
            var (_, arp) = TestFrames.ParseArp(TakeFrame());
            Assert.Equal(PeerIp, arp.TargetProtocolAddress);
            await CountersAsync<Ipv4TxCounters>(Stack.IpTx);
            Clock.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Equal(new Ipv4Protocol.IpXmitComplete(4, 0, Errno.EHOSTUNREACH), Socket.ExpectMsg<Ipv4Protocol.IpXmitComplete>());
        DriverTx.ExpectNoMsg(Quiet);
        var counters = await CountersAsync<Ipv4TxCounters>(Stack.IpTx);
        Assert.Equal(1, counters.ArpFailures);
        Assert.Equal(3, counters.ArpRequests);
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task Xmit_NoRoute_EnetunreachAndNothingSent()
    {
        StartStack();

        SendUdp(5, TestFrames.Pattern(8), Ipv4Address.Parse("192.0.2.9"));

        Assert.Equal(new Ipv4Protocol.IpXmitComplete(5, 0, Errno.ENETUNREACH), Socket.ExpectMsg<Ipv4Protocol.IpXmitComplete>());
        DriverTx.ExpectNoMsg(Quiet);
        Assert.Equal(1, (await CountersAsync<Ipv4TxCounters>(Stack.IpTx)).NoRoute);
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task Xmit_OffLinkDestination_GoesToTheGatewaysMac()
    {
        StartStack(options => options with { Gateway = GatewayIp });
        var remote = Ipv4Address.Parse("192.0.2.9");

        SendUdp(6, TestFrames.Pattern(8), remote);

        var (_, arp) = TestFrames.ParseArp(TakeFrame());
        Assert.Equal(GatewayIp, arp.TargetProtocolAddress);
        Deliver(TestFrames.Arp(OurMac, GatewayMac, ArpRepr.ReplyTo(arp, GatewayMac)));
        var frame = TestFrames.ParseIpv4(TakeFrame());
        Assert.Equal(GatewayMac, frame.Ethernet.Destination);
        Assert.Equal(remote, frame.Ip.Destination);
        Assert.Equal(Errno.None, Socket.ExpectMsg<Ipv4Protocol.IpXmitComplete>().Error);
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task Xmit_AboveMaximumDatagram_EmsgsizeAndPayloadPopped()
    {
        StartStack();

        SendUdp(7, TestFrames.Pattern(UdpLimits.MaxPayload + 1), PeerIp);

        Assert.Equal(new InetProtocol.XmitComplete(7, 0, Errno.EMSGSIZE), Socket.ExpectMsg<InetProtocol.XmitComplete>());
        DriverTx.ExpectNoMsg(Quiet);
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task Xmit_PayloadRevokedBeforeSend_EfaultAndNothingSent()
    {
        StartStack();
        LearnNeighbour(PeerIp, PeerMac);
        var data = TestFrames.Pattern(200);
        var payload = SharePayload(data);
        await Sys.ExitTsAsync(UserTs);

        SendUdp(8, payload, data.Length, new Ipv4Endpoint(Ipv4Address.Any, 5000), new Ipv4Endpoint(PeerIp, 9000));

        Assert.Equal(new InetProtocol.XmitComplete(8, 0, Errno.EFAULT), Socket.ExpectMsg<InetProtocol.XmitComplete>());
        DriverTx.ExpectNoMsg(Quiet);
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task Xmit_PayloadRevokedWhileParkedForArp_EfaultAndNothingSent()
    {
        StartStack();
        var data = TestFrames.Pattern(200);
        SendUdp(9, data, PeerIp);
        var (_, arp) = TestFrames.ParseArp(TakeFrame());

        await Sys.ExitTsAsync(UserTs);
        Deliver(TestFrames.Arp(OurMac, PeerMac, ArpRepr.ReplyTo(arp, PeerMac)));

        Assert.Equal(new Ipv4Protocol.IpXmitComplete(9, 0, Errno.EFAULT), Socket.ExpectMsg<Ipv4Protocol.IpXmitComplete>());
        DriverTx.ExpectNoMsg(Quiet);
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task Xmit_DriverDropsInvalidGva_EfaultToTheSocket()
    {
        StartStack();
        LearnNeighbour(PeerIp, PeerMac);

        SendUdp(10, TestFrames.Pattern(20), PeerIp);

        Complete(ExpectFrame(), TxStatus.InvalidGva);
        Assert.Equal(new Ipv4Protocol.IpXmitComplete(10, 0, Errno.EFAULT), Socket.ExpectMsg<Ipv4Protocol.IpXmitComplete>());
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task Xmit_ZeroLengthDatagram_HeaderOnlyFrame()
    {
        StartStack();
        LearnNeighbour(PeerIp, PeerMac);

        SendUdp(11, default, 0, new Ipv4Endpoint(Ipv4Address.Any, 5000), new Ipv4Endpoint(PeerIp, 9000));

        var frame = TestFrames.ParseIpv4(TakeFrame());
        var (udp, received, _) = TestFrames.ParseUdp(frame.IpPayload, OurIp, PeerIp);
        Assert.Equal(0, udp.PayloadLength);
        Assert.Empty(received);
        Assert.Equal(new Ipv4Protocol.IpXmitComplete(11, 0, Errno.None), Socket.ExpectMsg<Ipv4Protocol.IpXmitComplete>());
        await StopAndAssertNoLeakAsync();
    }
}
