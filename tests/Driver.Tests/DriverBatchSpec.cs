using Edsos.Driver.Device;
using Edsos.Driver.Tests.Support;
using Edsos.Driver.Wires;
using Akka.Actor;
using Akka.TestKit;
using Edsos.Scheduler;
using static Edsos.Driver.DriverProtocol;
using static Edsos.Driver.DriverBatchProtocol;

namespace Edsos.Driver.Tests;

/// <summary>The driver's batch events: many skbs in one <see cref="XmitSkbBatchEvent"/>, completions and a NAPI poll's frames handed up in one event.</summary>
public sealed class DriverBatchSpec : DriverSpecBase
{
    [Fact]
    public async Task XmitSkbBatch_ClientAttachedWithBatches_AllSentInOrderAndCompletedInBatches()
    {
        var wire = new NullWire();
        var nic = await StartAsync(Small("nic", txRing: 64), wire);
        var qdisc = CreateTestProbe("qdisc");
        nic.TxWorker.Tell(new AttachTx(qdisc, Batches: true), qdisc);
        Assert.Equal(new TxCredit(63), qdisc.ExpectMsg<TxCredit>());

        const int frames = 12;
        var batch = XmitSkbBatchEvent.Rent();
        for (ulong i = 0; i < frames; i++)
        {
            var skb = Skbs.Build(nic.DriverTs, Bytes.Pattern(42, 1), Bytes.Pattern(100, (byte)i), $"b{i}");
            batch.Add(XmitSkbEvent.Rent(skb.Capability, skb.Length, i, qdisc));
        }

        nic.TxWorker.Tell(batch, qdisc);

        // One doorbell for the batch: the device's one TX pass sends all of them, so one interrupt completes them
        // together, in one batch (credit messages may come between).
        var tokens = new List<ulong>();
        int events = 0;
        while (tokens.Count < frames)
        {
            var message = qdisc.ReceiveOne(Long);
            switch (message)
            {
                case SendCompleteBatchEvent completes:
                    events++;
                    for (int i = 0; i < completes.Count; i++)
                    {
                        Assert.Equal(TxStatus.Sent, completes[i].Status);
                        tokens.Add(completes[i].Token);
                    }

                    break;
                case SendCompleteEvent complete:
                    events++;
                    Assert.Equal(TxStatus.Sent, complete.Status);
                    tokens.Add(complete.Token);
                    break;
                case TxCredit:
                    break;
                default:
                    Assert.Fail($"unexpected {message}");
                    break;
            }
        }

        Assert.Equal(Enumerable.Range(0, frames).Select(i => (ulong)i), tokens);
        Assert.True(events < frames, $"{events} completion events for {frames} frames of one batch");
        Assert.Equal(frames, wire.Counters.FramesTransmitted);
        await NicDriver.StopAsync(Sys, nic, Long);
        AssertNoLeak();
    }

    [Fact]
    public async Task XmitSkbBatch_ClientWithoutBatches_OneSendCompleteEventPerSkb()
    {
        var nic = await StartAsync(Small("nic", txRing: 64), new NullWire());
        var qdisc = CreateTestProbe("qdisc");
        nic.TxWorker.Tell(new AttachTx(qdisc), qdisc);
        qdisc.ExpectMsg<TxCredit>();

        var batch = XmitSkbBatchEvent.Rent();
        for (ulong i = 0; i < 5; i++)
        {
            var skb = Skbs.Build(nic.DriverTs, Bytes.Pattern(42, 1), Bytes.Pattern(64, (byte)i), $"s{i}");
            batch.Add(XmitSkbEvent.Rent(skb.Capability, skb.Length, i, qdisc));
        }

        nic.TxWorker.Tell(batch, qdisc);

        for (ulong i = 0; i < 5; i++)
        {
            var complete = qdisc.FishForMessage<SendCompleteEvent>(_ => true, Long);
            Assert.Equal(i, complete.Token);
            Assert.Equal(TxStatus.Sent, complete.Status);
        }

        await NicDriver.StopAsync(Sys, nic, Long);
        AssertNoLeak();
    }

    [Fact]
    public async Task XmitSkbBatch_AfterStop_EverySkbAbortedAndPopped()
    {
        var nic = await StartAsync(Small("nic"), new NullWire());
        await nic.Device.Ask<VirtualNicProtocol.DeviceReset>(new VirtualNicProtocol.ResetDevice(), Long);
        await nic.TxWorker.Ask<WorkerProtocol.Stopped>(new WorkerProtocol.Stop(), Long);

        var batch = XmitSkbBatchEvent.Rent();
        for (ulong i = 0; i < 3; i++)
        {
            var skb = Skbs.Build(nic.DriverTs, Bytes.Pattern(42, 1), Bytes.Pattern(64, (byte)i), $"x{i}");
            batch.Add(XmitSkbEvent.Rent(skb.Capability, skb.Length, i, TestActor));
        }

        nic.TxWorker.Tell(batch, TestActor);

        for (ulong i = 0; i < 3; i++)
        {
            var aborted = ExpectMsg<SendCompleteEvent>();
            Assert.Equal((i, TxStatus.Aborted), (aborted.Token, aborted.Status));
        }

        await NicDriver.StopAsync(Sys, nic, Long);
        AssertNoLeak();
    }

