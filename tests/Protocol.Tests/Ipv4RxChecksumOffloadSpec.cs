using Edsos.Driver;
using Edsos.Protocol.Ipv4;
using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Tests;

/// <summary>
/// The receive worker's side of the NIC's receive checksum offload (<see cref="DriverProtocol.FrameReceivedEvent.Checksum"/>):
/// a TCP or UDP checksum the NIC reports good is not summed again (counted in <see cref="Ipv4RxCounters.ChecksumOffloaded"/>),
/// one it reports bad or did not check is verified here, and dropped and counted when wrong.
/// </summary>
public sealed class Ipv4RxChecksumOffloadSpec : InetSpecBase
{
    private const RxChecksum Good = RxChecksum.Ipv4Good | RxChecksum.TransportGood;
    private const RxChecksum Bad = RxChecksum.Ipv4Good | RxChecksum.TransportBad;

    [Fact]
    public async Task Receive_UdpTheNicReportsGood_DeliveredWithoutASumHereAndCounted()
    {
        StartStack();
        Bind(7);

        // The checksum field is wrong, but the NIC said good: the stack trusts it (a real NIC would not have said so),
        // which shows it did not sum the datagram itself.
        var frame = TestFrames.Udp(OurMac, PeerMac, PeerIp, OurIp, 3333, 7, TestFrames.Pattern(40));
        frame[^1] ^= 0xFF;
        Deliver(frame, Good);

        Assert.Equal(40, Consume(Socket.ExpectMsg<InetProtocol.DatagramReceivedEvent>()).Length);
        var counters = await CountersAsync<Ipv4RxCounters>(Stack.RxWorker);
        Assert.Equal((1, 0), (counters.ChecksumOffloaded, counters.BadUdpChecksum));
        await StopAndAssertNoLeakAsync();
    }

    [Theory]
    [InlineData(RxChecksum.Ipv4Good | RxChecksum.TransportBad)]
    [InlineData(RxChecksum.None)]
    public async Task Receive_UdpCorruptedNotReportedGood_VerifiedHereDroppedAndCounted(RxChecksum report)
    {
        StartStack();
        Bind(7);
        var frame = TestFrames.Udp(OurMac, PeerMac, PeerIp, OurIp, 3333, 7, TestFrames.Pattern(40));
        frame[^1] ^= 0xFF;

        Deliver(frame, report);
        Deliver(TestFrames.Udp(OurMac, PeerMac, PeerIp, OurIp, 3333, 7, TestFrames.Pattern(12)), report);

        // The good one after it is verified here too, and delivered.
        Assert.Equal(TestFrames.Pattern(12), Consume(Socket.ExpectMsg<InetProtocol.DatagramReceivedEvent>()));
        var counters = await CountersAsync<Ipv4RxCounters>(Stack.RxWorker);
        Assert.Equal((0, 1, 1L), (counters.ChecksumOffloaded, counters.BadUdpChecksum, counters.UdpDelivered));
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task Receive_UdpWithoutChecksumReportedGood_NotCountedAsOffloaded()
    {
        StartStack();
        Bind(7);

        Deliver(TestFrames.Udp(OurMac, PeerMac, PeerIp, OurIp, 3333, 7, TestFrames.Pattern(10), checksum: false), Good);

        Assert.Equal(TestFrames.Pattern(10), Consume(Socket.ExpectMsg<InetProtocol.DatagramReceivedEvent>()));
        Assert.Equal(0, (await CountersAsync<Ipv4RxCounters>(Stack.RxWorker)).ChecksumOffloaded);
        await StopAndAssertNoLeakAsync();
    }

    [Theory]
    [InlineData(Good, false, 1, 0)]
    [InlineData(Bad, true, 0, 1)]
    [InlineData(RxChecksum.None, true, 0, 1)]
    [InlineData(RxChecksum.None, false, 0, 0)]
    public async Task Receive_TcpSegment_TrustsOnlyAGoodReport(RxChecksum report, bool corrupt, long offloaded, long bad)
    {
        StartStack();
        var frame = TcpFrame(TestFrames.Pattern(100));
        if (corrupt)
        {
            frame[^5] ^= 0x22;
        }

        Deliver(frame, report);

        await AwaitAssertAsync(async () => Assert.Equal(1, (await CountersAsync<Ipv4RxCounters>(Stack.RxWorker)).Frames));
        var counters = await CountersAsync<Ipv4RxCounters>(Stack.RxWorker);
        Assert.Equal((offloaded, bad, 1 - bad), (counters.ChecksumOffloaded, counters.BadTcpChecksum, counters.TcpSegments));
        await StopAndAssertNoLeakAsync();
    }

    /// <summary>An ACK segment from the peer to a port nobody listens on, with its checksum (the stack answers it with RST).</summary>
    private byte[] TcpFrame(byte[] payload)
    {
        var tcp = new TcpRepr(40000, 80, 1000, 1, TcpFlags.Ack, 1024);
        var segment = new byte[TcpRepr.MinHeaderLength + payload.Length];
        ChecksumAccumulator payloadSum = default;
        payloadSum.Add(payload);
        tcp.EmitHeader(segment, PeerIp, OurIp, in payloadSum);
        payload.CopyTo(segment, TcpRepr.MinHeaderLength);
        return TestFrames.Ipv4(OurMac, PeerMac, new Ipv4Repr(PeerIp, OurIp, IpProtocol.Tcp, segment.Length) { Identification = 3 }, segment);
    }
}
