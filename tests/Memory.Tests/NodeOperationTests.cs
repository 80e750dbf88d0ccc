namespace Edsos.Memory.Tests;

public sealed class NodeOperationTests
{
    [Fact]
    public void Push_NewNode_ZeroedPageAlignedInCallersSpace()
    {
        using var world = new SendPathWorld();

        var cap = world.Memory.Push(world.App, "buf", 5000).Unwrap();
        var info = world.Memory.Inspect(world.App, cap).Unwrap();

        Assert.Equal("/user_proc/app/buf", info.Path);
        Assert.Equal(world.App, info.Gva.Ts);
        Assert.Equal(0UL, info.Gva.Offset % (ulong)world.PageSize);
        Assert.Equal(5000, info.Extents.Sum(e => e.Length));
        Assert.Equal([world.App], info.Origins);
        Assert.False(info.IsCtrn);
        Assert.All(world.Bytes(world.App, cap), b => Assert.Equal(0, b));
        Assert.Equal(2, world.Memory.Counters.PagesInUse);
    }

    [Fact]
    public void Push_ShortNodeOnAPageAnotherNodeFilled_ReadsZeroesAndPinsOnlyItsLength()
    {
        using var world = new SendPathWorld(pageCount: 1);
        var dirty = world.PushFilled(world.App, "dirty", 4096, seed: 7);
        Assert.True(world.Memory.Release(world.App, dirty).IsOk);

        var header = world.Memory.Push(world.Protocol, "hdr", 100).Unwrap();
        var pin = world.Memory.Pin(world.Protocol, header).Unwrap();

        Assert.Equal(new byte[100], world.Bytes(world.Protocol, header));
        Assert.Equal(100, pin.Extents.Sum(e => e.Length));
        Assert.True(world.Memory.Unpin(pin.PinId).IsOk);
        Assert.True(world.Memory.Release(world.Protocol, header).IsOk);
        Assert.True(world.Memory.GetLeakReport().IsClean);
    }

    [Fact]
    public void Push_ThousandsOfDistinctNameStrings_EachNodeKeepsItsOwnName()
    {
        using var world = new SendPathWorld(pageCount: 4);
        var names = Enumerable.Range(0, 5000).Select(i => $"frame_{i:x3}").ToArray();

        for (int round = 0; round < 2; round++)
        {
            foreach (var name in names)
            {
                var node = world.Memory.Push(world.Driver, name, 64).Unwrap();
                Assert.Equal("/drivers/net/e1000/" + name, world.Memory.Inspect(world.Driver, node).Unwrap().Path);
                Assert.True(world.Memory.Release(world.Driver, node).IsOk);
            }
        }

        Assert.Equal(MemoryError.InvalidArgument, world.Memory.Push(world.Driver, "frame//x", 64).Error);
    }

    [Fact]
    public void PushUnzeroed_PageAnotherNodeFilled_KeepsItsBytesAndIsAnOrdinaryNode()
    {
        using var world = new SendPathWorld(pageCount: 1);
        var dirty = world.PushFilled(world.App, "dirty", 4096, seed: 7);
        Assert.True(world.Memory.Release(world.App, dirty).IsOk);

        var buffer = world.Memory.PushUnzeroed(world.Driver, "rx_ring/buf_00", 4096).Unwrap();

        Assert.Equal(SendPathWorld.Pattern(4096, 7), world.Bytes(world.Driver, buffer));
        Assert.Equal("/drivers/net/e1000/rx_ring/buf_00", world.Memory.Inspect(world.Driver, buffer).Unwrap().Path);
        Assert.False(world.Memory.GetLeakReport().IsClean);
        Assert.True(world.Memory.Release(world.Driver, buffer).IsOk);
        Assert.True(world.Memory.GetLeakReport().IsClean);
    }

    [Theory]
    [InlineData(0, "x")]
    [InlineData(10, "a//b")]
    public void PushUnzeroed_BadLengthOrName_InvalidArgument(int length, string name)
    {
        using var world = new SendPathWorld();

        Assert.Equal(MemoryError.InvalidArgument, world.Memory.PushUnzeroed(world.Driver, name, length).Error);
    }

