namespace Edsos.Memory.Tests;

public sealed class DmaTests
{
    [Fact]
    public void DmaWrite_IntoPinnedRxBuffer_VisibleToOwnerAndCountedAsDma()
    {
        using var world = new SendPathWorld();
        var rx = world.Memory.Push(world.Driver, "rx_ring/0", 1500).Unwrap();
        var pin = world.Memory.Pin(world.Driver, rx).Unwrap();
        var frame = SendPathWorld.Pattern(1500, 60);

        world.Memory.DmaWrite(pin.Extents[0], frame).ThrowIfFailed();

        Assert.Equal(frame, world.Bytes(world.Driver, rx));
        Assert.Equal(1500, world.Memory.Counters.DmaBytesWritten);
        Assert.Equal(0, world.Memory.Counters.CpuBytesCopied);
        Assert.Equal(1, world.Memory.Counters.ActivePins);
    }

    [Fact]
    public void Push_PagesFreedInAnyOrder_ComeBackAsOneExtent()
    {
        // Four one-page nodes on a fresh arena hold pages 0..3; freed out of order, their pages sit on the free stack
        // interleaved, and a four-page push still gets them as one physically contiguous extent (one RX buffer block,
        // one DMA descriptor), not as two or more.
        using var world = new SendPathWorld(pageCount: 8);
        var nodes = new Capability[4];
        for (int i = 0; i < 4; i++)
        {
            nodes[i] = world.Memory.Push(world.Driver, $"page_{i}", 4096).Unwrap();
        }

        foreach (int i in new[] { 1, 0, 3, 2 })
        {
            world.Memory.Release(world.Driver, nodes[i]).ThrowIfFailed();
        }

        var block = world.Memory.Push(world.Driver, "block", 4 * 4096).Unwrap();

        var extents = world.Memory.Inspect(world.Driver, block).Unwrap().Extents;
        Assert.Equal(new PhysExtent(0, 4 * 4096), Assert.Single(extents));
        world.Memory.Release(world.Driver, block).ThrowIfFailed();
    }

    [Fact]
    public void DmaRead_UnpinnedOrOutsideArena_Refused()
    {
        using var world = new SendPathWorld(pageCount: 4);
        var node = world.Memory.Push(world.Driver, "tx", 100).Unwrap();
        var extent = world.Memory.Inspect(world.Driver, node).Unwrap().Extents[0];

        Assert.Equal(MemoryError.NotPinned, world.Memory.DmaRead(extent, new byte[100]).Error);
        Assert.Equal(MemoryError.NotPinned, world.Memory.DmaWrite(extent, new byte[100]).Error);
        Assert.Equal(MemoryError.OutOfRange, world.Memory.DmaRead(new PhysExtent(4 * 4096 - 10, 20), new byte[20]).Error);
        Assert.Equal(MemoryError.InvalidArgument, world.Memory.DmaRead(extent, new byte[10]).Error);
        Assert.Equal(0, world.Memory.Counters.DmaBytesRead);
    }

    [Fact]
    public void DmaRead_GatherOfAMergedFrame_OneCallReadsEveryExtentInOrder()
    {
        // Header and payload in separate pages, merged into one skb: a two-extent frame.
        using var world = new SendPathWorld();
        var header = world.Memory.Push(world.Driver, "hdr", 54).Unwrap();
        var payload = world.Memory.Push(world.Driver, "pay", 1000).Unwrap();
        world.Memory.Write(world.Driver, header, 0, SendPathWorld.Pattern(54, 1), CopyKind.Header).ThrowIfFailed();
        world.Memory.Write(world.Driver, payload, 0, SendPathWorld.Pattern(1000, 7), CopyKind.Payload).ThrowIfFailed();
        var skb = world.Memory.Merge(world.Driver, header, payload, "skb").Unwrap();
        var pin = world.Memory.Pin(world.Driver, skb).Unwrap();
        Assert.Equal(2, pin.Extents.Count);

        var frame = new byte[1100];
        world.Memory.DmaRead(pin.Extents.ToArray(), frame).ThrowIfFailed();

        Assert.Equal([.. SendPathWorld.Pattern(54, 1), .. SendPathWorld.Pattern(1000, 7)], frame[..1054]);
        Assert.Equal(1054, world.Memory.Counters.DmaBytesRead);
        Assert.True(world.Memory.DmaRead(ReadOnlySpan<PhysExtent>.Empty, frame).IsOk);
        world.Memory.Unpin(pin.PinId).ThrowIfFailed();
        world.Memory.Release(world.Driver, skb).ThrowIfFailed();
    }

