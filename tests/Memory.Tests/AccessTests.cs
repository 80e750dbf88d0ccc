namespace Edsos.Memory.Tests;

public sealed class AccessTests
{
    [Fact]
    public void Translate_GvaInsideCallersNode_ReturnsNodeAndOffset()
    {
        using var world = new SendPathWorld();
        var cap = world.Memory.Push(world.App, "buf", 8000, Rights.Read | Rights.Write).Unwrap();
        var gva = world.GvaOf(world.App, cap);

        var hit = world.Memory.Translate(world.App, gva.Add(5000), 3000, Rights.Read).Unwrap();

        Assert.Equal(5000, hit.Offset);
        Assert.Equal(cap.NodeId, hit.Node.NodeId);
        Assert.True(world.Memory.Read(world.App, hit.Node, hit.Offset, new byte[3000], CopyKind.Payload).IsOk);
    }

    [Fact]
    public void Translate_BadGvas_ReturnTheMatchingErrors()
    {
        using var world = new SendPathWorld();
        var cap = world.Memory.Push(world.App, "buf", 100, Rights.Read).Unwrap();
        var gva = world.GvaOf(world.App, cap);

        Assert.Equal(MemoryError.InvalidGva, world.Memory.Translate(world.OtherApp, gva, 10, Rights.Read).Error);
        Assert.Equal(MemoryError.InvalidGva, world.Memory.Translate(world.App, gva.Add(-1), 10, Rights.Read).Error);
        Assert.Equal(MemoryError.InvalidGva, world.Memory.Translate(world.App, gva.Add(100), 1, Rights.Read).Error);
        Assert.Equal(MemoryError.OutOfRange, world.Memory.Translate(world.App, gva.Add(90), 11, Rights.Read).Error);
        Assert.Equal(MemoryError.RightsDenied, world.Memory.Translate(world.App, gva, 10, Rights.Write).Error);
        world.Memory.Pop(world.App, cap).ThrowIfFailed();
        Assert.Equal(MemoryError.InvalidGva, world.Memory.Translate(world.App, gva, 10, Rights.Read).Error);
    }

    [Fact]
    public void Locate_LiveNode_AgreesWithInspect()
    {
        using var world = new SendPathWorld();
        var header = world.PushFilled(world.Protocol, "hdr", 54, seed: 1);
        var payload = world.PushFilled(world.Protocol, "pl", 300, seed: 2);
        var skb = world.Memory.Merge(world.Protocol, header, payload, "skb").Unwrap();

        var located = world.Memory.Locate(world.Protocol, skb).Unwrap();
        var inspected = world.Memory.Inspect(world.Protocol, skb).Unwrap();

        Assert.Equal(inspected.Gva, located.Gva);
        Assert.Equal(inspected.Length, located.Length);
        Assert.Equal(inspected.Extents.Count, located.ExtentCount);
    }

    [Fact]
    public void Locate_StaleForeignOrForgedCapability_FailsLikeInspect()
    {
        using var world = new SendPathWorld();
        var cap = world.Memory.Push(world.App, "buf", 100, Rights.Read).Unwrap();
        var forged = cap with { Tag = cap.Tag ^ 1 };

        Assert.Equal(world.Memory.Inspect(world.OtherApp, cap).Error, world.Memory.Locate(world.OtherApp, cap).Error);
        Assert.False(world.Memory.Locate(world.OtherApp, cap).IsOk);
        Assert.Equal(world.Memory.Inspect(world.App, forged).Error, world.Memory.Locate(world.App, forged).Error);
        Assert.False(world.Memory.Locate(world.App, forged).IsOk);
        world.Memory.Pop(world.App, cap).ThrowIfFailed();
        Assert.False(world.Memory.Locate(world.App, cap).IsOk);
        Assert.Equal(world.Memory.Inspect(world.App, cap).Error, world.Memory.Locate(world.App, cap).Error);
    }

    [Fact]
    public void Visit_ScatterList_OneCallPerSegmentInOrderWithoutCopy()
    {
        using var world = new SendPathWorld();
        var header = world.PushFilled(world.Protocol, "hdr", 54, seed: 1);
        var payload = world.PushFilled(world.Protocol, "pl", 300, seed: 2);
        var skb = world.Memory.Merge(world.Protocol, header, payload, "skb").Unwrap();
        long copied = world.Memory.Counters.CpuBytesCopied;

        var segments = new List<int>();
        world.Memory.Visit(world.Protocol, skb, 10, 100, ref segments, static (ref List<int> state, ReadOnlySpan<byte> segment) => state.Add(segment.Length)).ThrowIfFailed();

        Assert.Equal([44, 56], segments);
        Assert.Equal(copied, world.Memory.Counters.CpuBytesCopied);
    }

