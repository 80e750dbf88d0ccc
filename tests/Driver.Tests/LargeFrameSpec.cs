using Edsos.Driver.Tests.Support;
using Edsos.Memory;
using Edsos.Scheduler;
using Akka.Actor;
using Akka.TestKit;
using static Edsos.Driver.DriverProtocol;

namespace Edsos.Driver.Tests;

/// <summary>
/// Large frames on the wire (<see cref="NicOptions.LargeFrames"/>) and RX buffers posted in blocks
/// (<see cref="NicOptions.RxBuffersPerBlock"/>): a TSO super-frame crosses the wire whole and arrives as one frame,
/// a frame spread over buffers of two blocks arrives joined, and posting costs one push per block.
/// </summary>
public sealed class LargeFrameSpec : DriverSpecBase
{
    private static readonly TxOffload s_offload = new(1460, TcpFrames.Ipv4Offset, TcpFrames.TcpOffset, TcpFrames.HeaderLength);

    private static NicOptions Large(string name, int buffersPerBlock = 8) => Small(name, txRing: 64, rxRing: 64) with
    {
        LargeFrames = true,
        RxBufferSize = 4096,
        RxBuffersPerBlock = buffersPerBlock,
        MaxFrameLength = 16_000,
    };

    [Fact]
    public async Task Xmit_OffloadSkbBetweenLargeFrameNics_OneFrameOnTheWireOneFrameReceived()
    {
        // Arrange
        var (a, b) = await NicDriver.StartPairAsync(Sys, Large("nic_a"), Large("nic_b"), Long);
        var handler = CreateTestProbe("rx-handler");
        b.RxWorker.Tell(new AttachRx(handler, Skbs.HandlerTs));
        await b.RxWorker.Ask<WorkerProtocol.Ready>(new WorkerProtocol.AwaitReady(), Long);
        const int payloadLength = 60_000;
        var payload = Bytes.Pattern(payloadLength, 3);
        var skb = Skbs.Build(a.DriverTs, TcpFrames.Header(payloadLength, 7, 5000, TcpFrames.Ack | TcpFrames.Psh), payload, "tso");

        // Act
        a.TxWorker.Tell(new XmitSkbEvent(Skb: skb.Capability, Length: skb.Length, Token: 1, ReplyTo: TestActor, Offload: s_offload), TestActor);

        // Assert: one frame of the whole super-segment, fixed up as one TCP segment, in one CTRN.
        ExpectMsg<SendCompleteEvent>(m => m.Status == TxStatus.Sent);
        var received = handler.ExpectMsg<FrameReceivedEvent>();
        handler.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Assert.Equal(TcpFrames.HeaderLength + payloadLength, received.Length);
        var frame = Skbs.ReadAndPop(received.Frame, received.Length);
        Assert.Equal(payload, frame[TcpFrames.HeaderLength..]);
        Assert.Equal(received.Length - TcpFrames.Ipv4Offset, TcpFrames.IpTotalLength(frame));
        Assert.Equal(5000u, TcpFrames.Sequence(frame));
        Assert.Equal(TcpFrames.Ack | TcpFrames.Psh, TcpFrames.Flags(frame));
        Assert.True(TcpFrames.Ipv4ChecksumValid(frame));
        Assert.True(TcpFrames.TcpChecksumValid(frame));
        var sent = await NicDriver.GetStatisticsAsync(a, Long);
        var taken = await NicDriver.GetStatisticsAsync(b, Long);
        Assert.Equal(1, sent.FramesSent);
        Assert.Equal(1, sent.TsoFrames);
        Assert.Equal(1, taken.FramesReceived);
        Assert.Equal(0, taken.RxMissed);
        await NicDriver.StopAsync(Sys, a, Long);
        await NicDriver.StopAsync(Sys, b, Long);
        AssertNoLeak();
    }

    [Fact]
    public async Task Xmit_OffloadSkbToNicWithoutLargeFrames_PeerDropsItAsTooLong()
    {
        var (a, b) = await NicDriver.StartPairAsync(Sys, Large("nic_a"), Small("nic_b"), Long);
        var handler = CreateTestProbe("rx-handler");
        b.RxWorker.Tell(new AttachRx(handler, Skbs.HandlerTs));
        await b.RxWorker.Ask<WorkerProtocol.Ready>(new WorkerProtocol.AwaitReady(), Long);
        var skb = Skbs.Build(a.DriverTs, TcpFrames.Header(20_000, 7, 1, TcpFrames.Ack), Bytes.Pattern(20_000, 1), "tso");

        a.TxWorker.Tell(new XmitSkbEvent(Skb: skb.Capability, Length: skb.Length, Token: 1, ReplyTo: TestActor, Offload: s_offload), TestActor);

        ExpectMsg<SendCompleteEvent>(m => m.Status == TxStatus.Sent);
        handler.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        Assert.Equal(0, (await NicDriver.GetStatisticsAsync(b, Long)).FramesReceived);
        await NicDriver.StopAsync(Sys, a, Long);
        await NicDriver.StopAsync(Sys, b, Long);
        AssertNoLeak();
    }

