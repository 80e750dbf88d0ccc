namespace Edsos.Memory.Tests;

public sealed class OwnershipTests
{
    [Fact]
    public void Release_Twice_RecordsTheSecondPlaceAndMakesTheReportUnclean()
    {
        using var world = new SendPathWorld();
        var buffer = world.Memory.Push(world.App, "buf", 100).Unwrap();

        Assert.True(world.Memory.Release(world.App, buffer).IsOk);
        Assert.True(world.Memory.GetLeakReport().IsClean);
        var again = world.Memory.Release(world.App, buffer);

        Assert.Equal(MemoryError.Stale, again.Error);
        var report = world.Memory.GetLeakReport();
        Assert.False(report.IsClean);
        var twice = Assert.Single(report.DoubleReleases);
        Assert.Equal(buffer, twice.Node);
        Assert.Equal(world.App, twice.Owner);
        Assert.StartsWith("OwnershipTests.cs:", twice.Place.ToString());
        Assert.Contains("released twice", report.ToString());
        Assert.Equal(1, world.Memory.DoubleReleaseCount);
    }

    [Fact]
    public void ReleaseAll_ForgedStaleAndDefaultEntriesInside_FailOnlyThemselves()
    {
        using var world = new SendPathWorld();
        var a = world.Memory.Push(world.Driver, "a", 100).Unwrap();
        var b = world.Memory.Push(world.Driver, "b", 100).Unwrap();
        var c = world.Memory.Push(world.Driver, "c", 100).Unwrap();
        Assert.True(world.Memory.Release(world.Driver, b).IsOk);
        var forged = c with { Tag = c.Tag ^ 1 };

        int released = world.Memory.ReleaseAll(world.Driver, [a, forged, b, default, c]);

        Assert.Equal(2, released);
        var report = world.Memory.GetLeakReport();
        Assert.Empty(report.Nodes);
        var twice = Assert.Single(report.DoubleReleases);
        Assert.Equal(b, twice.Node);
        Assert.StartsWith("OwnershipTests.cs:", twice.Place.ToString());
        world.AssertConsistent();
    }

    [Fact]
    public void ReleaseAll_AnotherTsNodeInside_LeavesItLiveAndPopsTheRest()
    {
        using var world = new SendPathWorld();
        var mine = world.Memory.Push(world.Driver, "mine", 100).Unwrap();
        var theirs = world.Memory.Push(world.Protocol, "theirs", 100).Unwrap();

        int released = world.Memory.ReleaseAll(world.Driver, [theirs, mine]);

        Assert.Equal(1, released);
        Assert.True(world.Memory.Inspect(world.Protocol, theirs).IsOk);
        Assert.False(world.Memory.Inspect(world.Driver, mine).IsOk);
        Assert.Empty(world.Memory.GetLeakReport().DoubleReleases);
        Assert.True(world.Memory.Release(world.Protocol, theirs).IsOk);
        Assert.True(world.Memory.GetLeakReport().IsClean);
    }

    [Fact]
    public void ReleaseAll_Observed_JournalsEachPopAsRelease()
    {
        using var world = new SendPathWorld();
        var a = world.Memory.Push(world.Driver, "a", 100).Unwrap();
        var b = world.Memory.Push(world.Driver, "b", 100).Unwrap();
        var ops = new List<MemoryOp>();
        using var observer = world.Memory.Observe(record => ops.Add(record.Op));

        Assert.Equal(2, world.Memory.ReleaseAll(world.Driver, [a, b]));

        Assert.Equal([MemoryOp.Pop, MemoryOp.Pop], ops);
        Assert.True(world.Memory.GetLeakReport().IsClean);
    }

    [Fact]
    public void UnpinAll_StaleAndUnknownPinsInside_ReleaseOnlyTheLiveOnes()
    {
        using var world = new SendPathWorld();
        var a = world.Memory.Push(world.Driver, "a", 100).Unwrap();
        var b = world.Memory.Push(world.Driver, "b", 100).Unwrap();
        var pinA = world.Memory.Pin(world.Driver, a).Unwrap().PinId;
        var pinB = world.Memory.Pin(world.Driver, b).Unwrap().PinId;
        Assert.True(world.Memory.Unpin(pinB).IsOk);

        int unpinned = world.Memory.UnpinAll([pinA, pinB, 0xFFFF_0000_0123UL]);

        Assert.Equal(1, unpinned);
        Assert.Equal(0, world.Memory.Counters.ActivePins);
        Assert.Equal(MemoryError.NotPinned, world.Memory.Unpin(pinA).Error);
        Assert.Equal(2, world.Memory.ReleaseAll(world.Driver, [a, b]));
        Assert.True(world.Memory.GetLeakReport().IsClean);
    }

