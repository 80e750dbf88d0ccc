using Edsos.Driver.Device;
using Edsos.Driver.Tests.Support;
using Edsos.Driver.Wires;
using Edsos.Memory;
using Akka.Actor;
using Edsos.Scheduler;
using static Edsos.Driver.DriverProtocol;

namespace Edsos.Driver.Tests;

public sealed class DriverTxWorkerSpec : DriverSpecBase
{
    [Fact]
    public async Task Xmit_SkbWhoseUserTsExited_RepliesInvalidGvaSendsNothingLeaksNothing()
    {
        var wire = new NullWire();
        var nic = await StartAsync(Small("nic"), wire);
        var skb = Skbs.Build(nic.DriverTs, Bytes.Pattern(42, 1), Bytes.Pattern(200, 2), "doomed");
        await Sys.ExitTsAsync(Skbs.UserTs);

        nic.TxWorker.Tell(new XmitSkbEvent(Skb: skb.Capability, Length: skb.Length, Token: 9, ReplyTo: TestActor), TestActor);

        var completion = ExpectMsg<SendCompleteEvent>();
        Assert.Equal(TxStatus.InvalidGva, completion.Status);
        Assert.Equal(9UL, completion.Token);
        Assert.Equal(31, completion.FreeDescriptors);
        var stats = await NicDriver.GetStatisticsAsync(nic, Long);
        Assert.Equal(0, stats.FramesSent);
        Assert.Equal(1, stats.TxDropped);
        Assert.Equal(0, wire.Counters.FramesTransmitted);
        Assert.Equal(MemoryError.InvalidGva, Memory.Inspect(nic.DriverTs, skb.Capability).Error);
        await NicDriver.StopAsync(Sys, nic, Long);
        AssertNoLeak();
    }