    [Fact]
    public async Task FrameReceivedBatch_FramesWaitingForOnePoll_HandedUpInOneEventInOrder()
    {
        // RX interrupts masked while the frames land, so the one interrupt on unmask finds all of them for one poll.
        const int frames = 10;
        var (a, b, handler) = await LandFramesWhileRxMaskedAsync(frames);
        b.Device.Tell(new VirtualNicProtocol.EnableInterrupts(InterruptCause.RxTimer));

        var batch = handler.ExpectMsg<FrameReceivedBatchEvent>(Long);
        Assert.Equal(frames, batch.Count);
        for (var i = 0; i < frames; i++)
        {
            var bytes = Skbs.ReadAndPop(batch[i].Frame, batch[i].Length);
            Assert.Equal((byte)i, bytes[14]);
        }

        handler.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        await NicDriver.StopAsync(Sys, a, Long);
        await NicDriver.StopAsync(Sys, b, Long);
        AssertNoLeak();
    }

    [Fact]
    public async Task RxDoorbellThatUnmasks_WritesTheTailAndEnablesRx_TheLatchedFramesArePolled()
    {
        var (a, b, handler) = await LandFramesWhileRxMaskedAsync(3);
        handler.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        var before = await b.Device.Ask<VirtualNicProtocol.DeviceRegisters>(new VirtualNicProtocol.GetRegisters(), Long);
        Assert.Equal(InterruptCause.None, before.InterruptMask & InterruptCause.RxTimer);

        // The tail as it is (the driver's RDT write) and the RX unmask in one message: the latched cause fires.
        b.Device.Tell(VirtualNicProtocol.RxDoorbell.UnmaskingRx(before.Rdt));
        var batch = handler.ExpectMsg<FrameReceivedBatchEvent>(Long);
        Assert.Equal(3, batch.Count);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal((byte)i, Skbs.ReadAndPop(batch[i].Frame, batch[i].Length)[14]);
        }

        var after = await b.Device.Ask<VirtualNicProtocol.DeviceRegisters>(new VirtualNicProtocol.GetRegisters(), Long);
        Assert.Equal(InterruptCause.RxTimer, after.InterruptMask & InterruptCause.RxTimer);
        await NicDriver.StopAsync(Sys, a, Long);
        await NicDriver.StopAsync(Sys, b, Long);
        AssertNoLeak();
    }

    /// <summary>
    /// A started pair whose B hands frames up in batches to the returned probe, with B's RX interrupts masked while
    /// <paramref name="frames"/> frames from A (byte 14 = the frame's index) land in its ring and wait for a poll.
    /// </summary>
    private async Task<(NicHandle A, NicHandle B, TestProbe Handler)> LandFramesWhileRxMaskedAsync(int frames)
    {
        var (a, b) = await NicDriver.StartPairAsync(Sys, Small("nic_a", txRing: 64), Small("nic_b", rxRing: 64), Long);
        var handler = CreateTestProbe("rx-handler");
        b.RxWorker.Tell(new AttachRx(handler, Skbs.HandlerTs, Batches: true));
        await b.RxWorker.Ask<WorkerProtocol.Ready>(new WorkerProtocol.AwaitReady(), Long);
        b.Device.Tell(new VirtualNicProtocol.DisableInterrupts(InterruptCause.RxTimer));
        await b.RxWorker.Ask<WorkerProtocol.Ready>(new WorkerProtocol.AwaitReady(), Long);
        for (var i = 0; i < frames; i++)
        {
            Send(a, Bytes.Pattern(14, 0), [(byte)i, .. Bytes.Pattern(50, 1)], (ulong)i, TestActor);
        }

        ReceiveN(frames);
        await AwaitAssertAsync(async () => Assert.Equal(frames, (await NicDriver.GetStatisticsAsync(b, Long)).FramesReceived), Long);
        return (a, b, handler);
    }

    [Fact]
    public void MessageBatch_RentAddReturn_ItemsForgottenAndEqualByItems()
    {
        var first = XmitSkbEvent.Rent(default, 60, 1, ActorRefs.Nobody);
        var second = XmitSkbEvent.Rent(default, 60, 2, ActorRefs.Nobody);
        var batch = XmitSkbBatchEvent.Rent().Add(first).Add(second);
        var same = new XmitSkbBatchEvent().Add(first).Add(second);

        Assert.Equal(2, batch.Count);
        Assert.Same(second, batch[1]);
        Assert.Equal(same, batch);
        Assert.NotEqual(new XmitSkbBatchEvent().Add(second).Add(first), batch);

        batch.Return();
        Assert.Equal(0, batch.Count);
        batch.Return();
        var again = XmitSkbBatchEvent.Rent();
        Assert.Equal(0, again.Count);
    }
}
