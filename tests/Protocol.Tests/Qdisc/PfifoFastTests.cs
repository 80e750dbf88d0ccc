using Edsos.Protocol.Qdisc;

namespace Edsos.Protocol.Tests.Qdisc;

public sealed class PfifoFastTests
{
    [Theory]
    [InlineData(0, 1)]   // TC_PRIO_BESTEFFORT
    [InlineData(1, 2)]   // TC_PRIO_FILLER
    [InlineData(2, 2)]   // TC_PRIO_BULK
    [InlineData(4, 1)]   // TC_PRIO_INTERACTIVE_BULK
    [InlineData(6, 0)]   // TC_PRIO_INTERACTIVE
    [InlineData(7, 0)]   // TC_PRIO_CONTROL
    [InlineData(22, 0)]  // only the low 4 bits count: 22 & 15 = 6
    public void BandOf_LinuxPrio2Band_Matches(int priority, int band)
    {
        Assert.Equal(band, PfifoFast<int>.BandOf(priority));
    }

    [Theory]
    [InlineData(0x00, 0)] // normal service → best effort
    [InlineData(0x10, 6)] // IPTOS_LOWDELAY → interactive
    [InlineData(0x08, 2)] // IPTOS_THROUGHPUT → bulk
    [InlineData(0x04, 0)] // IPTOS_RELIABILITY → best effort
    [InlineData(0x18, 4)] // low delay + throughput → interactive bulk
    [InlineData(0xB8, 4)] // DSCP EF (46): 0xb8 & 0x1e = 0x18 → index 12 → interactive bulk
    public void PriorityFromTos_LinuxTos2Prio_Matches(byte tos, int expected)
    {
        Assert.Equal(expected, PfifoFast<int>.PriorityFromTos(tos));
    }

    [Fact]
    public void Dequeue_MixedBands_HighestBandFirstFifoWithin()
    {
        var qdisc = new PfifoFast<string>();
        qdisc.Enqueue("bulk1", 2);
        qdisc.Enqueue("best1", 0);
        qdisc.Enqueue("ctl1", 7);
        qdisc.Enqueue("best2", 0);
        qdisc.Enqueue("ctl2", 6);

        var order = new List<string>();
        while (qdisc.TryDequeue(out string? packet))
        {
            order.Add(packet);
        }

        Assert.Equal(new[] { "ctl1", "ctl2", "best1", "best2", "bulk1" }, order);
    }

    [Fact]
    public void Enqueue_BeyondLimit_DroppedAndCounted()
    {
        var qdisc = new PfifoFast<int>(limit: 3);

        Assert.True(qdisc.Enqueue(1, 0));
        Assert.True(qdisc.Enqueue(2, 6));
        Assert.True(qdisc.Enqueue(3, 2));
        Assert.False(qdisc.Enqueue(4, 7));

        Assert.Equal(1, qdisc.Drops);
        Assert.Equal(3, qdisc.Count);
    }

    [Fact]
    public void Run_QuotaSmallerThanQueue_QuotaExhaustedThenIdle()
    {
        var qdisc = new PfifoFast<int>();
        for (int i = 0; i < 5; i++)
        {
            qdisc.Enqueue(i, 0);
        }

        var sent = new List<int>();
        Assert.Equal(QdiscRunResult.QuotaExhausted, qdisc.Run(3, p => { sent.Add(p); return true; }));
        Assert.Equal(new[] { 0, 1, 2 }, sent);
        Assert.Equal(QdiscRunResult.Idle, qdisc.Run(3, p => { sent.Add(p); return true; }));
        Assert.Equal(new[] { 0, 1, 2, 3, 4 }, sent);
    }

    [Fact]
    public void Run_DeviceBusy_PacketRequeuedAtHeadAheadOfHigherBand()
    {
        var qdisc = new PfifoFast<string>();
        qdisc.Enqueue("a", 0);
        qdisc.Enqueue("b", 0);

        Assert.Equal(QdiscRunResult.DeviceBusy, qdisc.Run(10, _ => false));
        Assert.Equal(2, qdisc.Count);

        // A control packet arriving meanwhile must not overtake the one the device already refused.
        qdisc.Enqueue("ctl", 7);
        var sent = new List<string>();
        Assert.Equal(QdiscRunResult.Idle, qdisc.Run(10, p => { sent.Add(p); return true; }));
        Assert.Equal(new[] { "a", "ctl", "b" }, sent);
    }

    [Fact]
    public void Run_ExactlyQuota_IdleNotExhausted()
    {
        var qdisc = new PfifoFast<int>();
        qdisc.Enqueue(1, 0);
        qdisc.Enqueue(2, 0);

        Assert.Equal(QdiscRunResult.Idle, qdisc.Run(2, _ => true));
    }

    [Fact]
    public void Requeue_Twice_Throws()
    {
        var qdisc = new PfifoFast<int>();
        qdisc.Requeue(1);

        Assert.Throws<InvalidOperationException>(() => qdisc.Requeue(2));
    }
}