    [Fact]
    public void Visit_WithoutReadRight_RightsDeniedAndVisitorNotCalled()
    {
        using var world = new SendPathWorld();
        var cap = world.Memory.Push(world.App, "buf", 100, Rights.Write).Unwrap();
        int calls = 0;

        var result = world.Memory.Visit(world.App, cap, 0, 100, ref calls, static (ref int state, ReadOnlySpan<byte> _) => state++);

        Assert.Equal(MemoryError.RightsDenied, result.Error);
        Assert.Equal(0, calls);
    }

    [Fact]
    public void Fill_ScatterList_WritesEachSegmentInPlaceInOrder_CountedOnceUnderItsKind()
    {
        using var world = new SendPathWorld();
        var header = world.PushFilled(world.App, "hdr", 54, seed: 1);
        var payload = world.PushFilled(world.App, "pl", 300, seed: 2);
        var skb = world.Memory.Merge(world.App, header, payload, "skb").Unwrap();
        long stack = world.Memory.Counters.CpuBytesCopied;

        // Each segment gets its datagram positions as bytes: the result shows the order and the split.
        var state = (Position: 0, Segments: new List<int>());
        world.Memory.Fill(world.App, skb, 10, 100, ref state, static (ref (int Position, List<int> Segments) s, Span<byte> segment) =>
        {
            for (int i = 0; i < segment.Length; i++)
            {
                segment[i] = (byte)(s.Position + i);
            }

            s.Position += segment.Length;
            s.Segments.Add(segment.Length);
        }, CopyKind.Application).ThrowIfFailed();

        Assert.Equal([44, 56], state.Segments);
        var expected = world.Bytes(world.App, skb);
        var before = SendPathWorld.Pattern(54, 1).Concat(SendPathWorld.Pattern(300, 2)).ToArray();
        Assert.Equal(before[..10], expected[..10]);
        Assert.Equal(Enumerable.Range(0, 100).Select(i => (byte)i).ToArray(), expected[10..110]);
        Assert.Equal(before[110..], expected[110..]);
        Assert.Equal(100, world.Memory.Counters.ApplicationBytesCopied);
        Assert.Equal(stack, world.Memory.Counters.CpuBytesCopied);
    }

    [Fact]
    public void VisitFillReadWrite_NodeOfMoreExtentsThanTheStackHolds_EverySegmentInOrder()
    {
        // 24 pieces of 300 bytes, each on a page of its own, merged: one node of 24 extents (the byte paths keep 16 on
        // the stack, so this takes their array path).
        using var world = new SendPathWorld();
        var node = world.PushFilled(world.App, "p0", 300, seed: 0);
        for (int i = 1; i < 24; i++)
        {
            node = world.Memory.Merge(world.App, node, world.PushFilled(world.App, $"p{i}", 300, seed: (byte)i), "merged").Unwrap();
        }

        Assert.Equal(24, world.Memory.Inspect(world.App, node).Unwrap().Extents.Count);
        var expected = Enumerable.Range(0, 24).SelectMany(i => SendPathWorld.Pattern(300, (byte)i)).ToArray();

        var seen = new List<byte>();
        world.Memory.Visit(world.App, node, 0, 7200, ref seen, static (ref List<byte> state, ReadOnlySpan<byte> segment) => state.AddRange(segment)).ThrowIfFailed();
        Assert.Equal(expected, seen.ToArray());
        var read = new byte[7200];
        world.Memory.Read(world.App, node, 0, read, CopyKind.Payload).ThrowIfFailed();
        Assert.Equal(expected, read);

        var written = SendPathWorld.Pattern(7200, 99);
        world.Memory.Write(world.App, node, 0, written, CopyKind.Payload).ThrowIfFailed();
        Assert.Equal(written, world.Bytes(world.App, node));
        int position = 0;
        world.Memory.Fill(world.App, node, 0, 7200, ref position, static (ref int at, Span<byte> segment) =>
        {
            segment.Fill((byte)(at / 300));
            at += segment.Length;
        }, CopyKind.Application).ThrowIfFailed();
        Assert.Equal(Enumerable.Range(0, 24).SelectMany(i => Enumerable.Repeat((byte)i, 300)).ToArray(), world.Bytes(world.App, node));
        world.AssertConsistent();
    }