    [Fact]
    public void CtShare_ByOffsetWithAName_MountsThoseBytesUnderTheName()
    {
        using var world = new SendPathWorld();
        var frame = world.PushFilled(world.Protocol, "frame", 300, seed: 3);

        var slice = world.Memory.CtShare(world.Protocol, frame, 42, 100, world.Socket, "dgram", Rights.Read | Rights.Share).Unwrap();

        Assert.Equal(SendPathWorld.Pattern(300, 3)[42..142], world.Bytes(world.Socket, slice));
        Assert.Equal("/net/sockets/sock_0xABCD/dgram", world.Memory.Inspect(world.Socket, slice).Unwrap().Path);
        Assert.Equal(MemoryError.OutOfRange, world.Memory.CtShare(world.Protocol, frame, 300, 1, world.Socket, "dgram", Rights.Read).Error);
        Assert.Equal(MemoryError.OutOfRange, world.Memory.CtShare(world.Protocol, frame, 250, 100, world.Socket, "dgram", Rights.Read).Error);
        Assert.Equal(MemoryError.Forged, world.Memory.CtShare(world.Protocol, frame with { Tag = frame.Tag ^ 1 }, 0, 10, world.Socket, "dgram", Rights.Read).Error);
    }

    [Fact]
    public void PushWith_HeaderBytes_WrittenAtTheOffsetOverZeroesAndCountedAsAWrite()
    {
        using var world = new SendPathWorld(pageCount: 1);
        var dirty = world.PushFilled(world.App, "dirty", 4096, seed: 9);
        Assert.True(world.Memory.Release(world.App, dirty).IsOk);
        byte[] header = [1, 2, 3, 4, 5, 6, 7, 8];
        long before = world.Memory.Counters.HeaderBytesCopied;

        var node = world.Memory.PushWith(world.Protocol, "hdr", 64, 34, header, CopyKind.Header).Unwrap();

        var expected = new byte[64];
        header.CopyTo(expected, 34);
        Assert.Equal(expected, world.Bytes(world.Protocol, node));
        Assert.Equal(before + 8, world.Memory.Counters.HeaderBytesCopied);
        Assert.Equal(MemoryError.OutOfRange, world.Memory.PushWith(world.Protocol, "hdr", 64, 60, header, CopyKind.Header).Error);
        Assert.Equal(MemoryError.OutOfRange, world.Memory.PushWith(world.Protocol, "hdr", 64, -1, header, CopyKind.Header).Error);
        Assert.Equal(1, world.Memory.Counters.LiveNodes);
        Assert.True(world.Memory.Release(world.Protocol, node).IsOk);
        Assert.True(world.Memory.GetLeakReport().IsClean);
    }

    [Fact]
    public void Push_TwoNodes_GetDisjointGvaRanges()
    {
        using var world = new SendPathWorld();

        var first = world.Memory.Inspect(world.App, world.Memory.Push(world.App, "a", 100).Unwrap()).Unwrap();
        var second = world.Memory.Inspect(world.App, world.Memory.Push(world.App, "b", 100).Unwrap()).Unwrap();

        Assert.True(second.Gva.Offset >= first.Gva.Offset + 100);
    }

    [Fact]
    public void Push_ExhaustingArena_OutOfMemoryWithoutPartialLeak()
    {
        using var world = new SendPathWorld(pageCount: 4);
        world.Memory.Push(world.App, "a", 4096).Unwrap();

        var result = world.Memory.Push(world.App, "b", 4 * 4096);

        Assert.Equal(MemoryError.OutOfMemory, result.Error);
        Assert.Equal(1, world.Memory.Counters.PagesInUse);
        Assert.Equal(1, world.Memory.Counters.LiveNodes);
        Assert.True(world.Memory.Push(world.App, "c", 3 * 4096).IsOk);
        world.AssertConsistent();
    }

