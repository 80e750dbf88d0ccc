using Edsos.Driver.Device;
using Edsos.Driver.Ring;
using Edsos.Driver.Tests.Support;
using Edsos.Driver.Wires;
using Akka.Actor;
using Edsos.Scheduler;
using static Edsos.Driver.DriverProtocol;

namespace Edsos.Driver.Tests;

public sealed class NicDriverSpec : DriverSpecBase
{
    [Fact]
    public async Task Xmit_MergedSkbOverLoopbackPair_ArrivesByteExactAsFrameReceivedEvent()
    {
        var (a, b) = await NicDriver.StartPairAsync(Sys, Small("nic_a"), Small("nic_b"), Long);
        var handler = CreateTestProbe("rx-handler");
        b.RxWorker.Tell(new AttachRx(handler, Skbs.HandlerTs));

        var skb = Send(a, Bytes.Pattern(42, 1), Bytes.Pattern(1400, 3), 7, TestActor);

        var completion = ExpectMsg<SendCompleteEvent>();
        Assert.Equal(new SendCompleteEvent(7, skb.Length, TxStatus.Sent, 31), completion);
        var received = handler.ExpectMsg<FrameReceivedEvent>();
        Assert.Equal(skb.Length, received.Length);
        Assert.Equal(skb.Bytes, Skbs.ReadAndPop(received.Frame, received.Length));
        await NicDriver.StopAsync(Sys, a, Long);
        await NicDriver.StopAsync(Sys, b, Long);
        AssertNoLeak();
    }

    [Fact]
    public void Start_RxBufferLargerThanAPage_IsRefusedBeforeAnythingStarts()
    {
        // Such a buffer needs contiguous pages, which a fragmented arena does not have: the ring would drain for good.
        var options = Small("nic_big") with { RxBufferSize = Memory.PageSize * 4, MaxFrameLength = Memory.PageSize * 4 };
        int nodes = Memory.Counters.LiveNodes;

        var refused = Assert.Throws<ArgumentOutOfRangeException>(() => NicDriver.Start(Sys, options, new NullWire()));

        Assert.Contains("at most one arena page", refused.Message, StringComparison.Ordinal);
        Assert.Equal(nodes, Memory.Counters.LiveNodes);
    }

    [Fact]
    public async Task Xmit_Skb_DescriptorsPointAtTheHeadersAndTheUsersOwnPages()
    {
        var nic = await StartAsync(Small("nic"), new NullWire());
        var before = Memory.Counters;

        var skb = Send(nic, Bytes.Pattern(42, 1), Bytes.Pattern(3000, 2), 1, TestActor);
        ExpectMsg<SendCompleteEvent>(m => m.Status == TxStatus.Sent);

        var registers = await nic.Device.Ask<VirtualNicProtocol.DeviceRegisters>(new VirtualNicProtocol.GetRegisters(), Long);
        var first = LegacyTxDescriptor.Read(Memory.Backing.Slice(registers.Tdba, 16));
        var second = LegacyTxDescriptor.Read(Memory.Backing.Slice(registers.Tdba + 16, 16));
        Assert.Equal(skb.HeaderExtents[0].Address, first.BufferAddress);
        Assert.Equal(42, first.Length);
        Assert.Equal(skb.PayloadExtents[0].Address, second.BufferAddress);
        Assert.Equal(3000, second.Length);
        Assert.Equal(TxCommand.Eop | TxCommand.Ifcs | TxCommand.Rs, second.Command);
        Assert.Equal(2, registers.Tdh);

        // The app and the protocol wrote their bytes (3042 counted in the factory); the driver copied none.
        var after = Memory.Counters;
        Assert.Equal(3000, after.PayloadBytesCopied - before.PayloadBytesCopied);
        Assert.Equal(42, after.HeaderBytesCopied - before.HeaderBytesCopied);
        Assert.True(after.DmaBytesRead - before.DmaBytesRead >= 3042);
        await NicDriver.StopAsync(Sys, nic, Long);
        AssertNoLeak();
    }

    [Fact]
    public async Task Xmit_SelfLoopbackWire_FrameComesBackToTheSameNic()
    {
        var nic = await StartAsync(Small("lo"), LoopbackWire.CreateSelf());
        nic.RxWorker.Tell(new AttachRx(TestActor, Skbs.HandlerTs));

        var skb = Send(nic, Bytes.Pattern(14, 5), Bytes.Pattern(100, 6), 3, TestActor);

        var received = FishForMessage<FrameReceivedEvent>(_ => true);
        Assert.Equal(skb.Bytes, Skbs.ReadAndPop(received.Frame, received.Length));
        await NicDriver.StopAsync(Sys, nic, Long);
        AssertNoLeak();
    }

    [Fact]
    public async Task StopAsync_AfterTrafficBothWays_LeakReportIsClean()
    {
        var (a, b) = await NicDriver.StartPairAsync(Sys, Small("nic_a"), Small("nic_b"), Long);
        var atA = CreateTestProbe("at-a");
        var atB = CreateTestProbe("at-b");
        a.RxWorker.Tell(new AttachRx(atA, Skbs.HandlerTs));
        b.RxWorker.Tell(new AttachRx(atB, Skbs.HandlerTs));
        Assert.False(Memory.GetLeakReport(a.DriverTs).IsClean);

        for (ulong i = 0; i < 5; i++)
        {
            Send(a, Bytes.Pattern(42, 1), Bytes.Pattern(500, (byte)i), i, TestActor);
            Send(b, Bytes.Pattern(42, 2), Bytes.Pattern(700, (byte)i), 100 + i, TestActor);
        }

        ReceiveN(10);
        for (var i = 0; i < 5; i++)
        {
            var fromA = atB.ExpectMsg<FrameReceivedEvent>();
            Skbs.ReadAndPop(fromA.Frame, fromA.Length);
            var fromB = atA.ExpectMsg<FrameReceivedEvent>();
            Skbs.ReadAndPop(fromB.Frame, fromB.Length);
        }

        await NicDriver.StopAsync(Sys, a, Long);
        await NicDriver.StopAsync(Sys, b, Long);

        AssertNoLeak();
        Assert.Equal(0, Memory.Counters.ActivePins);
    }

    [Fact]
    public async Task GetNicStatistics_AfterTransmit_ReportsDeviceAndDriverCounters()
    {
        var (a, b) = await NicDriver.StartPairAsync(Sys, Small("nic_a"), Small("nic_b"), Long);
        Send(a, Bytes.Pattern(42, 1), Bytes.Pattern(58, 2), 1, TestActor);
        ExpectMsg<SendCompleteEvent>();

        var sent = await NicDriver.GetStatisticsAsync(a, Long);
        await AwaitAssertAsync(
            async () =>
            {
                var received = await NicDriver.GetStatisticsAsync(b, Long);
                Assert.Equal(1, received.FramesReceived);
                Assert.Equal(100, received.BytesReceived);
                Assert.Equal(1, received.RxDropped);
            },
            Long);

        Assert.Equal(1, sent.FramesSent);
        Assert.Equal(100, sent.BytesSent);
        Assert.Equal(0, sent.TxDropped);
        Assert.Equal(0, sent.TxRingInUse);
        Assert.Equal(32, sent.TxRingSize);
        await NicDriver.StopAsync(Sys, a, Long);
        await NicDriver.StopAsync(Sys, b, Long);
        AssertNoLeak();
    }

    [Fact]
    public async Task StartPairAsync_SameName_Throws()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => NicDriver.StartPairAsync(Sys, Small("x"), Small("x")));
    }
}
