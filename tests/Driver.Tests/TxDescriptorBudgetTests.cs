using Edsos.Memory;

namespace Edsos.Driver.Tests;

/// <summary>The one descriptor-count rule the qdisc's credit and the driver's ring share.</summary>
public sealed class TxDescriptorBudgetTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(16256, 1)]
    [InlineData(16257, 2)]
    [InlineData(32512, 2)]
    [InlineData(32513, 3)]
    public void ForExtent_Legacy_OnePer16256Bytes(int length, int expected)
    {
        Assert.Equal(expected, TxDescriptorBudget.ForExtent(length, offload: false));
    }

    [Fact]
    public void ForExtent_Tso_OneWhateverTheLength()
    {
        Assert.Equal(1, TxDescriptorBudget.ForExtent(60000, offload: true));
    }

    [Fact]
    public void ForFrame_LegacyWithALongExtent_SplitsOnlyThatExtent()
    {
        var extents = new[] { new PhysExtent(0, 54), new PhysExtent(4096, 20000), new PhysExtent(65536, 100) };

        Assert.Equal(4, TxDescriptorBudget.ForFrame(extents, offload: false));
    }

    [Fact]
    public void ForFrame_Tso_ContextPlusOnePerExtent()
    {
        var extents = new[] { new PhysExtent(0, 54), new PhysExtent(4096, 20000), new PhysExtent(65536, 100) };

        Assert.Equal(4, TxDescriptorBudget.ForFrame(extents, offload: true));
    }

    [Fact]
    public void TryForLocation_LegacyUpToOneDescriptor_ExtentCount()
    {
        Assert.True(TxDescriptorBudget.TryForLocation(new NodeLocation(default, 16256, 5), offload: false, out int descriptors));
        Assert.Equal(5, descriptors);
    }

    [Fact]
    public void TryForLocation_TsoFrame_ExtentCountPlusContext()
    {
        Assert.True(TxDescriptorBudget.TryForLocation(new NodeLocation(default, 60000, 3), offload: true, out int descriptors));
        Assert.Equal(4, descriptors);
    }

    [Fact]
    public void TryForLocation_LegacyLongerThanOneDescriptor_CannotTell()
    {
        Assert.False(TxDescriptorBudget.TryForLocation(new NodeLocation(default, 16257, 1), offload: false, out _));
    }

    [Theory]
    [InlineData(1500)]
    [InlineData(40000)]
    [InlineData(70000)]
    public void Count_RealNode_SameAsTheDriverCountsOverThePinnedExtents(int length)
    {
        using var memory = new MemoryManager(64);
        TsId ts = memory.CreateTs("/net/ipv4/tx").Unwrap();
        Capability skb = memory.Push(ts, "skb", length).Unwrap();
        NodeLocation location = memory.Locate(ts, skb).Unwrap();
        var pinned = memory.Pin(ts, skb).Unwrap();

        var counted = TxDescriptorBudget.Count(memory, ts, skb, location, offload: false);

        Assert.True(counted.IsOk, counted.ToString());
        Assert.Equal(TxDescriptorBudget.ForFrame(pinned.Extents, offload: false), counted.Value);
        Assert.True(counted.Value >= (length + TxDescriptorBudget.MaxBytesPerLegacyDescriptor - 1) / TxDescriptorBudget.MaxBytesPerLegacyDescriptor);
        memory.Unpin(pinned.PinId);
        memory.Pop(ts, skb);
        Assert.True(memory.GetLeakReport().IsClean);
    }

    [Fact]
    public void Count_PoppedNode_FailsWithTheMemoryError()
    {
        using var memory = new MemoryManager(64);
        TsId ts = memory.CreateTs("/net/ipv4/tx").Unwrap();
        Capability skb = memory.Push(ts, "skb", 40000).Unwrap();
        NodeLocation location = memory.Locate(ts, skb).Unwrap();
        memory.Pop(ts, skb);

        var counted = TxDescriptorBudget.Count(memory, ts, skb, location, offload: false);

        Assert.False(counted.IsOk);
    }
}
