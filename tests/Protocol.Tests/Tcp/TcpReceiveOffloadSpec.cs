using Edsos.Driver;
using Edsos.Memory;
using Edsos.Protocol.Ipv4;
using Edsos.Protocol.Tcp;
using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Tests.Tcp;

/// <summary>
/// Receive offload with <see cref="InetStackOptions.Batching"/>: in-order data segments of one flow that arrive in one
/// batch of frames reach TCP as one segment (payload nodes merged, no copy), are delivered to the socket as one node and
/// acknowledged at once; a segment that does not join (a gap) ends the run.
/// </summary>
public sealed class TcpReceiveOffloadSpec : TcpSpecBase
{
    private const uint PeerIss = 5000;

    [Fact]
    public async Task FrameBatch_InOrderSegments_OneSegmentToTcpOneDeliveryOneAck()
    {
        var synAck = StartBatching();
        uint ack = synAck.Sequence + 1;
        var batch = DriverBatchProtocol.FrameReceivedBatchEvent.Rent();
        var expected = new List<byte>();
        for (int i = 0; i < 4; i++)
        {
            var data = TestFrames.Pattern(1000, i);
            expected.AddRange(data);
            batch.Add(Frame(Segment(PeerIss + 1 + (uint)(1000 * i), ack, i == 3 ? TcpFlags.Ack | TcpFlags.Psh : TcpFlags.Ack), data));
        }

        Stack.RxWorker.Tell(batch, DriverRx.Ref);

        Assert.Equal(expected.ToArray(), ReceiveStream());
        var (answer, _) = TakeSegment();
        Assert.Equal(PeerIss + 1 + 4000, answer.Acknowledgement);
        var counters = await CountersAsync<Ipv4RxCounters>(Stack.RxWorker);
        // The handshake's SYN and ACK, then the four data segments, three of them joined to the first.
        Assert.Equal((2 + 4, 3), (counters.TcpSegments, counters.TcpCoalesced));
        Socket.ExpectNoMsg(Quiet);
        await StopTcpAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task FrameBatch_GapInTheMiddle_RunEndsAndTheLaterDataWaits()
    {
        var synAck = StartBatching();
        uint ack = synAck.Sequence + 1;
        var batch = DriverBatchProtocol.FrameReceivedBatchEvent.Rent();
        batch.Add(Frame(Segment(PeerIss + 1, ack, TcpFlags.Ack), TestFrames.Pattern(500, 1)));
        batch.Add(Frame(Segment(PeerIss + 501, ack, TcpFlags.Ack), TestFrames.Pattern(500, 2)));

        // 500 bytes missing here: this one is out of order and held by TCP, not joined.
        batch.Add(Frame(Segment(PeerIss + 1501, ack, TcpFlags.Ack), TestFrames.Pattern(500, 4)));
        Stack.RxWorker.Tell(batch, DriverRx.Ref);

        Assert.Equal([.. TestFrames.Pattern(500, 1), .. TestFrames.Pattern(500, 2)], ReceiveStream());
        var counters = await CountersAsync<Ipv4RxCounters>(Stack.RxWorker);
        Assert.Equal((2 + 3, 1), (counters.TcpSegments, counters.TcpCoalesced));

        // The gap filled: the held segment follows in order.
        DeliverSegment(Segment(PeerIss + 1001, ack, TcpFlags.Ack), TestFrames.Pattern(500, 3));
        Assert.Equal([.. TestFrames.Pattern(500, 3), .. TestFrames.Pattern(500, 4)], ReceiveAll(1000));
        await StopTcpAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task FrameBatch_SegmentsThatDoNotJoin_TheSocketGetsThePollsDataInOneBatch()
    {
        var synAck = StartBatching();
        uint ack = synAck.Sequence + 1;
        var batch = DriverBatchProtocol.FrameReceivedBatchEvent.Rent();

        // A window update between them keeps receive offload from joining the two (GRO needs the same window).
        batch.Add(Frame(Segment(PeerIss + 1, ack, TcpFlags.Ack, window: 60000), TestFrames.Pattern(700, 1)));
        batch.Add(Frame(Segment(PeerIss + 701, ack, TcpFlags.Ack | TcpFlags.Psh, window: 50000), TestFrames.Pattern(300, 2)));
        Stack.RxWorker.Tell(batch, DriverRx.Ref);

        var delivered = Socket.ExpectMsg<InetProtocol.DatagramReceivedBatchEvent>();
        Assert.Equal(2, delivered.Count);
        Assert.Equal(TestFrames.Pattern(700, 1), Consume(delivered[0]));
        Assert.Equal(TestFrames.Pattern(300, 2), Consume(delivered[1]));
        var counters = await CountersAsync<Ipv4RxCounters>(Stack.RxWorker);
        Assert.Equal((2 + 2, 0), (counters.TcpSegments, counters.TcpCoalesced));
        Socket.ExpectNoMsg(Quiet);
        await StopTcpAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task FrameBatch_DataThenFin_TheDataBatchReachesTheSocketBeforeTheEnd()
    {
        var synAck = StartBatching();
        uint ack = synAck.Sequence + 1;
        var batch = DriverBatchProtocol.FrameReceivedBatchEvent.Rent();
        batch.Add(Frame(Segment(PeerIss + 1, ack, TcpFlags.Ack, window: 60000), TestFrames.Pattern(400, 1)));
        batch.Add(Frame(Segment(PeerIss + 401, ack, TcpFlags.Ack, window: 50000), TestFrames.Pattern(400, 2)));
        batch.Add(Frame(Segment(PeerIss + 801, ack, TcpFlags.Fin | TcpFlags.Ack, window: 50000), []));
        Stack.RxWorker.Tell(batch, DriverRx.Ref);

        // The FIN is handled in the same turn as the data: its end of stream must not overtake the batch.
        var delivered = Socket.ExpectMsg<InetProtocol.DatagramReceivedBatchEvent>();
        Assert.Equal([.. TestFrames.Pattern(400, 1), .. TestFrames.Pattern(400, 2)], [.. Consume(delivered[0]), .. Consume(delivered[1])]);
        Socket.ExpectMsg<InetProtocol.StreamEofEvent>();
        await StopTcpAndAssertNoLeakAsync();
    }

    private TcpRepr StartBatching()
    {
        StartStack(o => o with { Tcp = new TcpOptions { InitialSequence = OurIss }, Batching = true });
        LearnNeighbour(PeerIp, PeerMac);
        return Established(PeerIss);
    }

    /// <summary>Stream bytes the socket probe receives until <paramref name="length"/> have come.</summary>
    private byte[] ReceiveAll(int length)
    {
        var bytes = new List<byte>();
        while (bytes.Count < length)
        {
            bytes.AddRange(ReceiveStream());
        }

        return bytes.ToArray();
    }

    /// <summary>A segment from the peer as a received frame, shared into the receive TS as the driver would hand it up.</summary>
    private DriverProtocol.FrameReceivedEvent Frame(TcpRepr header, byte[] payload)
    {
        header = header with { SourcePort = Peer.Port, DestinationPort = OurServer.Port };
        ChecksumAccumulator sum = default;
        sum.Add(payload);
        var segment = new byte[header.HeaderLength + payload.Length];
        header.EmitHeader(segment, PeerIp, OurIp, in sum);
        payload.CopyTo(segment.AsSpan(header.HeaderLength));
        var frame = TestFrames.Ipv4(OurMac, PeerMac, new Ipv4Repr(PeerIp, OurIp, IpProtocol.Tcp, segment.Length), segment);
        var buffer = Memory.Push(DriverTs, "rx_ring/buf", frame.Length).Unwrap();
        Memory.Write(DriverTs, buffer, 0, frame, CopyKind.Metadata).ThrowIfFailed();
        var info = Memory.Inspect(DriverTs, buffer).Unwrap();
        var shared = Memory.CtShare(DriverTs, buffer, info.Gva, frame.Length, Stack.RxTs, "rx/frame", Rights.Read | Rights.Share | Rights.Map).Unwrap();
        Memory.Pop(DriverTs, buffer).ThrowIfFailed();
        return DriverProtocol.FrameReceivedEvent.Rent(shared, frame.Length);
    }
}
