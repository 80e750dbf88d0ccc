using Edsos.Driver.Device;
using Edsos.Driver.Tests.Support;
using Edsos.Driver.Wires;
using Akka.Actor;
using Edsos.Scheduler;
using static Edsos.Driver.DriverProtocol;

namespace Edsos.Driver.Tests;

public sealed class DriverRxWorkerSpec : DriverSpecBase
{
    [Fact]
    public async Task Receive_NoHandlerAttached_DropsCountsAndPopsTheBuffer()
    {
        var (a, b) = await NicDriver.StartPairAsync(Sys, Small("nic_a"), Small("nic_b"), Long);

        Send(a, Bytes.Pattern(42, 1), Bytes.Pattern(64, 2), 1, TestActor);
        ExpectMsg<SendCompleteEvent>();

        await AwaitAssertAsync(async () => Assert.Equal(1, (await NicDriver.GetStatisticsAsync(b, Long)).RxDropped), Long);
        Assert.Empty(Memory.GetLeakReport(Skbs.HandlerTs).Nodes);
        await NicDriver.StopAsync(Sys, a, Long);
        await NicDriver.StopAsync(Sys, b, Long);
        AssertNoLeak();
    }

    [Fact]
    public async Task Receive_MoreFramesThanTheBudget_AllDeliveredInOrderAcrossPolls()
    {
        var (a, b) = await NicDriver.StartPairAsync(Sys, Small("nic_a", txRing: 64), Small("nic_b", rxRing: 64, budget: 4), Long);
        var handler = CreateTestProbe("rx-handler");
        b.RxWorker.Tell(new AttachRx(handler, Skbs.HandlerTs));
        await b.RxWorker.Ask<WorkerProtocol.Ready>(new WorkerProtocol.AwaitReady(), Long);

        const int frames = 30;
        for (var i = 0; i < frames; i++)
        {
            Send(a, Bytes.Pattern(14, 0), [(byte)i, .. Bytes.Pattern(50, 1)], (ulong)i, TestActor);
        }

        for (var i = 0; i < frames; i++)
        {
            var received = handler.ExpectMsg<FrameReceivedEvent>();
            var bytes = Skbs.ReadAndPop(received.Frame, received.Length);
            Assert.Equal((byte)i, bytes[14]);
        }

        ReceiveN(frames);
        var stats = await NicDriver.GetStatisticsAsync(b, Long);
        Assert.Equal(frames, stats.FramesReceived);
        Assert.Equal(0, stats.RxMissed);
        await NicDriver.StopAsync(Sys, a, Long);
        await NicDriver.StopAsync(Sys, b, Long);
        AssertNoLeak();
    }

    [Fact]
    public async Task Receive_NoBufferPosted_DeviceDropsAndCountsRxMissed()
    {
        var (a, b) = await NicDriver.StartPairAsync(Sys, Small("nic_a"), Small("nic_b"), Long);

        // After a reset the device has no RX ring, so no descriptor is posted.
        await b.Device.Ask<VirtualNicProtocol.DeviceReset>(new VirtualNicProtocol.ResetDevice(), Long);
        Send(a, Bytes.Pattern(42, 1), Bytes.Pattern(64, 2), 1, TestActor);
        ExpectMsg<SendCompleteEvent>();

        await AwaitAssertAsync(async () => Assert.Equal(1, (await NicDriver.GetStatisticsAsync(b, Long)).RxMissed), Long);
        Assert.Equal(1, ((LoopbackWire)a.Wire).Counters.FramesDelivered);
        await NicDriver.StopAsync(Sys, a, Long);
        await NicDriver.StopAsync(Sys, b, Long);
        AssertNoLeak();
    }

    [Fact]
    public async Task Receive_HandlerTsExited_FrameDroppedNothingLeaks()
    {
        var (a, b) = await NicDriver.StartPairAsync(Sys, Small("nic_a"), Small("nic_b"), Long);
        var handler = CreateTestProbe("rx-handler");
        b.RxWorker.Tell(new AttachRx(handler, Skbs.HandlerTs));
        await Sys.ExitTsAsync(Skbs.HandlerTs);

        Send(a, Bytes.Pattern(42, 1), Bytes.Pattern(64, 2), 1, TestActor);
        ExpectMsg<SendCompleteEvent>();

        await AwaitAssertAsync(async () => Assert.Equal(1, (await NicDriver.GetStatisticsAsync(b, Long)).RxDropped), Long);
        handler.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        await NicDriver.StopAsync(Sys, a, Long);
        await NicDriver.StopAsync(Sys, b, Long);
        AssertNoLeak();
    }
}