    [Fact]
    public void Fill_WithoutWriteRightOrOutOfRange_FailsAndFillerNotCalled()
    {
        using var world = new SendPathWorld();
        var readOnly = world.Memory.Push(world.App, "ro", 100, Rights.Read).Unwrap();
        var writable = world.Memory.Push(world.App, "rw", 100, Rights.Read | Rights.Write).Unwrap();
        int calls = 0;

        var denied = world.Memory.Fill(world.App, readOnly, 0, 100, ref calls, static (ref int state, Span<byte> _) => state++, CopyKind.Application);
        var outside = world.Memory.Fill(world.App, writable, 50, 51, ref calls, static (ref int state, Span<byte> _) => state++, CopyKind.Application);
        var foreign = world.Memory.Fill(world.OtherApp, writable, 0, 10, ref calls, static (ref int state, Span<byte> _) => state++, CopyKind.Application);

        Assert.Equal(MemoryError.RightsDenied, denied.Error);
        Assert.Equal(MemoryError.OutOfRange, outside.Error);
        Assert.False(foreign.IsOk);
        Assert.Equal(0, calls);
        Assert.Equal(0, world.Memory.Counters.ApplicationBytesCopied);
    }

    [Fact]
    public void Fill_PageStillShared_CopiesOnWriteForTheFillerOnly()
    {
        using var world = new SendPathWorld();
        var buffer = world.PushFilled(world.App, "buf", 2 * 4096, seed: 4);
        var retransmit = world.Memory.CtShare(world.App, buffer, world.GvaOf(world.App, buffer), 2 * 4096, world.Socket, "tcp_rtx", Rights.Read).Unwrap();

        int unused = 0;
        world.Memory.Fill(world.App, buffer, 4100, 2, ref unused, static (ref int _, Span<byte> segment) => segment.Fill(0xEE), CopyKind.Application).ThrowIfFailed();

        var original = SendPathWorld.Pattern(2 * 4096, 4);
        var expected = (byte[])original.Clone();
        expected[4100] = 0xEE;
        expected[4101] = 0xEE;
        Assert.Equal(expected, world.Bytes(world.App, buffer));
        Assert.Equal(original, world.Bytes(world.Socket, retransmit));
        Assert.Equal(4096, world.Memory.Counters.CowBytesCopied);
        world.AssertConsistent();
    }

    [Fact]
    public void IsSoleHolder_FalseWhileACtrnOrAnotherPinOrAnAccessHoldsAPage_TrueOnceAllAreGone()
    {
        // A driver's RX block: pushed, pinned once by the driver, a frame shared out of it and pinned again for TX.
        using var world = new SendPathWorld();
        var block = world.Memory.Push(world.Driver, "rx_block", 4 * 4096).Unwrap();
        var own = world.Memory.Pin(world.Driver, block).Unwrap();
        Assert.True(world.Memory.IsSoleHolder(world.Driver, block, pins: 1).Unwrap());
        Assert.False(world.Memory.IsSoleHolder(world.Driver, block, pins: 0).Unwrap());

        var frame = world.Memory.CtShare(world.Driver, block, world.GvaOf(world.Driver, block).Add(4096), 6000, world.Protocol, "frame", Rights.All).Unwrap();
        Assert.False(world.Memory.IsSoleHolder(world.Driver, block, pins: 1).Unwrap());
        var txPin = world.Memory.Pin(world.Protocol, frame).Unwrap();
        world.Memory.Release(world.Protocol, frame).ThrowIfFailed();
        Assert.False(world.Memory.IsSoleHolder(world.Driver, block, pins: 1).Unwrap());
        world.Memory.Unpin(txPin.PinId).ThrowIfFailed();
        Assert.True(world.Memory.IsSoleHolder(world.Driver, block, pins: 1).Unwrap());

        bool inside = true;
        world.Memory.Visit(world.Driver, block, 0, 10, ref inside, (ref bool state, ReadOnlySpan<byte> _) =>
            state = world.Memory.IsSoleHolder(world.Driver, block, pins: 1).Unwrap()).ThrowIfFailed();
        Assert.False(inside);
        Assert.True(world.Memory.IsSoleHolder(world.Driver, block, pins: 1).Unwrap());

        world.Memory.Unpin(own.PinId).ThrowIfFailed();
        world.Memory.Release(world.Driver, block).ThrowIfFailed();
        Assert.False(world.Memory.IsSoleHolder(world.Driver, block, pins: 1).IsOk);
        var other = world.Memory.Push(world.Driver, "other", 10).Unwrap();
        Assert.Equal(MemoryError.NotVisible, world.Memory.IsSoleHolder(world.Protocol, other, pins: 0).Error);
        world.Memory.Release(world.Driver, other).ThrowIfFailed();
        world.AssertConsistent();
    }