    [Theory]
    [InlineData(0, "x")]
    [InlineData(-5, "x")]
    [InlineData(10, "")]
    [InlineData(10, "/x")]
    [InlineData(10, "a//b")]
    public void Push_BadLengthOrName_InvalidArgument(int length, string name)
    {
        using var world = new SendPathWorld();

        Assert.Equal(MemoryError.InvalidArgument, world.Memory.Push(world.App, name, length).Error);
    }

    [Fact]
    public void CtShare_SubRangeSpanningPageBoundary_SharesSamePagesAndBytes()
    {
        using var world = new SendPathWorld();
        var buffer = world.PushFilled(world.App, "buf", 3 * 4096, seed: 7);
        var gva = world.GvaOf(world.App, buffer).Add(4000);

        var ctrn = world.Memory.CtShare(world.App, buffer, gva, 5000, world.Socket, "send_q/0x88", Rights.Read | Rights.Share).Unwrap();
        var info = world.Memory.Inspect(world.Socket, ctrn).Unwrap();

        Assert.True(info.IsCtrn);
        Assert.Equal("/net/sockets/sock_0xABCD/send_q/0x88", info.Path);
        Assert.Equal(world.Socket, info.Gva.Ts);
        Assert.Equal([world.App], info.Origins);
        Assert.Equal(SendPathWorld.Pattern(3 * 4096, 7).AsSpan(4000, 5000).ToArray(), world.Bytes(world.Socket, ctrn));
        Assert.Equal(3, world.Memory.Counters.PagesInUse);
        Assert.Equal(1, world.Memory.Counters.LiveCtrns);
        world.AssertConsistent();
    }

    [Fact]
    public void CtShare_RefcountPerPage_PagesSurviveSourcePopUntilCtrnPopped()
    {
        using var world = new SendPathWorld();
        var buffer = world.PushFilled(world.App, "buf", 2 * 4096, seed: 3);
        var ctrn = world.Memory.CtShare(world.App, buffer, world.GvaOf(world.App, buffer), 4096, world.Socket, "q", Rights.Read).Unwrap();

        world.Memory.Pop(world.App, buffer).ThrowIfFailed();

        Assert.Equal(1, world.Memory.Counters.PagesInUse);
        Assert.Equal(SendPathWorld.Pattern(4096, 3), world.Bytes(world.Socket, ctrn));
        world.Memory.Pop(world.Socket, ctrn).ThrowIfFailed();
        Assert.Equal(0, world.Memory.Counters.PagesInUse);
        world.AssertConsistent();
    }

    [Fact]
    public void CtShare_WiderRightsOrNoShareRight_RightsDenied()
    {
        using var world = new SendPathWorld();
        var buffer = world.Memory.Push(world.App, "buf", 100, Rights.Read | Rights.Share).Unwrap();
        var noShare = world.Memory.Restrict(world.App, buffer, Rights.Read).Unwrap();
        var gva = world.GvaOf(world.App, buffer);

        Assert.Equal(MemoryError.RightsDenied, world.Memory.CtShare(world.App, buffer, gva, 10, world.Socket, "q", Rights.Write).Error);
        Assert.Equal(MemoryError.RightsDenied, world.Memory.CtShare(world.App, noShare, gva, 10, world.Socket, "q", Rights.Read).Error);
        Assert.Equal(0, world.Memory.Counters.LiveCtrns);
    }

    [Fact]
    public void CtShare_RangeOutsideNodeOrForeignGva_FailsWithoutSharing()
    {
        using var world = new SendPathWorld();
        var buffer = world.Memory.Push(world.App, "buf", 100).Unwrap();
        var gva = world.GvaOf(world.App, buffer);

        Assert.Equal(MemoryError.OutOfRange, world.Memory.CtShare(world.App, buffer, gva.Add(50), 51, world.Socket, "q", Rights.Read).Error);
        Assert.Equal(MemoryError.OutOfRange, world.Memory.CtShare(world.App, buffer, gva.Add(-1), 10, world.Socket, "q", Rights.Read).Error);
        Assert.Equal(MemoryError.InvalidGva, world.Memory.CtShare(world.App, buffer, Gva.Make(world.Socket, gva.Offset), 10, world.Socket, "q", Rights.Read).Error);
        Assert.Equal(MemoryError.InvalidArgument, world.Memory.CtShare(world.App, buffer, gva, 10, world.App, "q", Rights.Read).Error);
        Assert.Equal(MemoryError.NoSuchTs, world.Memory.CtShare(world.App, buffer, gva, 10, new TsId(999), "q", Rights.Read).Error);
        Assert.Equal(0, world.Memory.Counters.LiveCtrns);
        world.AssertConsistent();
    }

