using Edsos.Driver;
using Edsos.Driver.Device;
using Edsos.Driver.Tests.Support;
using Edsos.Driver.Wires;
using Akka.Actor;
using Edsos.Scheduler;
using Edsos.Scheduler.Faults;
using static Edsos.Driver.DriverProtocol;

namespace Edsos.Driver.Tests;

/// <summary>
/// The TX worker under injected faults: a crash (its supervisor restarts it; it recovers its
/// in-flight frames from the NIC's write-back, each completing exactly once) and a failed DMA.
/// </summary>
public sealed class DriverTxWorkerFaultSpec : DriverSpecBase
{
    private static readonly TimeSpan s_quiet = TimeSpan.FromMilliseconds(300);

    [Fact]
    public async Task Crash_FramesTheDeviceNeverRead_EachAbortedOnceThenTheNewRingSends()
    {
        // Arrange: a reset device reads nothing, so three frames stay posted; the fourth crashes the worker.
        var wire = new NullWire();
        var nic = await StartAsync(Small("nic"), wire);
        await nic.Device.Ask<VirtualNicProtocol.DeviceReset>(new VirtualNicProtocol.ResetDevice(), Long);
        using var crash = Sys.Faults.Arm(new FaultSpec(FaultKind.DriverCrash, DriverFaultPoints.DescriptorsPosted) { AfterHits = 3 });

        // Act
        for (ulong token = 1; token <= 4; token++)
        {
            Send(nic, Bytes.Pattern(42, 1), Bytes.Pattern(100, 2), token, TestActor);
        }

        // Assert: each of the four answered once, aborted; nothing more.
        var completions = ReceiveN(4).Cast<SendCompleteEvent>().ToList();
        Assert.Equal(new ulong[] { 1, 2, 3, 4 }, completions.Select(c => c.Token).Order());
        Assert.All(completions, c => Assert.Equal(TxStatus.Aborted, c.Status));
        ExpectNoMsg(s_quiet);
        Assert.Equal(1, crash.FiredCount);

        // The restarted worker programmed a fresh ring into the device: the next frame goes out.
        Send(nic, Bytes.Pattern(42, 1), Bytes.Pattern(100, 2), 5, TestActor);
        Assert.Equal(TxStatus.Sent, ExpectMsg<SendCompleteEvent>(m => m.Token == 5).Status);
        Assert.Equal(1, wire.Counters.FramesTransmitted);
        await NicDriver.StopAsync(Sys, nic, Long);
        AssertNoLeak();
    }

    [Fact]
    public async Task Crash_AtCompletionOfFramesOnTheWire_EachCompletesSentOnce()
    {
        var wire = new NullWire();
        var nic = await StartAsync(Small("nic"), wire);
        var qdisc = CreateTestProbe("qdisc");
        nic.TxWorker.Tell(new AttachTx(qdisc), qdisc);
        qdisc.ExpectMsg<TxCredit>();
        using var crash = Sys.Faults.Arm(new FaultSpec(FaultKind.DriverCrash, DriverFaultPoints.Completion));

        Send(nic, Bytes.Pattern(42, 1), Bytes.Pattern(300, 2), 7, TestActor);

        // The interrupt handler crashed before reclaiming; the restart read DD from the ring.
        var completion = ExpectMsg<SendCompleteEvent>();
        Assert.Equal(7UL, completion.Token);
        Assert.Equal(TxStatus.Sent, completion.Status);
        ExpectNoMsg(s_quiet);
        Assert.Equal(1, wire.Counters.FramesTransmitted);

        // The client learns the new ring's room, and the worker goes on sending.
        qdisc.FishForMessage<TxCredit>(c => c.FreeDescriptors == 31, Long);
        Send(nic, Bytes.Pattern(42, 1), Bytes.Pattern(300, 2), 8, TestActor);
        Assert.Equal(TxStatus.Sent, ExpectMsg<SendCompleteEvent>().Status);
        await NicDriver.StopAsync(Sys, nic, Long);
        AssertNoLeak();
    }

    [Fact]
    public async Task Xmit_DmaFails_CompletesDeviceErrorNothingOnTheWire()
    {
        var wire = new NullWire();
        var nic = await StartAsync(Small("nic"), wire);
        using var fail = Sys.Faults.Arm(new FaultSpec(FaultKind.DmaFail, DriverFaultPoints.Dma));

        Send(nic, Bytes.Pattern(42, 1), Bytes.Pattern(100, 2), 1, TestActor);

        Assert.Equal(TxStatus.DeviceError, ExpectMsg<SendCompleteEvent>().Status);
        Assert.Equal(0, wire.Counters.FramesTransmitted);
        Send(nic, Bytes.Pattern(42, 1), Bytes.Pattern(100, 2), 2, TestActor);
        Assert.Equal(TxStatus.Sent, ExpectMsg<SendCompleteEvent>().Status);
        await NicDriver.StopAsync(Sys, nic, Long);
        AssertNoLeak();
    }

    [Fact]
    public async Task Xmit_RingFullInjected_RefusedAndPopped()
    {
        var nic = await StartAsync(Small("nic"), new NullWire());
        using var full = Sys.Faults.Arm(new FaultSpec(FaultKind.RingFull, DriverFaultPoints.DescriptorsPosted));

        Send(nic, Bytes.Pattern(42, 1), Bytes.Pattern(100, 2), 1, TestActor);

        Assert.Equal(TxStatus.RingFull, ExpectMsg<SendCompleteEvent>().Status);
        await NicDriver.StopAsync(Sys, nic, Long);
        AssertNoLeak();
    }
}