    [Fact]
    public void DmaRead_GatherWithOneUnpinnedExtent_RefusedWithoutCopyingAnyByte()
    {
        using var world = new SendPathWorld();
        var pinned = world.Memory.Push(world.Driver, "a", 100).Unwrap();
        var unpinned = world.Memory.Push(world.Driver, "b", 100).Unwrap();
        world.Memory.Write(world.Driver, pinned, 0, SendPathWorld.Pattern(100, 3), CopyKind.Payload).ThrowIfFailed();
        var pin = world.Memory.Pin(world.Driver, pinned).Unwrap();
        PhysExtent[] extents = [pin.Extents[0], world.Memory.Inspect(world.Driver, unpinned).Unwrap().Extents[0]];
        var frame = new byte[200];

        Assert.Equal(MemoryError.NotPinned, world.Memory.DmaRead(extents, frame).Error);
        Assert.Equal(MemoryError.InvalidArgument, world.Memory.DmaRead(extents[..1], new byte[99]).Error);
        Assert.Equal(MemoryError.InvalidArgument, world.Memory.DmaRead([pin.Extents[0], new PhysExtent(pin.Extents[0].Address, 0)], frame).Error);
        Assert.All(frame, b => Assert.Equal(0, b));
        Assert.Equal(0, world.Memory.Counters.DmaBytesRead);

        world.Memory.Unpin(pin.PinId).ThrowIfFailed();
        Assert.Equal(MemoryError.NotPinned, world.Memory.DmaRead(extents[..1], frame).Error);
    }

    [Fact]
    public void Pin_WithoutMapRight_RightsDenied()
    {
        using var world = new SendPathWorld();
        var node = world.Memory.Push(world.Driver, "tx", 100, Rights.Read | Rights.Write).Unwrap();

        Assert.Equal(MemoryError.RightsDenied, world.Memory.Pin(world.Driver, node).Error);
        Assert.Equal(0, world.Memory.Counters.ActivePins);
    }

    [Fact]
    public void Unpin_UnknownOrTwice_NotPinned()
    {
        using var world = new SendPathWorld();
        var node = world.Memory.Push(world.Driver, "tx", 100).Unwrap();
        var pin = world.Memory.Pin(world.Driver, node).Unwrap();

        Assert.True(world.Memory.Unpin(pin.PinId).IsOk);
        Assert.Equal(MemoryError.NotPinned, world.Memory.Unpin(pin.PinId).Error);
        Assert.Equal(MemoryError.NotPinned, world.Memory.Unpin(12345).Error);
    }

    [Fact]
    public void Pop_PinnedNode_PageHeldUntilUnpin()
    {
        using var world = new SendPathWorld();
        var node = world.PushFilled(world.Driver, "tx", 100, seed: 2);
        var pin = world.Memory.Pin(world.Driver, node).Unwrap();

        world.Memory.Pop(world.Driver, node).ThrowIfFailed();
        var bytes = new byte[100];

        // The pin keeps the page from reuse, but a page no node holds is freed as far as the
        // device is concerned: no frame may carry bytes of a freed page (issue 6).
        Assert.Equal(MemoryError.InvalidGva, world.Memory.DmaRead(pin.Extents[0], bytes).Error);
        Assert.All(bytes, b => Assert.Equal(0, b));
        Assert.Equal(1, world.Memory.Counters.PagesInUse);
        world.Memory.Unpin(pin.PinId).ThrowIfFailed();
        Assert.Equal(0, world.Memory.Counters.PagesInUse);
    }
}
