using Edsos.Memory;
using Edsos.Protocol.Ipv4;
using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Tests;

/// <summary>The receive dual (seed 000 section 5): demultiplexing, zero-copy delivery, drops by reason.</summary>
public sealed class Ipv4RxWorkerSpec : InetSpecBase
{
    [Fact]
    public async Task Receive_UdpToBoundPort_PayloadCtrnMountedInTheSocketTs()
    {
        StartStack();
        Assert.Equal(new InetProtocol.BindReply(Errno.None, new Ipv4Endpoint(Ipv4Address.Any, 7)), Bind(7));
        var data = TestFrames.Pattern(300, seed: 9);
        long payloadCopiedBefore = Memory.Counters.PayloadBytesCopied;

        Deliver(TestFrames.Udp(OurMac, PeerMac, PeerIp, OurIp, 3333, 7, data));

        var received = Socket.ExpectMsg<InetProtocol.DatagramReceivedEvent>();
        Assert.Equal(300, received.Length);
        Assert.Equal(new Ipv4Endpoint(PeerIp, 3333), received.From);
        Assert.Equal(new Ipv4Endpoint(OurIp, 7), received.To);
        Assert.Equal(payloadCopiedBefore, Memory.Counters.PayloadBytesCopied);
        Assert.Equal(data, Consume(received));
        Assert.Equal(1, (await CountersAsync<Ipv4RxCounters>(Stack.RxWorker)).UdpDelivered);
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task Receive_PaddedMinimumFrame_PaddingDividedOff()
    {
        StartStack();
        Bind(7);

        // 2 bytes of payload make a 44-byte frame; the NIC pads it to the 60-byte Ethernet minimum.
        Deliver(TestFrames.Udp(OurMac, PeerMac, PeerIp, OurIp, 3333, 7, new byte[] { 0xAB, 0xCD }, padding: 16));

        Assert.Equal(new byte[] { 0xAB, 0xCD }, Consume(Socket.ExpectMsg<InetProtocol.DatagramReceivedEvent>()));
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task Receive_ZeroUdpChecksum_AcceptedAsNoChecksum()
    {
        StartStack();
        Bind(7);

        Deliver(TestFrames.Udp(OurMac, PeerMac, PeerIp, OurIp, 3333, 7, TestFrames.Pattern(10), checksum: false));

        Assert.Equal(TestFrames.Pattern(10), Consume(Socket.ExpectMsg<InetProtocol.DatagramReceivedEvent>()));
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task Receive_BoundToAnotherAddress_NotDelivered()
    {
        StartStack();
        Bind(7, Ipv4Address.Parse("127.0.0.1"));

        Deliver(TestFrames.Udp(OurMac, PeerMac, PeerIp, OurIp, 3333, 7, TestFrames.Pattern(10)));

        TakeFrame();
        Socket.ExpectNoMsg(Quiet);
        Assert.Equal(1, (await CountersAsync<Ipv4RxCounters>(Stack.RxWorker)).NoSocket);
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task Receive_UnboundPort_PortUnreachableQuotingTheDatagram()
    {
        StartStack();
        LearnNeighbour(PeerIp, PeerMac);
        var offending = TestFrames.Udp(OurMac, PeerMac, PeerIp, OurIp, 3333, 4242, TestFrames.Pattern(50), identification: 77);

        Deliver(offending);

        var frame = TestFrames.ParseIpv4(TakeFrame());
        Assert.Equal(PeerMac, frame.Ethernet.Destination);
        Assert.Equal(OurIp, frame.Ip.Source);
        Assert.Equal(PeerIp, frame.Ip.Destination);
        Assert.Equal(IpProtocol.Icmp, frame.Ip.Protocol);
        var (icmp, quote) = TestFrames.ParseIcmp(frame.IpPayload);
        Assert.Equal(IcmpV4Type.DestinationUnreachable, icmp.Type);
        Assert.Equal((byte)IcmpV4UnreachableCode.PortUnreachable, icmp.Code);
        Assert.Equal(offending.AsSpan(14, 28).ToArray(), quote);
        Assert.Equal((ushort)77, icmp.OriginalHeader.Identification);
        Assert.Equal(1, (await CountersAsync<Ipv4RxCounters>(Stack.RxWorker)).NoSocket);
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task Receive_UnboundPortOfABroadcast_NoIcmpError()
    {
        StartStack();

        Deliver(TestFrames.Udp(MacAddress.Broadcast, PeerMac, PeerIp, Ipv4Address.Parse("10.0.0.255"), 68, 67, TestFrames.Pattern(20)));

        DriverTx.ExpectNoMsg(Quiet);
        Assert.Equal(1, (await CountersAsync<Ipv4RxCounters>(Stack.RxWorker)).NoSocket);
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task Receive_BadIpHeaderChecksum_DroppedAndCounted()
    {
        StartStack();
        Bind(7);
        var frame = TestFrames.Udp(OurMac, PeerMac, PeerIp, OurIp, 3333, 7, TestFrames.Pattern(10));
        frame[14 + 10] ^= 0x5A;

        Deliver(frame);

        Socket.ExpectNoMsg(Quiet);
        Assert.Equal(1, (await CountersAsync<Ipv4RxCounters>(Stack.RxWorker)).BadIpChecksum);
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task Receive_BadUdpChecksum_DroppedAndCounted()
    {
        StartStack();
        Bind(7);
        var frame = TestFrames.Udp(OurMac, PeerMac, PeerIp, OurIp, 3333, 7, TestFrames.Pattern(10));
        frame[^1] ^= 0xFF;

        Deliver(frame);

        Socket.ExpectNoMsg(Quiet);
        Assert.Equal(1, (await CountersAsync<Ipv4RxCounters>(Stack.RxWorker)).BadUdpChecksum);
        await StopAndAssertNoLeakAsync();
    }

    [Theory]
    [InlineData(10)]
    [InlineData(30)]
    [InlineData(50)]
    public async Task Receive_TruncatedFrame_DroppedAndCounted(int keep)
    {
        StartStack();
        Bind(7);
        var frame = TestFrames.Udp(OurMac, PeerMac, PeerIp, OurIp, 3333, 7, TestFrames.Pattern(40));

        Deliver(frame.AsSpan(0, keep).ToArray());

        Socket.ExpectNoMsg(Quiet);
        Assert.Equal(1, (await CountersAsync<Ipv4RxCounters>(Stack.RxWorker)).Truncated);
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task Receive_OtherHostsAddressOrMac_DroppedAsNotForUs()
    {
        StartStack();
        Bind(7);

        Deliver(TestFrames.Udp(OurMac, PeerMac, PeerIp, Ipv4Address.Parse("10.0.0.3"), 3333, 7, TestFrames.Pattern(10)));
        Deliver(TestFrames.Udp(PeerMac, GatewayMac, GatewayIp, OurIp, 3333, 7, TestFrames.Pattern(10)));

        Socket.ExpectNoMsg(Quiet);
        Assert.Equal(2, (await CountersAsync<Ipv4RxCounters>(Stack.RxWorker)).NotForUs);
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task Receive_ArpRequestForUs_RepliedAndPeerUsableWithoutAsking()
    {
        StartStack();

        LearnNeighbour(PeerIp, PeerMac);
        SendUdp(30, TestFrames.Pattern(5), PeerIp);

        var frame = TestFrames.ParseIpv4(TakeFrame());
        Assert.Equal(PeerMac, frame.Ethernet.Destination);
        Assert.Equal(Errno.None, Socket.ExpectMsg<Ipv4Protocol.IpXmitComplete>().Error);
        var counters = await CountersAsync<Ipv4TxCounters>(Stack.IpTx);
        Assert.Equal(0, counters.ArpRequests);
        Assert.Equal(1, counters.ArpReplies);
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task Receive_ArpRequestForAnotherHost_Ignored()
    {
        StartStack();

        Deliver(TestFrames.Arp(MacAddress.Broadcast, PeerMac, ArpRepr.Request(PeerMac, PeerIp, GatewayIp)));

        DriverTx.ExpectNoMsg(Quiet);
        Assert.Equal(1, (await CountersAsync<Ipv4RxCounters>(Stack.RxWorker)).ArpReceived);
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task Unbind_ThenDatagram_NoLongerDelivered()
    {
        StartStack();
        var bound = Bind(7).Bound;
        Stack.Family.Tell(new InetProtocol.Unbind((int)IpProtocol.Udp, bound), Socket.Ref);
        Assert.Equal(0, (await CountersAsync<Inet.InetFamilyCounters>(Stack.Family)).Bindings);

        Deliver(TestFrames.Udp(OurMac, PeerMac, PeerIp, OurIp, 3333, 7, TestFrames.Pattern(10)));

        TakeFrame();
        Socket.ExpectNoMsg(Quiet);
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task Receive_HeaderWithOptions_OptionsSkippedAndDelivered()
    {
        StartStack();
        Bind(7);
        var plain = TestFrames.Udp(OurMac, PeerMac, PeerIp, OurIp, 3333, 7, TestFrames.Pattern(12));

        // Insert four NOP options (IHL 6) and fix total length and header checksum.
        var frame = new byte[plain.Length + 4];
        plain.AsSpan(0, 34).CopyTo(frame);
        frame.AsSpan(34, 4).Fill(1);
        plain.AsSpan(34).CopyTo(frame.AsSpan(38));
        var ip = Ipv4Packet.CreateUnchecked(frame.AsSpan(14, 24));
        frame[14] = 0x46;
        ip.TotalLength += 4;
        ip.FillChecksum();

        Deliver(frame);

        Assert.Equal(TestFrames.Pattern(12), Consume(Socket.ExpectMsg<InetProtocol.DatagramReceivedEvent>()));
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task Receive_TcpDataOffsetPastTheSegment_DroppedAsMalformed()
    {
        StartStack();

        // A 20-byte TCP header whose data offset claims 60 bytes: the parser checks it against the segment length.
        var tcp = new byte[20];
        tcp[1] = 80;
        tcp[3] = 80;
        tcp[12] = 0xF0;
        Deliver(TestFrames.Ipv4(OurMac, PeerMac, new Ipv4Repr(PeerIp, OurIp, IpProtocol.Tcp, tcp.Length) { Identification = 3 }, tcp));

        await AwaitAssertAsync(async () => Assert.Equal(1, (await CountersAsync<Ipv4RxCounters>(Stack.RxWorker)).Malformed));
        var counters = await CountersAsync<Ipv4RxCounters>(Stack.RxWorker);
        Assert.Equal(0, counters.TcpSegments);
        Assert.Equal(0, counters.BadTcpChecksum);
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task Receive_IpTotalLengthPastTheFrame_DroppedAsTruncated()
    {
        StartStack();
        Bind(7);
        var frame = TestFrames.Udp(OurMac, PeerMac, PeerIp, OurIp, 3333, 7, TestFrames.Pattern(12));
        var ip = Ipv4Packet.CreateUnchecked(frame.AsSpan(14, 20));
        ip.TotalLength += 1;
        ip.FillChecksum();

        Deliver(frame);

        Socket.ExpectNoMsg(Quiet);
        var counters = await CountersAsync<Ipv4RxCounters>(Stack.RxWorker);
        Assert.Equal(1, counters.Truncated);
        Assert.Equal(0, counters.UdpDelivered);
        await StopAndAssertNoLeakAsync();
    }
}
