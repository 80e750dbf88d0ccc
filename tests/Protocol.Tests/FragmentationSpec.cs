using Edsos.Protocol.Udp;
using Edsos.Protocol.Ipv4;
using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Tests;

/// <summary>IPv4 fragmentation on send (RFC 791 3.2) by divide, and reassembly on receive by merge.</summary>
public sealed class FragmentationSpec : InetSpecBase
{
    [Theory]
    [InlineData(4096, 3)]
    [InlineData(UdpLimits.MaxPayload, 45)]
    public async Task Xmit_AboveMtu_FragmentsAtEightByteBoundariesWithOneIdentification(int size, int expectedFragments)
    {
        StartStack();
        LearnNeighbour(PeerIp, PeerMac);
        var data = TestFrames.Pattern(size, seed: 3);
        var payload = SharePayload(data, out var userBuffer);
        var userPages = Memory.Inspect(UserTs, userBuffer).Unwrap().Extents;
        long payloadCopiedBefore = Memory.Counters.PayloadBytesCopied;

        SendUdp(20, payload, size, new Ipv4Endpoint(Ipv4Address.Any, 5000), new Ipv4Endpoint(PeerIp, 9000));

        var reassembled = new byte[8 + size];
        int expectedOffset = 0;
        ushort? identification = null;
        for (int i = 0; i < expectedFragments; i++)
        {
            var xmit = ExpectFrame();
            var frame = TestFrames.ParseIpv4(ReadFrame(xmit));
            Assert.True(frame.Ip.IsFragment);
            Assert.Equal(expectedOffset, frame.Ip.FragmentOffset);
            Assert.Equal(i < expectedFragments - 1, frame.Ip.MoreFragments);
            Assert.True(14 + 20 + frame.IpPayload.Length <= 1514);
            if (frame.Ip.MoreFragments)
            {
                Assert.Equal(1480, frame.IpPayload.Length);
            }

            identification ??= frame.Ip.Identification;
            Assert.Equal(identification, frame.Ip.Identification);
            frame.IpPayload.CopyTo(reassembled, expectedOffset);
            expectedOffset += frame.IpPayload.Length;

            // Every payload extent of every fragment lies inside the user's pages.
            var extents = Memory.Inspect(DriverTs, xmit.Skb).Unwrap().Extents;
            for (int e = 1; e < extents.Count; e++)
            {
                Assert.Contains(userPages, page => extents[e].Address >= page.Address && extents[e].End <= page.End);
            }

            Complete(xmit);
        }

        Assert.Equal(8 + size, expectedOffset);
        var (udp, received, _) = TestFrames.ParseUdp(reassembled, OurIp, PeerIp);
        Assert.Equal(size, udp.PayloadLength);
        Assert.Equal(data, received);
        Assert.Equal(payloadCopiedBefore, Memory.Counters.PayloadBytesCopied);
        Assert.Equal(new Ipv4Protocol.IpXmitComplete(20, size, Errno.None), Socket.ExpectMsg<Ipv4Protocol.IpXmitComplete>());
        DriverTx.ExpectNoMsg(Quiet);
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task Xmit_OneFragmentFails_DatagramReportsTheError()
    {
        StartStack();
        LearnNeighbour(PeerIp, PeerMac);

        SendUdp(21, TestFrames.Pattern(3000), PeerIp);

        Complete(ExpectFrame());
        Complete(ExpectFrame(), Driver.TxStatus.RingFull);
        Complete(ExpectFrame());
        Assert.Equal(new Ipv4Protocol.IpXmitComplete(21, 0, Errno.ENOBUFS), Socket.ExpectMsg<Ipv4Protocol.IpXmitComplete>());
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task Receive_FragmentsInOrder_OneDatagramWithTheExactBytes()
    {
        StartStack();
        Assert.Equal(Errno.None, Bind(9000).Error);
        var data = TestFrames.Pattern(4000, seed: 11);
        var fragments = Fragment(data, identification: 0x1234);

        foreach (var fragment in fragments)
        {
            Deliver(fragment);
        }

        var received = Socket.ExpectMsg<InetProtocol.DatagramReceivedEvent>();
        Assert.Equal(new Ipv4Endpoint(PeerIp, 4444), received.From);
        Assert.Equal(new Ipv4Endpoint(OurIp, 9000), received.To);
        Assert.Equal(data, Consume(received));
        Assert.Equal(1, (await CountersAsync<Ipv4RxCounters>(Stack.RxWorker)).Reassembled);
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task Receive_FragmentsOutOfOrderWithADuplicate_OneDatagram()
    {
        StartStack();
        Bind(9000);
        var data = TestFrames.Pattern(4000, seed: 5);
        var fragments = Fragment(data, identification: 0x0202);

        Deliver(fragments[2]);
        Deliver(fragments[0]);
        Deliver(fragments[0]);
        Deliver(fragments[1]);

        Assert.Equal(data, Consume(Socket.ExpectMsg<InetProtocol.DatagramReceivedEvent>()));
        Socket.ExpectNoMsg(Quiet);
        var counters = await CountersAsync<Ipv4RxCounters>(Stack.RxWorker);
        Assert.Equal(4, counters.FragmentsReceived);
        Assert.Equal(1, counters.FragmentsDropped);
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task Receive_IncompleteDatagram_TimesOutAndFreesItsFragments()
    {
        StartStack(options => options with { Reassembly = new FragmentReassemblerOptions { Timeout = TimeSpan.FromSeconds(30) } });
        Bind(9000);
        var fragments = Fragment(TestFrames.Pattern(4000), identification: 9);
        Deliver(fragments[0]);
        Deliver(fragments[2]);
        Assert.Equal(2, (await CountersAsync<Ipv4RxCounters>(Stack.RxWorker)).FragmentsReceived);
        Assert.NotEmpty(Memory.GetLeakReport(Stack.RxTs).Nodes);

        Clock.Advance(TimeSpan.FromSeconds(31));

        await AwaitAssertAsync(async () => Assert.Equal(1, (await CountersAsync<Ipv4RxCounters>(Stack.RxWorker)).ReassemblyTimeouts));
        Assert.True(Memory.GetLeakReport(Stack.RxTs).IsClean, Memory.GetLeakReport(Stack.RxTs).ToString());
        Socket.ExpectNoMsg(Quiet);
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task Stack_SendsToItsPeer_PeerReassemblesTheSameBytes()
    {
        // The transmit side's fragments, fed back as a peer would receive them, reassemble exactly.
        StartStack();
        LearnNeighbour(PeerIp, PeerMac);
        Bind(9000);
        var data = TestFrames.Pattern(5000, seed: 1);
        SendUdp(22, data, PeerIp, destinationPort: 9000);
        var frames = new List<byte[]>();
        for (int i = 0; i < 4; i++)
        {
            frames.Add(TakeFrame());
        }

        Assert.Equal(Errno.None, Socket.ExpectMsg<Ipv4Protocol.IpXmitComplete>().Error);
        frames.Reverse();
        foreach (var frame in frames)
        {
            // Readdress each fragment to us as if the peer had sent it: swap MACs and addresses.
            var parsed = TestFrames.ParseIpv4(frame);
            var ip = parsed.Ip with { Source = PeerIp, Destination = OurIp };
            // Swapping source and destination leaves the UDP pseudo-header sum, and so the checksum, valid.
            Deliver(TestFrames.Ipv4(OurMac, PeerMac, ip, parsed.IpPayload));
        }

        Assert.Equal(data, Consume(Socket.ExpectMsg<InetProtocol.DatagramReceivedEvent>()));
        await StopAndAssertNoLeakAsync();
    }

    /// <summary>A UDP datagram from the peer to port 9000, fragmented for a 1500-byte MTU by hand.</summary>
    private static List<byte[]> Fragment(byte[] data, ushort identification)
    {
        var datagram = TestFrames.UdpDatagram(PeerIp, OurIp, 4444, 9000, data);
        var pieces = Fragmenter.Plan(datagram.Length, 20, 1500);
        var frames = new List<byte[]>();
        foreach (var piece in pieces)
        {
            var ip = new Ipv4Repr(PeerIp, OurIp, IpProtocol.Udp, piece.Length)
            {
                Identification = identification,
                MoreFragments = piece.MoreFragments,
                FragmentOffset = piece.Offset,
            };
            frames.Add(TestFrames.Ipv4(OurMac, PeerMac, ip, datagram.AsSpan(piece.Offset, piece.Length)));
        }

        return frames;
    }
}
