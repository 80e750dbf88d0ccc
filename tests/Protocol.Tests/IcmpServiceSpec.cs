using Edsos.Protocol.Icmp;
using Edsos.Protocol.Ipv4;
using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Tests;

/// <summary>Ping both ways (seed 002's connectivity check), over the probe-driver and over loopback.</summary>
public sealed class IcmpServiceSpec : InetSpecBase
{
    [Fact]
    public async Task EchoRequest_FromPeer_AnsweredWithTheSameDataUnderNewHeaders()
    {
        StartStack();
        LearnNeighbour(PeerIp, PeerMac);
        var data = TestFrames.Pattern(56, seed: 42);
        var request = TestFrames.IcmpEcho(IcmpV4Type.EchoRequest, 0x4242, 7, data);
        long payloadCopiedBefore = Memory.Counters.PayloadBytesCopied;

        Deliver(TestFrames.Ipv4(OurMac, PeerMac, new Ipv4Repr(PeerIp, OurIp, IpProtocol.Icmp, request.Length) { Identification = 5 }, request));

        var frame = TestFrames.ParseIpv4(TakeFrame());
        Assert.Equal(PeerMac, frame.Ethernet.Destination);
        Assert.Equal(OurIp, frame.Ip.Source);
        Assert.Equal(PeerIp, frame.Ip.Destination);
        var (icmp, echoed) = TestFrames.ParseIcmp(frame.IpPayload);
        Assert.Equal(IcmpV4Type.EchoReply, icmp.Type);
        Assert.Equal((ushort)0x4242, icmp.Identifier);
        Assert.Equal((ushort)7, icmp.SequenceNumber);
        Assert.Equal(data, echoed);
        Assert.Equal(payloadCopiedBefore, Memory.Counters.PayloadBytesCopied);
        Assert.Equal(1, (await CountersAsync<IcmpCounters>(Stack.Icmp)).EchoRepliesSent);
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task EchoRequest_BadChecksum_DroppedAndCounted()
    {
        StartStack();
        var request = TestFrames.IcmpEcho(IcmpV4Type.EchoRequest, 1, 1, TestFrames.Pattern(8));
        request[^1] ^= 1;

        Deliver(TestFrames.Ipv4(OurMac, PeerMac, new Ipv4Repr(PeerIp, OurIp, IpProtocol.Icmp, request.Length), request));

        DriverTx.ExpectNoMsg(Quiet);
        Assert.Equal(1, (await CountersAsync<Ipv4RxCounters>(Stack.RxWorker)).BadIcmpChecksum);
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task Ping_PeerAnswers_ReplyWithTtlAndRoundTrip()
    {
        StartStack();
        LearnNeighbour(PeerIp, PeerMac);

        Stack.Icmp.Tell(new InetProtocol.PingRequest(PeerIp, 3, 32, TimeSpan.FromSeconds(2)), TestActor);

        var frame = TestFrames.ParseIpv4(TakeFrame());
        Assert.Equal(IpProtocol.Icmp, frame.Ip.Protocol);
        var (icmp, data) = TestFrames.ParseIcmp(frame.IpPayload);
        Assert.Equal(IcmpV4Type.EchoRequest, icmp.Type);
        Assert.Equal((ushort)3, icmp.SequenceNumber);
        Assert.Equal(32, data.Length);
        await CountersAsync<IcmpCounters>(Stack.Icmp);
        Clock.Advance(TimeSpan.FromMilliseconds(12));

        var reply = TestFrames.IcmpEcho(IcmpV4Type.EchoReply, icmp.Identifier, icmp.SequenceNumber, data);
        Deliver(TestFrames.Ipv4(OurMac, PeerMac, new Ipv4Repr(PeerIp, OurIp, IpProtocol.Icmp, reply.Length) { Ttl = 61 }, reply));

        var pong = ExpectMsg<InetProtocol.PingReply>();
        Assert.Equal(new InetProtocol.PingReply(Error: Errno.None, Sequence: 3, From: PeerIp, Ttl: 61, RoundTrip: TimeSpan.FromMilliseconds(12)), pong);
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task Ping_NoAnswer_EtimedoutAfterTheTimeout()
    {
        StartStack();
        LearnNeighbour(PeerIp, PeerMac);

        Stack.Icmp.Tell(new InetProtocol.PingRequest(PeerIp, 1, 8, TimeSpan.FromSeconds(1)), TestActor);
        TakeFrame();
        await CountersAsync<IcmpCounters>(Stack.Icmp);
        Clock.Advance(TimeSpan.FromMilliseconds(999));
        ExpectNoMsg(Quiet);
        Clock.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Equal(Errno.ETIMEDOUT, ExpectMsg<InetProtocol.PingReply>().Error);
        Assert.Equal(1, (await CountersAsync<IcmpCounters>(Stack.Icmp)).PingTimeouts);
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task Ping_NoRoute_ReplyCarriesEnetunreach()
    {
        StartStack();

        Stack.Icmp.Tell(new InetProtocol.PingRequest(Ipv4Address.Parse("198.51.100.1"), 9, 8, TimeSpan.FromSeconds(1)), TestActor);

        Assert.Equal(Errno.ENETUNREACH, ExpectMsg<InetProtocol.PingReply>().Error);
        await StopAndAssertNoLeakAsync();
    }

    [Theory]
    [InlineData("10.0.0.1")]
    [InlineData("127.0.0.1")]
    public async Task Ping_OwnAddress_AnsweredThroughLoopbackWithoutTheNic(string address)
    {
        StartStack();
        var destination = Ipv4Address.Parse(address);

        Stack.Icmp.Tell(new InetProtocol.PingRequest(destination, 5, 100, TimeSpan.FromSeconds(2)), TestActor);

        var pong = ExpectMsg<InetProtocol.PingReply>();
        Assert.Equal(Errno.None, pong.Error);
        Assert.Equal(destination, pong.From);
        Assert.Equal(64, pong.Ttl);
        DriverTx.ExpectNoMsg(Quiet);
        Assert.Equal(2, (await CountersAsync<Ipv4TxCounters>(Stack.IpTx)).LoopbackFrames);
        await StopAndAssertNoLeakAsync();
    }
}
