using Edsos.Driver.Ring;
using Edsos.Memory;

namespace Edsos.Driver.Tests.Ring;

public sealed class DescriptorRingTests : IDisposable
{
    private readonly MemoryManager _memory = new(64);
    private readonly TsId _driver;

    public DescriptorRingTests()
    {
        _driver = _memory.CreateTs("/drivers/net/e1000").Unwrap();
    }

    public void Dispose() => _memory.Dispose();

    [Fact]
    public void Create_DefaultCount_OnePinnedPageEmptyRing()
    {
        var ring = DescriptorRing.Create(_memory, _driver, "tx_ring").Unwrap();

        Assert.Equal(256, ring.Count);
        Assert.Equal(4096, ring.ByteLength);
        Assert.Single(ring.Extents);
        Assert.Equal(4096, ring.Extents[0].Length);
        Assert.True(ring.IsEmpty);
        Assert.Equal(255, ring.Free);
        Assert.Equal(1, _memory.Counters.ActivePins);
        Assert.Equal("/drivers/net/e1000/tx_ring", _memory.Inspect(_driver, ring.Node).Unwrap().Path);
    }

    [Fact]
    public void ProduceReclaim_AroundTheEnd_WrapsAndKeepsOneSlotFree()
    {
        var ring = DescriptorRing.Create(_memory, _driver, "tx_ring", 8).Unwrap();

        ring.Produce(6);
        ring.Reclaim(6);
        ring.Produce(7);

        Assert.Equal(5, ring.Tail);
        Assert.Equal(6, ring.Clean);
        Assert.Equal(7, ring.InUse);
        Assert.True(ring.IsFull);
        Assert.Throws<InvalidOperationException>(() => ring.Produce(1));

        ring.Reclaim(7);
        Assert.True(ring.IsEmpty);
        Assert.Throws<InvalidOperationException>(() => ring.Reclaim(1));
    }

    [Theory]
    [InlineData(0, 0, 0)]
    [InlineData(3, 7, 4)]
    [InlineData(7, 3, 4)]
    [InlineData(6, 5, 7)]
    public void Distance_HeadAndTail_CountsForwardModuloTheRing(int from, int to, int expected)
    {
        Assert.Equal(expected, DescriptorRing.Distance(from, to, 8));
    }

    [Fact]
    public void WriteTx_ThenDeviceDmaRead_SeesTheDescriptorAtItsPhysicalSlot()
    {
        var ring = DescriptorRing.Create(_memory, _driver, "tx_ring", 16).Unwrap();
        var descriptor = LegacyTxDescriptor.ForBuffer(0xABC000, 60, TxCommand.Eop | TxCommand.Rs);
        var before = _memory.Counters;

        ring.WriteTx(5, descriptor).ThrowIfFailed();
        var seen = new byte[LegacyTxDescriptor.Size];
        _memory.DmaRead(new PhysExtent(ring.BaseAddress + (5 * 16), 16), seen).ThrowIfFailed();

        Assert.Equal(descriptor, LegacyTxDescriptor.Read(seen));
        Assert.Equal(descriptor, ring.ReadTx(5).Unwrap());
        var after = _memory.Counters;
        Assert.Equal(32, after.MetadataBytesCopied - before.MetadataBytesCopied);
        Assert.Equal(0, after.PayloadBytesCopied - before.PayloadBytesCopied);
    }

    [Fact]
    public void Release_Twice_PopsAndUnpinsOnce()
    {
        var ring = DescriptorRing.Create(_memory, _driver, "rx_ring").Unwrap();

        ring.Release().ThrowIfFailed();
        ring.Release().ThrowIfFailed();

        Assert.True(_memory.GetLeakReport().IsClean, _memory.GetLeakReport().ToString());
        Assert.Throws<ObjectDisposedException>(() => ring.ReadRx(0));
    }

    [Fact]
    public void Create_NotPowerOfTwo_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => DescriptorRing.Create(_memory, _driver, "tx_ring", 100));
    }
}