    [Fact]
    public void Divide_AtMidPage_PreservesBytesGvasAndRefcounts()
    {
        using var world = new SendPathWorld();
        var node = world.PushFilled(world.App, "buf", 3 * 4096, seed: 9);
        var original = world.Memory.Inspect(world.App, node).Unwrap();

        var (head, tail) = world.Memory.Divide(world.App, node, 5000).Unwrap();
        var headInfo = world.Memory.Inspect(world.App, head).Unwrap();
        var tailInfo = world.Memory.Inspect(world.App, tail).Unwrap();

        var expected = SendPathWorld.Pattern(3 * 4096, 9);
        Assert.Equal(expected[..5000], world.Bytes(world.App, head));
        Assert.Equal(expected[5000..], world.Bytes(world.App, tail));
        Assert.Equal(original.Gva, headInfo.Gva);
        Assert.Equal(original.Gva.Add(5000), tailInfo.Gva);
        Assert.Equal(MemoryError.Stale, world.Memory.Inspect(world.App, node).Error);
        Assert.Equal(3, world.Memory.Counters.PagesInUse);
        world.AssertConsistent();

        world.Memory.Pop(world.App, head).ThrowIfFailed();
        Assert.Equal(2, world.Memory.Counters.PagesInUse);
        world.Memory.Pop(world.App, tail).ThrowIfFailed();
        Assert.Equal(0, world.Memory.Counters.PagesInUse);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(100)]
    [InlineData(-3)]
    public void Divide_OffsetNotStrictlyInside_OutOfRangeAndNodeKept(int offset)
    {
        using var world = new SendPathWorld();
        var node = world.Memory.Push(world.App, "buf", 100).Unwrap();

        Assert.Equal(MemoryError.OutOfRange, world.Memory.Divide(world.App, node, offset).Error);
        Assert.True(world.Memory.Inspect(world.App, node).IsOk);
    }

    [Fact]
    public void Divide_Ctrn_PartsStayCtrnsWithOrigins()
    {
        using var world = new SendPathWorld();
        var buffer = world.PushFilled(world.App, "buf", 3000);
        var ctrn = world.Memory.CtShare(world.App, buffer, world.GvaOf(world.App, buffer), 3000, world.Protocol, "skb", Rights.All).Unwrap();

        var (head, tail) = world.Memory.Divide(world.Protocol, ctrn, 1448).Unwrap();

        foreach (var part in new[] { head, tail })
        {
            var info = world.Memory.Inspect(world.Protocol, part).Unwrap();
            Assert.True(info.IsCtrn);
            Assert.Equal([world.App], info.Origins);
        }

        Assert.Equal(2, world.Memory.Counters.LiveCtrns);
    }