    [Fact]
    public async Task Receive_FrameAcrossTwoBlocks_ArrivesWholeAsOneCtrn()
    {
        // Arrange: blocks of 4 page-sized buffers; a small frame takes the first buffer of the first block, so the
        // next 14,000-byte frame (4 buffers) takes the other 3 and the first of the second block.
        var (a, b) = await NicDriver.StartPairAsync(Sys, Large("nic_a", 4), Large("nic_b", 4), Long);
        var handler = CreateTestProbe("rx-handler");
        b.RxWorker.Tell(new AttachRx(handler, Skbs.HandlerTs));
        await b.RxWorker.Ask<WorkerProtocol.Ready>(new WorkerProtocol.AwaitReady(), Long);
        var large = Bytes.Pattern(14_000 - 14, 9);

        // Act
        Send(a, Bytes.Pattern(14, 0), Bytes.Pattern(100, 1), 1, TestActor);
        Send(a, Bytes.Pattern(14, 0), large, 2, TestActor);

        // Assert
        ExpectMsg<SendCompleteEvent>();
        ExpectMsg<SendCompleteEvent>();
        var small = handler.ExpectMsg<FrameReceivedEvent>();
        Assert.Equal(114, small.Length);
        Skbs.ReadAndPop(small.Frame, small.Length);
        var joined = handler.ExpectMsg<FrameReceivedEvent>();
        Assert.Equal(14_000, joined.Length);
        Assert.Equal(large, Skbs.ReadAndPop(joined.Frame, joined.Length)[14..]);
        await NicDriver.StopAsync(Sys, a, Long);
        await NicDriver.StopAsync(Sys, b, Long);
        AssertNoLeak();
    }

    [Fact]
    public async Task Receive_SmallFramesWithBlocksOfEight_OnePushPerBlockAndAllDeliveredInOrder()
    {
        // Arrange
        var (a, b, handler) = await StartWithHandlerAsync(Large("nic_b", 8));
        var pushes = new PushCounter(Memory, b.DriverTs);
        using var observer = pushes.Observe();

        // Act: 24 frames, one buffer each: 3 blocks' worth (two TX descriptors each fit the 64-slot TX ring).
        const int frames = 24;
        for (var i = 0; i < frames; i++)
        {
            Send(a, Bytes.Pattern(14, 0), [(byte)i, .. Bytes.Pattern(50, 1)], (ulong)i, TestActor);
        }

        // Assert
        for (var i = 0; i < frames; i++)
        {
            var received = handler.ExpectMsg<FrameReceivedEvent>();
            Assert.Equal((byte)i, Skbs.ReadAndPop(received.Frame, received.Length)[14]);
        }

        ReceiveN(frames);
        Assert.InRange(pushes.Count, frames / 8, (frames / 8) + 1);
        await NicDriver.StopAsync(Sys, a, Long);
        await NicDriver.StopAsync(Sys, b, Long);
        AssertNoLeak();
    }

    [Fact]
    public async Task Receive_WithSpareBlocks_ConsumedBlocksPostedAgainOnceReleased_FewFreshPushes()
    {
        // Arrange: a 64-slot ring in blocks of 8, two spares; the handler releases each frame before the next is sent.
        var (a, b, handler) = await StartWithHandlerAsync(Large("nic_b", 8) with { RxSpareBlocks = 2 });
        var pushes = new PushCounter(Memory, b.DriverTs);
        using var observer = pushes.Observe();

        // Act: 80 frames, ten blocks' worth, one at a time.
        const int frames = 80;
        for (var i = 0; i < frames; i++)
        {
            Send(a, Bytes.Pattern(14, 0), [(byte)i, .. Bytes.Pattern(3000, (byte)i)], (ulong)i, TestActor);
            ExpectMsg<SendCompleteEvent>();
            var received = handler.ExpectMsg<FrameReceivedEvent>();
            Assert.Equal([(byte)i, .. Bytes.Pattern(3000, (byte)i)], Skbs.ReadAndPop(received.Frame, received.Length)[14..]);
        }

        // Assert: the block consumed last is still held when the driver refills (its frame is on the way up), so one
        // fresh block is pushed; from then on the oldest spare is free at every refill. Without spares: ten pushes.
        Assert.InRange(pushes.Count, 1, 2);
        await NicDriver.StopAsync(Sys, a, Long);
        await NicDriver.StopAsync(Sys, b, Long);
        AssertNoLeak();
    }