    [Fact]
    public void Release_AfterDivideConsumedTheNode_IsADoubleRelease()
    {
        using var world = new SendPathWorld();
        var buffer = world.Memory.Push(world.App, "buf", 8192).Unwrap();
        var (head, tail) = world.Memory.Divide(world.App, buffer, 4096).Unwrap();

        world.Memory.Release(world.App, buffer);
        world.Memory.Release(world.App, head).ThrowIfFailed();
        world.Memory.Release(world.App, tail).ThrowIfFailed();

        var report = world.Memory.GetLeakReport();
        Assert.Single(report.DoubleReleases);
        Assert.Empty(report.Nodes);
    }

    [Fact]
    public void Release_OfANodeLiftedWithItsTs_IsNotADoubleRelease()
    {
        using var world = new SendPathWorld();
        var buffer = world.Memory.Push(world.App, "buf", 100).Unwrap();
        var ctrn = world.Memory.CtShare(world.App, buffer, world.GvaOf(world.App, buffer), 100, world.Socket, "q", Rights.All).Unwrap();

        world.Memory.Lift(world.App);
        var released = world.Memory.Release(world.Socket, ctrn);

        Assert.Equal(MemoryError.InvalidGva, released.Error);
        Assert.True(world.Memory.GetLeakReport().IsClean, world.Memory.GetLeakReport().ToString());
    }

    [Fact]
    public void Release_Default_IsANoOp()
    {
        using var world = new SendPathWorld();

        Assert.True(world.Memory.Release(world.App, default).IsOk);
        Assert.True(world.Memory.GetLeakReport().IsClean);
    }

    [Fact]
    public void Own_ScopeEndsWithoutTransfer_ReleasesTheNode()
    {
        using var world = new SendPathWorld();
        var buffer = world.Memory.Push(world.App, "buf", 100).Unwrap();

        HoldAndDrop(world.Memory, world.App, buffer);

        Assert.True(world.Memory.GetLeakReport().IsClean, world.Memory.GetLeakReport().ToString());
    }

    [Fact]
    public void Own_Transferred_KeepsTheNodeForTheNewOwner()
    {
        using var world = new SendPathWorld();
        var buffer = world.Memory.Push(world.App, "buf", 100).Unwrap();
        var queue = new Queue<Capability>();

        HoldAndQueue(world.Memory, world.App, buffer, queue);

        var kept = Assert.Single(queue);
        Assert.Equal(buffer, kept);
        Assert.True(world.Memory.Locate(world.App, kept).IsOk);
        world.Memory.Release(world.App, kept).ThrowIfFailed();
        Assert.True(world.Memory.GetLeakReport().IsClean);
    }

    [Fact]
    public void Own_ExceptionInsideTheScope_StillReleases()
    {
        using var world = new SendPathWorld();
        var buffer = world.Memory.Push(world.App, "buf", 100).Unwrap();

        Assert.Throws<InvalidOperationException>(() => HoldAndThrow(world.Memory, world.App, buffer));

        Assert.True(world.Memory.GetLeakReport().IsClean, world.Memory.GetLeakReport().ToString());
    }

    [Fact]
    public void LeakReport_ForgottenNode_NamesItsOwnerAndThePlaceThatMadeIt()
    {
        using var world = new SendPathWorld();
        var buffer = world.Memory.Push(world.App, "buf", 100).Unwrap();
        world.Memory.CtShare(world.App, buffer, world.GvaOf(world.App, buffer), 100, world.Socket, "forgotten", Rights.All).Unwrap();
        world.Memory.Release(world.App, buffer).ThrowIfFailed();

        var report = world.Memory.GetLeakReport();

        var leaked = Assert.Single(report.Nodes);
        Assert.EndsWith("forgotten", leaked.Path);
        Assert.StartsWith("OwnershipTests.cs:", leaked.Place.ToString());
        Assert.Contains("made at OwnershipTests.cs:", report.ToString());
        Assert.Contains(leaked.OwnerPath, report.ToString());
    }

    [Fact]
    public void LeakReport_ScopedToAnotherTs_LeavesOutItsDoubleReleases()
    {
        using var world = new SendPathWorld();
        var buffer = world.Memory.Push(world.App, "buf", 100).Unwrap();
        world.Memory.Release(world.App, buffer).ThrowIfFailed();
        world.Memory.Release(world.App, buffer);

        Assert.Single(world.Memory.GetLeakReport(world.App).DoubleReleases);
        Assert.Empty(world.Memory.GetLeakReport(world.Driver).DoubleReleases);
    }

    private static void HoldAndDrop(MemoryManager memory, TsId owner, Capability node)
    {
        using var held = memory.Own(owner, ref node);
        Assert.Equal(node, held.Node);
    }

    private static void HoldAndQueue(MemoryManager memory, TsId owner, Capability node, Queue<Capability> queue)
    {
        using var held = memory.Own(owner, ref node);
        queue.Enqueue(held.Transfer());
        Assert.Equal(default, held.Node);
    }

    private static void HoldAndThrow(MemoryManager memory, TsId owner, Capability node)
    {
        using var held = memory.Own(owner, ref node);
        throw new InvalidOperationException("handler failed");
    }
}