    [Fact]
    public void Merge_HeaderAndPayload_ConcatenatesWithoutCopy()
    {
        using var world = new SendPathWorld();
        var buffer = world.PushFilled(world.App, "buf", 1000, seed: 5);
        var payload = world.Memory.CtShare(world.App, buffer, world.GvaOf(world.App, buffer), 1000, world.Protocol, "payload", Rights.All).Unwrap();
        var header = world.PushFilled(world.Protocol, "hdr", 54, seed: 100);
        long copiedBefore = world.Memory.Counters.CpuBytesCopied;

        var skb = world.Memory.Merge(world.Protocol, header, payload, "skb/0x77").Unwrap();
        var info = world.Memory.Inspect(world.Protocol, skb).Unwrap();

        Assert.Equal([.. SendPathWorld.Pattern(54, 100), .. SendPathWorld.Pattern(1000, 5)], world.Bytes(world.Protocol, skb));
        Assert.True(info.IsCtrn);
        Assert.Equal([world.App, world.Protocol], info.Origins.OrderBy(t => t.Value));
        Assert.Equal(1054, info.Length);
        Assert.Equal(copiedBefore, world.Memory.Counters.CpuBytesCopied);
        Assert.Equal(MemoryError.Stale, world.Memory.Inspect(world.Protocol, header).Error);
        Assert.Equal(MemoryError.Stale, world.Memory.Inspect(world.Protocol, payload).Error);
        world.AssertConsistent();
    }

    [Fact]
    public void Merge_SameNodeTwiceOrForeignNode_FailsAndConsumesNothing()
    {
        using var world = new SendPathWorld();
        var a = world.Memory.Push(world.Protocol, "a", 10).Unwrap();
        var foreign = world.Memory.Push(world.Socket, "b", 10).Unwrap();

        Assert.Equal(MemoryError.InvalidArgument, world.Memory.Merge(world.Protocol, a, a, "m").Error);
        Assert.Equal(MemoryError.NotVisible, world.Memory.Merge(world.Protocol, a, foreign, "m").Error);
        Assert.True(world.Memory.Inspect(world.Protocol, a).IsOk);
        Assert.True(world.Memory.Inspect(world.Socket, foreign).IsOk);
    }

    [Fact]
    public void DivideThenMerge_RoundTrip_BytesAndRefcountsRestored()
    {
        using var world = new SendPathWorld();
        var node = world.PushFilled(world.App, "buf", 10000, seed: 11);

        var (head, tail) = world.Memory.Divide(world.App, node, 6000).Unwrap();
        var whole = world.Memory.Merge(world.App, head, tail, "again").Unwrap();

        Assert.Equal(SendPathWorld.Pattern(10000, 11), world.Bytes(world.App, whole));
        world.AssertConsistent();
        world.Memory.Pop(world.App, whole).ThrowIfFailed();
        Assert.True(world.Memory.GetLeakReport().IsClean);
    }

    [Fact]
    public void Grant_ReceivedBuffer_BecomesTargetsOwnAndSurvivesGiverExit()
    {
        using var world = new SendPathWorld();
        var rx = world.PushFilled(world.Driver, "rx_ring/0", 1500, seed: 21);
        var atKpn = world.Memory.CtShare(world.Driver, rx, world.GvaOf(world.Driver, rx), 1500, world.Kpn, "rx/0", Rights.All).Unwrap();
        world.Memory.Pop(world.Driver, rx).ThrowIfFailed();

        var mine = world.Memory.Grant(world.Kpn, atKpn, world.App, "recv_buf", Rights.Read | Rights.Share).Unwrap();
        world.Memory.Lift(world.Driver);
        var info = world.Memory.Inspect(world.App, mine).Unwrap();

        Assert.Equal([world.App], info.Origins);
        Assert.False(info.IsCtrn);
        Assert.Equal(SendPathWorld.Pattern(1500, 21), world.Bytes(world.App, mine));
        Assert.Equal(MemoryError.Stale, world.Memory.Inspect(world.Kpn, atKpn).Error);
        Assert.True(world.Memory.CtShare(world.App, mine, info.Gva, 100, world.Socket, "again", Rights.Read).IsOk);
        world.AssertConsistent();
    }

    [Fact]
    public void Grant_WiderRights_RightsDeniedAndNodeKept()
    {
        using var world = new SendPathWorld();
        var node = world.Memory.Push(world.Kpn, "rx", 100, Rights.Read | Rights.Share).Unwrap();

        Assert.Equal(MemoryError.RightsDenied, world.Memory.Grant(world.Kpn, node, world.App, "b", Rights.Write).Error);
        Assert.True(world.Memory.Inspect(world.Kpn, node).IsOk);
    }
}