    [Fact]
    public async Task Receive_WithSpareBlocks_FramesStillHeldAreNeverWrittenOver()
    {
        // Arrange
        var (a, b, handler) = await StartWithHandlerAsync(Large("nic_b", 8) with { RxSpareBlocks = 2 });

        // Act: a block's worth of frames kept by the handler, then the ring cycled twice over by frames released at once.
        var held = new List<FrameReceivedEvent>();
        for (var i = 0; i < 8; i++)
        {
            Send(a, Bytes.Pattern(14, 0), Bytes.Pattern(2000, (byte)(100 + i)), (ulong)i, TestActor);
            ExpectMsg<SendCompleteEvent>();
            held.Add(handler.ExpectMsg<FrameReceivedEvent>());
        }

        for (var i = 0; i < 128; i++)
        {
            Send(a, Bytes.Pattern(14, 0), Bytes.Pattern(2000, (byte)i), (ulong)(8 + i), TestActor);
            ExpectMsg<SendCompleteEvent>();
            var received = handler.ExpectMsg<FrameReceivedEvent>();
            Skbs.ReadAndPop(received.Frame, received.Length);
        }

        // Assert: the held frames' bytes are the ones they arrived with; their block was retired, not reposted.
        for (var i = 0; i < 8; i++)
        {
            Assert.Equal(Bytes.Pattern(2000, (byte)(100 + i)), Skbs.ReadAndPop(held[i].Frame, held[i].Length)[14..]);
        }

        var taken = await NicDriver.GetStatisticsAsync(b, Long);
        Assert.Equal(136, taken.FramesReceived);
        await NicDriver.StopAsync(Sys, a, Long);
        await NicDriver.StopAsync(Sys, b, Long);
        AssertNoLeak();
    }

    [Fact]
    public async Task Receive_WithSpareBlocks_ABlockStillHeldDoesNotHoldBackTheSparesBehindIt()
    {
        // Arrange: four spares; the first block's frames are kept by the handler throughout.
        var (a, b, handler) = await StartWithHandlerAsync(Large("nic_b", 8) with { RxSpareBlocks = 4 });
        var pushes = new PushCounter(Memory, b.DriverTs);
        using var observer = pushes.Observe();
        var held = new List<FrameReceivedEvent>();
        for (var i = 0; i < 8; i++)
        {
            Send(a, Bytes.Pattern(14, 0), Bytes.Pattern(1000, (byte)(50 + i)), (ulong)i, TestActor);
            ExpectMsg<SendCompleteEvent>();
            held.Add(handler.ExpectMsg<FrameReceivedEvent>());
        }

        // Act: eight more blocks' worth, each frame released as it arrives.
        for (var i = 0; i < 64; i++)
        {
            Send(a, Bytes.Pattern(14, 0), Bytes.Pattern(1000, (byte)i), (ulong)(8 + i), TestActor);
            ExpectMsg<SendCompleteEvent>();
            var received = handler.ExpectMsg<FrameReceivedEvent>();
            Skbs.ReadAndPop(received.Frame, received.Length);
        }

        // Assert: a fresh block when the held one was consumed and one more while the next was still on its way up;
        // from then on a spare behind the held block is free at every refill (testing only the oldest spare, the
        // driver pushed a fresh block at every refill until the held block was retired: four).
        Assert.InRange(pushes.Count, 1, 2);
        for (var i = 0; i < 8; i++)
        {
            Assert.Equal(Bytes.Pattern(1000, (byte)(50 + i)), Skbs.ReadAndPop(held[i].Frame, held[i].Length)[14..]);
        }

        await NicDriver.StopAsync(Sys, a, Long);
        await NicDriver.StopAsync(Sys, b, Long);
        AssertNoLeak();
    }

    /// <summary>NIC <c>nic_a</c> (large frames, blocks of 8) wired to NIC <c>nic_b</c> with <paramref name="b"/>, whose frames go to the returned probe.</summary>
    private async Task<(NicHandle A, NicHandle B, TestProbe Handler)> StartWithHandlerAsync(NicOptions b)
    {
        var (nicA, nicB) = await NicDriver.StartPairAsync(Sys, Large("nic_a"), b, Long);
        var handler = CreateTestProbe("rx-handler");
        nicB.RxWorker.Tell(new AttachRx(handler, Skbs.HandlerTs));
        await nicB.RxWorker.Ask<WorkerProtocol.Ready>(new WorkerProtocol.AwaitReady(), Long);
        return (nicA, nicB, handler);
    }

    /// <summary>Counts the pushes <paramref name="ts"/> makes while observed (the driver's RX blocks).</summary>
    private sealed class PushCounter(MemoryManager memory, TsId ts)
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public IDisposable Observe() => memory.Observe(r =>
        {
            if (r.Op == MemoryOp.Push && r.Caller == ts)
            {
                Interlocked.Increment(ref _count);
            }
        });
    }
}