    [Fact]
    public void ReadWrite_CountBytesByKind_VisitAndDmaDoNot()
    {
        using var world = new SendPathWorld();
        var cap = world.Memory.Push(world.Protocol, "buf", 4096).Unwrap();

        world.Memory.Write(world.Protocol, cap, 0, new byte[1000], CopyKind.Payload).ThrowIfFailed();
        world.Memory.Write(world.Protocol, cap, 1000, new byte[54], CopyKind.Header).ThrowIfFailed();
        world.Memory.Read(world.Protocol, cap, 0, new byte[20], CopyKind.Metadata).ThrowIfFailed();
        world.Memory.Read(world.Protocol, cap, 0, new byte[500], CopyKind.Payload).ThrowIfFailed();
        int sink = 0;
        world.Memory.Visit(world.Protocol, cap, 0, 4096, ref sink, static (ref int s, ReadOnlySpan<byte> seg) => s += seg.Length).ThrowIfFailed();
        var pin = world.Memory.Pin(world.Protocol, cap).Unwrap();
        world.Memory.DmaRead(pin.Extents[0], new byte[4096]).ThrowIfFailed();
        world.Memory.Unpin(pin.PinId).ThrowIfFailed();

        var counters = world.Memory.Counters;
        Assert.Equal(1500, counters.PayloadBytesCopied);
        Assert.Equal(54, counters.HeaderBytesCopied);
        Assert.Equal(20, counters.MetadataBytesCopied);
        Assert.Equal(0, counters.CowBytesCopied);
        Assert.Equal(4096, counters.DmaBytesRead);
        Assert.Equal(1574, counters.CpuBytesCopied);
    }

    [Fact]
    public void ReadWrite_RoundTrip_AcrossPageBoundary()
    {
        using var world = new SendPathWorld();
        var cap = world.Memory.Push(world.App, "buf", 3 * 4096).Unwrap();
        var data = SendPathWorld.Pattern(6000, 77);

        world.Memory.Write(world.App, cap, 3000, data, CopyKind.Payload).ThrowIfFailed();
        var back = new byte[6000];
        world.Memory.Read(world.App, cap, 3000, back, CopyKind.Payload).ThrowIfFailed();

        Assert.Equal(data, back);
    }

    [Fact]
    public void Write_ToPageStillShared_CopiesOnWriteForWriterOnly()
    {
        using var world = new SendPathWorld();
        var buffer = world.PushFilled(world.App, "buf", 2 * 4096, seed: 4);
        var retransmit = world.Memory.CtShare(world.App, buffer, world.GvaOf(world.App, buffer), 2 * 4096, world.Socket, "tcp_rtx", Rights.Read).Unwrap();
        var before = world.Memory.Inspect(world.App, buffer).Unwrap().Extents;

        world.Memory.Write(world.App, buffer, 4100, new byte[] { 0xDE, 0xAD }, CopyKind.Payload).ThrowIfFailed();

        var original = SendPathWorld.Pattern(2 * 4096, 4);
        var expected = (byte[])original.Clone();
        expected[4100] = 0xDE;
        expected[4101] = 0xAD;
        Assert.Equal(expected, world.Bytes(world.App, buffer));
        Assert.Equal(original, world.Bytes(world.Socket, retransmit));
        Assert.Equal(4096, world.Memory.Counters.CowBytesCopied);
        Assert.Equal(3, world.Memory.Counters.PagesInUse);
        var after = world.Memory.Inspect(world.App, buffer).Unwrap().Extents;
        Assert.Equal(before[0].Address, after[0].Address);
        Assert.NotEqual(before[0].Address + 4096, after[^1].Address);
        world.AssertConsistent();
    }

    [Fact]
    public void Write_ToUnsharedPage_NoCopyOnWrite()
    {
        using var world = new SendPathWorld();
        var buffer = world.PushFilled(world.App, "buf", 2 * 4096);
        var share = world.Memory.CtShare(world.App, buffer, world.GvaOf(world.App, buffer), 4096, world.Socket, "q", Rights.Read).Unwrap();
        world.Memory.Pop(world.Socket, share).ThrowIfFailed();

        world.Memory.Write(world.App, buffer, 0, new byte[8192], CopyKind.Payload).ThrowIfFailed();

        Assert.Equal(0, world.Memory.Counters.CowBytesCopied);
        Assert.Equal(2, world.Memory.Counters.PagesInUse);
    }

    [Fact]
    public void Write_CopyOnWriteWithArenaFull_OutOfMemoryAndNothingWritten()
    {
        using var world = new SendPathWorld(pageCount: 2);
        var buffer = world.PushFilled(world.App, "buf", 2 * 4096, seed: 8);
        var share = world.Memory.CtShare(world.App, buffer, world.GvaOf(world.App, buffer), 4096, world.Socket, "q", Rights.Read).Unwrap();

        var result = world.Memory.Write(world.App, buffer, 0, new byte[] { 1 }, CopyKind.Payload);

        Assert.Equal(MemoryError.OutOfMemory, result.Error);
        Assert.Equal(SendPathWorld.Pattern(2 * 4096, 8), world.Bytes(world.App, buffer));
        Assert.Equal(SendPathWorld.Pattern(4096, 8), world.Bytes(world.Socket, share));
        world.AssertConsistent();
    }
}
