using Edsos.Driver.Tests.Support;
using Edsos.Driver.Wires;
using Edsos.Scheduler;
using static Edsos.Driver.DriverProtocol;

namespace Edsos.Driver.Tests;

/// <summary>
/// The receiver's half of the pooled-message rule, on the real TX worker: a rented <see cref="XmitSkbEvent"/> goes
/// back to its pool once handled, and stays out of it while a delivery observer may hold it. Within this assembly
/// only these tests rent an <see cref="XmitSkbEvent"/> (the other specs make theirs with <c>new</c>), so the pool's
/// contents are theirs to read.
/// </summary>
public sealed class PooledMessageSpec : DriverSpecBase
{
    [Fact]
    public async Task Xmit_RentedEvent_ReturnedToItsPoolOnceHandled()
    {
        var nic = await StartAsync(Small("nic"), new NullWire());
        var skb = Skbs.Build(nic.DriverTs, Bytes.Pattern(42, 1), Bytes.Pattern(200, 2), "pooled");
        var xmit = XmitSkbEvent.Rent(skb.Capability, skb.Length, 11, TestActor);

        nic.TxWorker.Tell(xmit, TestActor);

        var completion = ExpectMsg<SendCompleteEvent>();
        Assert.Equal(TxStatus.Sent, completion.Status);
        Assert.Equal(11UL, completion.Token);

        // Returned: its actor reference was cleared. It went to the slot of the thread that handled it (the pool's
        // reuse, on that thread and across threads, is MessagePoolTests'), so a rent here makes or takes another.
        AwaitCondition(() => xmit.ReplyTo is null, Long);
        var next = XmitSkbEvent.Rent(default, 1, 12, TestActor);
        Assert.Equal(12UL, next.Token);
        Assert.Same(TestActor, next.ReplyTo);
        next.Return();
        await NicDriver.StopAsync(Sys, nic, Long);
        AssertNoLeak();
    }

    [Fact]
    public async Task Xmit_RentedEventWhileADeliveryObserverListens_NotReturned()
    {
        var nic = await StartAsync(Small("nic"), new NullWire());
        var skb = Skbs.Build(nic.DriverTs, Bytes.Pattern(42, 1), Bytes.Pattern(200, 2), "observed");
        var seen = CreateTestProbe("seen");
        using (Sys.ObserveDeliveries(d => seen.Tell(d)))
        {
            var xmit = XmitSkbEvent.Rent(skb.Capability, skb.Length, 13, TestActor);

            nic.TxWorker.Tell(xmit, TestActor);

            Assert.Equal(TxStatus.Sent, ExpectMsg<SendCompleteEvent>().Status);
            Assert.Same(xmit, seen.FishForMessage<MessageDelivery>(d => d.Message is XmitSkbEvent, Long).Message);

            // What the observer was shown is intact: the worker left the event out of the pool.
            Assert.Equal(13UL, xmit.Token);
            Assert.Same(TestActor, xmit.ReplyTo);
            Assert.Equal(skb.Capability, xmit.Skb);
            xmit.Return();
        }

        await NicDriver.StopAsync(Sys, nic, Long);
        AssertNoLeak();
    }
}
