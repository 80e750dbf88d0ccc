namespace Edsos.Memory.Tests;

/// <summary>
/// The driver's per-frame pin: <see cref="MemoryManager.Pin(TsId, Capability, ref PhysExtent[], out int)"/> writes the
/// extents into the caller's reused array (the DmaPin record's list without the record), and
/// <see cref="MemoryManager.IsTsAlive"/>, the syscall path's liveness check without a TS snapshot.
/// </summary>
public sealed class PinIntoTests
{
    [Fact]
    public void Pin_IntoLongEnoughArray_SameExtentsAsTheRecordKeepsTheArray()
    {
        using var world = new SendPathWorld();
        var header = world.Memory.Push(world.Driver, "hdr", 54).Unwrap();
        var payload = world.Memory.Push(world.Driver, "pay", 1000).Unwrap();
        var skb = world.Memory.Merge(world.Driver, header, payload, "skb").Unwrap();
        var reference = world.Memory.Pin(world.Driver, skb).Unwrap();
        var extents = new PhysExtent[8];
        var kept = extents;

        var pinned = world.Memory.Pin(world.Driver, skb, ref extents, out int count);

        Assert.True(pinned.IsOk, pinned.ToString());
        Assert.Same(kept, extents);
        Assert.Equal(2, count);
        Assert.Equal(reference.Extents, extents[..count]);
        Assert.NotEqual(reference.PinId, pinned.Value);
        Assert.Equal(2, world.Memory.Counters.ActivePins);

        // The pin id releases like the record's, and the gather read works through the extents written.
        var frame = new byte[1054];
        world.Memory.DmaRead(extents.AsSpan(0, count), frame).ThrowIfFailed();
        world.Memory.Unpin(pinned.Value).ThrowIfFailed();
        world.Memory.Unpin(reference.PinId).ThrowIfFailed();
        Assert.Equal(MemoryError.NotPinned, world.Memory.Unpin(pinned.Value).Error);
        world.Memory.Release(world.Driver, skb).ThrowIfFailed();
        Assert.True(world.Memory.GetLeakReport().IsClean);
    }

    [Fact]
    public void Pin_IntoShortArray_ReplacesItWithALongerOne()
    {
        using var world = new SendPathWorld();
        var header = world.Memory.Push(world.Driver, "hdr", 54).Unwrap();
        var payload = world.Memory.Push(world.Driver, "pay", 1000).Unwrap();
        var skb = world.Memory.Merge(world.Driver, header, payload, "skb").Unwrap();
        var extents = new PhysExtent[1];

        var pinned = world.Memory.Pin(world.Driver, skb, ref extents, out int count);

        Assert.True(pinned.IsOk, pinned.ToString());
        Assert.Equal(2, count);
        Assert.True(extents.Length >= 2);
        Assert.Equal(54, extents[0].Length);
        Assert.Equal(1000, extents[1].Length);
        world.Memory.Unpin(pinned.Value).ThrowIfFailed();
        world.Memory.Release(world.Driver, skb).ThrowIfFailed();
        Assert.True(world.Memory.GetLeakReport().IsClean);
    }

    [Fact]
    public void Pin_IntoArray_LiftedOrForgedCapability_FailsPinsNothingLeavesTheArray()
    {
        using var world = new SendPathWorld();
        var buffer = world.PushFilled(world.App, "buf", 100);
        var forged = buffer with { Tag = buffer.Tag ^ 1 };
        var extents = new PhysExtent[4];
        var kept = extents;

        var refused = world.Memory.Pin(world.App, forged, ref extents, out int count);

        Assert.Equal(MemoryError.Forged, refused.Error);
        Assert.Equal(0, count);
        Assert.Same(kept, extents);
        world.Memory.Lift(world.App);
        Assert.False(world.Memory.Pin(world.App, buffer, ref extents, out count).IsOk);
        Assert.Equal(0, count);
        Assert.Equal(0, world.Memory.Counters.ActivePins);
    }

    [Fact]
    public void IsTsAlive_LiveLiftedAndUnknownTs_AgreesWithTheSnapshot()
    {
        using var world = new SendPathWorld();

        Assert.True(world.Memory.IsTsAlive(world.App));
        Assert.True(world.Memory.GetTs(world.App).Alive);
        Assert.False(world.Memory.IsTsAlive(new TsId(60000)));

        world.Memory.Lift(world.App);

        Assert.False(world.Memory.IsTsAlive(world.App));
        Assert.False(world.Memory.GetTs(world.App).Alive);
        Assert.True(world.Memory.IsTsAlive(world.OtherApp));
    }
}