    [Fact]
    public async Task Xmit_RingWithoutRoom_RepliesRingFullAndPopsTheSkb()
    {
        var nic = await StartAsync(Small("nic", txRing: 8), new NullWire());

        // A reset device never completes anything, so the ring fills deterministically.
        await nic.Device.Ask<VirtualNicProtocol.DeviceReset>(new VirtualNicProtocol.ResetDevice(), Long);
        for (ulong i = 0; i < 3; i++)
        {
            Send(nic, Bytes.Pattern(42, 1), Bytes.Pattern(64, 2), i, TestActor);
        }

        var full = Send(nic, Bytes.Pattern(42, 1), Bytes.Pattern(64, 2), 3, TestActor);
        var refused = ExpectMsg<SendCompleteEvent>();

        Assert.Equal(new SendCompleteEvent(3, full.Length, TxStatus.RingFull, 1), refused);
        Assert.Equal(MemoryError.Stale, Memory.Inspect(nic.DriverTs, full.Capability).Error);
        var stats = await NicDriver.GetStatisticsAsync(nic, Long);
        Assert.Equal(6, stats.TxRingInUse);
        await NicDriver.StopAsync(Sys, nic, Long);
        var aborted = ReceiveN(3);
        Assert.All(aborted, m => Assert.Equal(TxStatus.Aborted, Assert.IsType<SendCompleteEvent>(m).Status));
        AssertNoLeak();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AttachTx_ThenCompletion_ClientGetsFreshCredit_InItsOwnCompletionOrAsTxCredit(bool clientSent)
    {
        var nic = await StartAsync(Small("nic", txRing: 16), new NullWire());
        var qdisc = CreateTestProbe("qdisc");

        nic.TxWorker.Tell(new AttachTx(qdisc), qdisc);
        Assert.Equal(new TxCredit(15), qdisc.ExpectMsg<TxCredit>());
        Send(nic, Bytes.Pattern(42, 1), Bytes.Pattern(64, 2), 1, clientSent ? qdisc.Ref : TestActor);

        if (clientSent)
        {
            // Its own completion carries the free count (and wakes its queue): no TxCredit besides.
            var complete = qdisc.ExpectMsg<SendCompleteEvent>();
            Assert.Equal((TxStatus.Sent, 15), (complete.Status, complete.FreeDescriptors));
            qdisc.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        }
        else
        {
            ExpectMsg<SendCompleteEvent>(m => m.Status == TxStatus.Sent);
            Assert.Equal(new TxCredit(15), qdisc.ExpectMsg<TxCredit>());
        }

        await NicDriver.StopAsync(Sys, nic, Long);
        AssertNoLeak();
    }

    [Fact]
    public async Task Xmit_LengthDisagreesWithTheNode_RepliesMalformedAndPops()
    {
        var nic = await StartAsync(Small("nic"), new NullWire());
        var skb = Skbs.Build(nic.DriverTs, Bytes.Pattern(42, 1), Bytes.Pattern(64, 2), "odd");

        nic.TxWorker.Tell(new XmitSkbEvent(Skb: skb.Capability, Length: skb.Length + 1, Token: 5, ReplyTo: TestActor), TestActor);

        Assert.Equal(TxStatus.Malformed, ExpectMsg<SendCompleteEvent>().Status);
        await NicDriver.StopAsync(Sys, nic, Long);
        AssertNoLeak();
    }

    [Fact]
    public async Task Xmit_ManyFramesBackToBack_AllCompleteSentInOrder()
    {
        var wire = new NullWire();
        var nic = await StartAsync(Small("nic", txRing: 16), wire);

        for (ulong i = 0; i < 40; i++)
        {
            Send(nic, Bytes.Pattern(42, 1), Bytes.Pattern(100, (byte)i), i, TestActor);
        }

        var tokens = new List<ulong>();
        for (var i = 0; i < 40; i++)
        {
            var completion = ExpectMsg<SendCompleteEvent>();
            if (completion.Status == TxStatus.Sent)
            {
                tokens.Add(completion.Token);
            }
        }

        // Without a qdisc honouring TxCredit some may bounce with RingFull; those sent leave in order.
        Assert.NotEmpty(tokens);
        Assert.Equal(tokens.Order().ToList(), tokens);
        Assert.Equal(tokens.Count, wire.Counters.FramesTransmitted);
        await NicDriver.StopAsync(Sys, nic, Long);
        AssertNoLeak();
    }

    [Fact]
    public async Task Xmit_AfterStop_RepliesAbortedAndPops()
    {
        var nic = await StartAsync(Small("nic"), new NullWire());
        await nic.Device.Ask<VirtualNicProtocol.DeviceReset>(new VirtualNicProtocol.ResetDevice(), Long);
        await nic.TxWorker.Ask<WorkerProtocol.Stopped>(new WorkerProtocol.Stop(), Long);

        Send(nic, Bytes.Pattern(42, 1), Bytes.Pattern(64, 2), 1, TestActor);

        Assert.Equal(TxStatus.Aborted, ExpectMsg<SendCompleteEvent>().Status);
        await NicDriver.StopAsync(Sys, nic, Long);
        AssertNoLeak();
    }

    [Fact]
    public async Task ExitTs_DriverTsWithFramesInFlight_SendersGetAbortedAndNothingLeaks()
    {
        var nic = await StartAsync(Small("nic"), new NullWire());
        await nic.Device.Ask<VirtualNicProtocol.DeviceReset>(new VirtualNicProtocol.ResetDevice(), Long);
        Send(nic, Bytes.Pattern(42, 1), Bytes.Pattern(64, 2), 1, TestActor);
        Send(nic, Bytes.Pattern(42, 1), Bytes.Pattern(64, 3), 2, TestActor);
        await NicDriver.GetStatisticsAsync(nic, Long);

        // A driver crash as the runtime sees it: its TS (and the device's below it) exits.
        await Sys.ExitTsAsync(nic.DriverTs);

        var aborted = ReceiveN(2);
        Assert.All(aborted, m => Assert.Equal(TxStatus.Aborted, Assert.IsType<SendCompleteEvent>(m).Status));
        AssertNoLeak();
    }
}
