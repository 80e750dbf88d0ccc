using Edsos.Memory.Shared;

namespace Edsos.Memory.Tests.Shared;

/// <summary>
/// The shared arena's node operations with <see cref="MemoryManager"/>'s semantics: the cases of
/// NodeOperationTests, CapabilityTests and GenerationTests, plus what the records add (scatter
/// lists of any length, more than four origins, the GVA index).
/// </summary>
[Collection("SharedArena")]
public sealed class SharedNodeOperationTests
{
    [Fact]
    public void Push_NewNode_ZeroedPageAlignedInCallersSpaceWithPathAndOrigin()
    {
        using var world = new SharedWorld();

        var cap = world.Arena.Push(world.App, "buf", 5000).Unwrap();
        var info = world.Arena.Inspect(world.App, cap).Unwrap();

        Assert.Equal("/user_proc/app/buf", info.Path);
        Assert.Equal(world.App, info.Gva.Ts);
        Assert.Equal(0UL, info.Gva.Offset % 4096);
        Assert.Equal(5000, info.Extents.Sum(e => e.Length));
        Assert.Equal([world.App], info.Origins);
        Assert.False(info.IsCtrn);
        Assert.All(world.Bytes(world.App, cap), b => Assert.Equal(0, b));
        Assert.Equal(2, world.PagesInUse);
        world.AssertConsistent();
    }

    [Fact]
    public void Push_FortyPages_OneNodeBeyondTheOldSixteenPageLimit()
    {
        using var world = new SharedWorld();

        var cap = world.PushFilled(world.App, "big", 40 * 4096, seed: 4);

        Assert.Equal(SharedWorld.Pattern(40 * 4096, 4), world.Bytes(world.App, cap));
        Assert.Equal(40, world.PagesInUse);
        world.Arena.Pop(world.App, cap).ThrowIfFailed();
        Assert.Equal(0, world.PagesInUse);
        world.AssertConsistent();
    }

    [Fact]
    public void Push_TwoNodes_GetDisjointGvaRanges()
    {
        using var world = new SharedWorld();

        var first = world.GvaOf(world.App, world.Arena.Push(world.App, "a", 100).Unwrap());
        var second = world.GvaOf(world.App, world.Arena.Push(world.App, "b", 100).Unwrap());

        Assert.True(second.Offset >= first.Offset + 100);
    }

    [Theory]
    [InlineData(0, "x")]
    [InlineData(10, "")]
    [InlineData(10, "/x")]
    [InlineData(10, "a//b")]
    [InlineData(10, "a-name-longer-than-sixty-four-bytes-does-not-fit-the-node-record-x")]
    public void Push_BadLengthOrName_InvalidArgument(int length, string name)
    {
        using var world = new SharedWorld();

        Assert.Equal(MemoryError.InvalidArgument, world.Arena.Push(world.App, name, length).Error);
    }

    [Fact]
    public void CtShare_SubRangeSpanningPageBoundary_SharesSamePagesAndBytes()
    {
        using var world = new SharedWorld();
        var buffer = world.PushFilled(world.App, "buf", 3 * 4096, seed: 7);
        var gva = world.GvaOf(world.App, buffer).Add(4000);

        var ctrn = world.Arena.CtShare(world.App, buffer, gva, 5000, world.Socket, "send_q/0x88", Rights.Read | Rights.Share).Unwrap();
        var info = world.Arena.Inspect(world.Socket, ctrn).Unwrap();

        Assert.True(info.IsCtrn);
        Assert.Equal("/net/sockets/sock_0xABCD/send_q/0x88", info.Path);
        Assert.Equal(world.Socket, info.Gva.Ts);
        Assert.Equal([world.App], info.Origins);
        Assert.Equal(SharedWorld.Pattern(3 * 4096, 7).AsSpan(4000, 5000).ToArray(), world.Bytes(world.Socket, ctrn));
        Assert.Equal(world.Arena.PhysicalAddress(world.App, buffer, 4000).Unwrap(), world.Arena.PhysicalAddress(world.Socket, ctrn, 0).Unwrap());
        Assert.Equal(3, world.PagesInUse);
        // The CTRN spans all three pages ([4000, 9000)), so they all outlive the source.
        world.Arena.Pop(world.App, buffer).ThrowIfFailed();
        Assert.Equal(3, world.PagesInUse);
        world.AssertConsistent();
    }

    [Fact]
    public void CtShare_RangeOutsideNodeOrForeignGva_FailsWithoutSharing()
    {
        using var world = new SharedWorld();
        var buffer = world.Arena.Push(world.App, "buf", 100).Unwrap();
        var gva = world.GvaOf(world.App, buffer);

        Assert.Equal(MemoryError.OutOfRange, world.Arena.CtShare(world.App, buffer, gva.Add(50), 51, world.Socket, "q", Rights.Read).Error);
        Assert.Equal(MemoryError.OutOfRange, world.Arena.CtShare(world.App, buffer, gva.Add(-1), 10, world.Socket, "q", Rights.Read).Error);
        Assert.Equal(MemoryError.InvalidGva, world.Arena.CtShare(world.App, buffer, Gva.Make(world.Socket, gva.Offset), 10, world.Socket, "q", Rights.Read).Error);
        Assert.Equal(MemoryError.InvalidArgument, world.Arena.CtShare(world.App, buffer, gva, 10, world.App, "q", Rights.Read).Error);
        Assert.Equal(MemoryError.NoSuchTs, world.Arena.CtShare(world.App, buffer, gva, 10, new TsId(60), "q", Rights.Read).Error);
        Assert.Equal(MemoryError.RightsDenied, world.Arena.CtShare(world.App, world.Arena.Restrict(world.App, buffer, Rights.Read).Unwrap(), gva, 10, world.Socket, "q", Rights.Read).Error);
        Assert.Equal(1, world.Arena.GetStats().LiveNodes);
        world.AssertConsistent();
    }

    [Fact]
    public void Divide_AtMidPage_PreservesBytesGvasAndRefcounts()
    {
        using var world = new SharedWorld();
        var node = world.PushFilled(world.App, "buf", 3 * 4096, seed: 9);
        var original = world.Arena.Inspect(world.App, node).Unwrap();

        var (head, tail) = world.Arena.Divide(world.App, node, 5000).Unwrap();
        var headInfo = world.Arena.Inspect(world.App, head).Unwrap();
        var tailInfo = world.Arena.Inspect(world.App, tail).Unwrap();

        var expected = SharedWorld.Pattern(3 * 4096, 9);
        Assert.Equal(expected[..5000], world.Bytes(world.App, head));
        Assert.Equal(expected[5000..], world.Bytes(world.App, tail));
        Assert.Equal(original.Gva, headInfo.Gva);
        Assert.Equal(original.Gva.Add(5000), tailInfo.Gva);
        Assert.Equal("/user_proc/app/buf[0+5000]", headInfo.Path);
        Assert.Equal("/user_proc/app/buf[5000+7288]", tailInfo.Path);
        Assert.Equal(MemoryError.Stale, world.Arena.Inspect(world.App, node).Error);
        Assert.Equal(3, world.PagesInUse);
        world.AssertConsistent();

        world.Arena.Pop(world.App, head).ThrowIfFailed();
        Assert.Equal(2, world.PagesInUse);
        world.Arena.Pop(world.App, tail).ThrowIfFailed();
        Assert.Equal(0, world.PagesInUse);
        world.AssertConsistent();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(100)]
    [InlineData(-3)]
    public void Divide_OffsetNotStrictlyInside_OutOfRangeAndNodeKept(int offset)
    {
        using var world = new SharedWorld();
        var node = world.Arena.Push(world.App, "buf", 100).Unwrap();

        Assert.Equal(MemoryError.OutOfRange, world.Arena.Divide(world.App, node, offset).Error);
        Assert.True(world.Arena.Locate(world.App, node).IsOk);
    }

    [Fact]
    public void Divide_Ctrn_PartsStayCtrnsWithOrigins()
    {
        using var world = new SharedWorld();
        var buffer = world.PushFilled(world.App, "buf", 3000);
        var ctrn = world.Arena.CtShare(world.App, buffer, world.GvaOf(world.App, buffer), 3000, world.Protocol, "skb", Rights.All).Unwrap();

        var (head, tail) = world.Arena.Divide(world.Protocol, ctrn, 1448).Unwrap();

        foreach (var part in new[] { head, tail })
        {
            var info = world.Arena.Inspect(world.Protocol, part).Unwrap();
            Assert.True(info.IsCtrn);
            Assert.Equal([world.App], info.Origins);
        }

        world.Arena.Lift(world.App);
        Assert.Equal(MemoryError.InvalidGva, world.Arena.Locate(world.Protocol, head).Error);
        Assert.Equal(MemoryError.InvalidGva, world.Arena.Locate(world.Protocol, tail).Error);
        world.AssertConsistent();
    }

    [Fact]
    public void Divide_SegmentsOfALargeSend_TranslateFindsEveryPieceByGva()
    {
        using var world = new SharedWorld();
        const int Length = 20 * 4096;
        var rest = world.PushFilled(world.App, "send", Length, seed: 13);
        var start = world.GvaOf(world.App, rest);
        var pieces = new List<(Capability Cap, int Offset, int Length)>();
        int at = 0;
        while (Length - at > 1448)
        {
            var (segment, tail) = world.Arena.Divide(world.App, rest, 1448).Unwrap();
            pieces.Add((segment, at, 1448));
            at += 1448;
            rest = tail;
        }

        pieces.Add((rest, at, Length - at));
        world.AssertConsistent();

        var expected = SharedWorld.Pattern(Length, 13);
        foreach (var (cap, offset, length) in pieces)
        {
            var hit = world.Arena.Translate(world.App, start.Add(offset + (length / 2)), 1, Rights.Read).Unwrap();
            Assert.Equal(cap.NodeId, hit.Node.NodeId);
            Assert.Equal(length / 2, hit.Offset);
            Assert.Equal(expected.AsSpan(offset, length).ToArray(), world.Bytes(world.App, cap));
        }

        Assert.Equal(MemoryError.OutOfRange, world.Arena.Translate(world.App, start.Add(10), 1448, Rights.Read).Error);
        Assert.Equal(20, world.PagesInUse);
    }

    [Fact]
    public void Merge_HeaderAndPayload_ConcatenatesWithoutCopy()
    {
        using var world = new SharedWorld();
        var buffer = world.PushFilled(world.App, "buf", 1000, seed: 5);
        var payload = world.Arena.CtShare(world.App, buffer, world.GvaOf(world.App, buffer), 1000, world.Protocol, "payload", Rights.All).Unwrap();
        var header = world.PushFilled(world.Protocol, "hdr", 54, seed: 100);
        long payloadAt = world.Arena.PhysicalAddress(world.Protocol, payload, 0).Unwrap();

        var skb = world.Arena.Merge(world.Protocol, header, payload, "skb/0x77").Unwrap();
        var info = world.Arena.Inspect(world.Protocol, skb).Unwrap();

        Assert.Equal([.. SharedWorld.Pattern(54, 100), .. SharedWorld.Pattern(1000, 5)], world.Bytes(world.Protocol, skb));
        Assert.True(info.IsCtrn);
        Assert.Equal([world.App, world.Protocol], info.Origins);
        Assert.Equal(1054, info.Length);
        Assert.Equal(2, info.Extents.Count);
        Assert.Equal(payloadAt, world.Arena.PhysicalAddress(world.Protocol, skb, 54).Unwrap());
        Assert.Equal(MemoryError.Stale, world.Arena.Locate(world.Protocol, header).Error);
        Assert.Equal(MemoryError.Stale, world.Arena.Locate(world.Protocol, payload).Error);
        world.AssertConsistent();
    }

    [Fact]
    public void Merge_SameNodeTwiceOrForeignNode_FailsAndConsumesNothing()
    {
        using var world = new SharedWorld();
        var a = world.Arena.Push(world.Protocol, "a", 10).Unwrap();
        var foreign = world.Arena.Push(world.Socket, "b", 10).Unwrap();

        Assert.Equal(MemoryError.InvalidArgument, world.Arena.Merge(world.Protocol, a, a, "m").Error);
        Assert.Equal(MemoryError.NotVisible, world.Arena.Merge(world.Protocol, a, foreign, "m").Error);
        Assert.True(world.Arena.Locate(world.Protocol, a).IsOk);
        Assert.True(world.Arena.Locate(world.Socket, foreign).IsOk);
        world.AssertConsistent();
    }

    [Fact]
    public void Merge_SixOrigins_SpillRecordHoldsThemAndLiftOfTheLastRevokes()
    {
        using var world = new SharedWorld();
        var sources = new List<TsId>();
        Capability? merged = null;
        for (int i = 0; i < 6; i++)
        {
            var ts = world.Arena.CreateTs($"/user_proc/frag{i}").Unwrap();
            sources.Add(ts);
            var own = world.PushFilled(ts, "f", 100, seed: (byte)i);
            var ctrn = world.Arena.CtShare(ts, own, world.GvaOf(ts, own), 100, world.Protocol, "frag", Rights.All).Unwrap();
            merged = merged is { } sofar ? world.Arena.Merge(world.Protocol, sofar, ctrn, "dgram").Unwrap() : ctrn;
        }

        var info = world.Arena.Inspect(world.Protocol, merged!.Value).Unwrap();
        Assert.Equal(sources, info.Origins);
        Assert.Equal(600, info.Length);
        world.AssertConsistent();

        world.Arena.Lift(sources[5]);

        Assert.Equal(MemoryError.InvalidGva, world.Arena.Locate(world.Protocol, merged.Value).Error);
        world.AssertConsistent();
    }

    [Fact]
    public void DivideThenMerge_RoundTrip_BytesAndRefcountsRestored()
    {
        using var world = new SharedWorld();
        var node = world.PushFilled(world.App, "buf", 10000, seed: 11);

        var (head, tail) = world.Arena.Divide(world.App, node, 6000).Unwrap();
        var whole = world.Arena.Merge(world.App, head, tail, "again").Unwrap();

        Assert.Equal(SharedWorld.Pattern(10000, 11), world.Bytes(world.App, whole));
        world.AssertConsistent();
        world.Arena.Pop(world.App, whole).ThrowIfFailed();
        Assert.Equal(0, world.PagesInUse);
        world.AssertConsistent();
    }

    [Fact]
    public void Grant_ReceivedBuffer_BecomesTargetsOwnAndSurvivesGiverExit()
    {
        using var world = new SharedWorld();
        var rx = world.PushFilled(world.Driver, "rx_ring/0", 1500, seed: 21);
        var atKpn = world.Arena.CtShare(world.Driver, rx, world.GvaOf(world.Driver, rx), 1500, world.Kpn, "rx/0", Rights.All).Unwrap();
        world.Arena.Pop(world.Driver, rx).ThrowIfFailed();

        var mine = world.Arena.Grant(world.Kpn, atKpn, world.App, "recv_buf", Rights.Read | Rights.Share).Unwrap();
        world.Arena.Lift(world.Driver);
        var info = world.Arena.Inspect(world.App, mine).Unwrap();

        Assert.Equal([world.App], info.Origins);
        Assert.False(info.IsCtrn);
        Assert.Equal("/user_proc/app/recv_buf", info.Path);
        Assert.Equal(SharedWorld.Pattern(1500, 21), world.Bytes(world.App, mine));
        Assert.Equal(MemoryError.Stale, world.Arena.Locate(world.Kpn, atKpn).Error);
        Assert.True(world.Arena.CtShare(world.App, mine, info.Gva, 100, world.Socket, "again", Rights.Read).IsOk);
        world.AssertConsistent();
    }

    [Fact]
    public void Grant_WiderRightsOrKernelMemoryFromUser_DeniedAndNodeKept()
    {
        using var world = new SharedWorld();
        var node = world.Arena.Push(world.Kpn, "rx", 100, Rights.Read | Rights.Share).Unwrap();
        var kernel = world.Arena.Push(world.Socket, "k", 100).Unwrap();
        var atApp = world.Arena.CtShare(world.Socket, kernel, world.GvaOf(world.Socket, kernel), 100, world.App, "k", Rights.All).Unwrap();

        Assert.Equal(MemoryError.RightsDenied, world.Arena.Grant(world.Kpn, node, world.App, "b", Rights.Write).Error);
        Assert.Equal(MemoryError.KernelShareDenied, world.Arena.Grant(world.App, atApp, world.OtherApp, "b", Rights.Read).Error);
        Assert.True(world.Arena.Locate(world.Kpn, node).IsOk);
        Assert.True(world.Arena.Locate(world.App, atApp).IsOk);
    }

    [Fact]
    public void Restrict_NarrowerRights_OnlyThoseWork_WiderDenied()
    {
        using var world = new SharedWorld();
        var cap = world.Arena.Push(world.App, "buf", 10, Rights.Read | Rights.Write).Unwrap();

        var readOnly = world.Arena.Restrict(world.App, cap, Rights.Read).Unwrap();

        Assert.True(world.Arena.Read(world.App, readOnly, 0, new byte[4]).IsOk);
        Assert.Equal(MemoryError.RightsDenied, world.Arena.Write(world.App, readOnly, 0, new byte[4]).Error);
        Assert.Equal(MemoryError.RightsDenied, world.Arena.Restrict(world.App, readOnly, Rights.Read | Rights.Write).Error);
        Assert.True(world.Arena.Write(world.App, cap, 0, new byte[4]).IsOk);
    }

    [Fact]
    public void Revoke_OldCapabilitiesStale_NewOneWorks()
    {
        using var world = new SharedWorld();
        var cap = world.Arena.Push(world.App, "buf", 10).Unwrap();
        var narrow = world.Arena.Restrict(world.App, cap, Rights.Read).Unwrap();

        var fresh = world.Arena.Revoke(world.App, cap).Unwrap();

        Assert.Equal(MemoryError.Stale, world.Arena.Check(world.App, cap, Rights.Read).Error);
        Assert.Equal(MemoryError.Stale, world.Arena.Check(world.App, narrow, Rights.Read).Error);
        Assert.Equal(10, world.Arena.Check(world.App, fresh, Rights.Write).Unwrap());
        Assert.Equal(fresh.NodeId, world.Arena.Translate(world.App, world.GvaOf(world.App, fresh), 10, Rights.Read).Unwrap().Node.NodeId);
    }

    [Fact]
    public void Revoke_AtTheLastGeneration_MovesToAFreshRecordAndRetiresTheOld()
    {
        using var world = new SharedWorld();
        var cap = world.PushFilled(world.App, "buf", 3000, seed: 2);
        var gva = world.GvaOf(world.App, cap);
        var aged = world.Arena.AgeNodeForTests(world.App, cap, uint.MaxValue - 1).Unwrap();

        var moved = world.Arena.Revoke(world.App, aged).Unwrap();

        Assert.NotEqual(cap.NodeId, moved.NodeId);
        Assert.Equal(MemoryError.Stale, world.Arena.Check(world.App, aged, Rights.Read).Error);
        Assert.Equal(SharedWorld.Pattern(3000, 2), world.Bytes(world.App, moved));
        Assert.Equal(moved.NodeId, world.Arena.Translate(world.App, gva.Add(100), 1, Rights.Read).Unwrap().Node.NodeId);
        world.AssertConsistent();
        world.Arena.Pop(world.App, moved).ThrowIfFailed();
        Assert.Equal(0, world.PagesInUse);
        world.AssertConsistent();
    }

    [Fact]
    public void Translate_ForeignUnknownOrPastTheEnd_Refused()
    {
        using var world = new SharedWorld();
        var cap = world.Arena.Push(world.App, "buf", 5000, Rights.Read | Rights.Share).Unwrap();
        var gva = world.GvaOf(world.App, cap);

        var hit = world.Arena.Translate(world.App, gva.Add(4500), 500, Rights.Read).Unwrap();

        Assert.Equal((cap.NodeId, 4500), (hit.Node.NodeId, hit.Offset));
        Assert.Equal(MemoryError.OutOfRange, world.Arena.Translate(world.App, gva.Add(4500), 501, Rights.Read).Error);
        Assert.Equal(MemoryError.InvalidGva, world.Arena.Translate(world.App, gva.Add(8192), 1, Rights.Read).Error);
        Assert.Equal(MemoryError.InvalidGva, world.Arena.Translate(world.App, Gva.Make(world.Socket, gva.Offset), 1, Rights.Read).Error);
        Assert.Equal(MemoryError.RightsDenied, world.Arena.Translate(world.App, gva, 1, Rights.Write).Error);
        Assert.Equal(MemoryError.InvalidArgument, world.Arena.Translate(world.App, gva, 0, Rights.Read).Error);
        world.Arena.Pop(world.App, cap).ThrowIfFailed();
        Assert.Equal(MemoryError.InvalidGva, world.Arena.Translate(world.App, gva, 1, Rights.Read).Error);
    }

    [Fact]
    public void Locate_Node_GvaLengthAndExtentCount()
    {
        using var world = new SharedWorld();
        var header = world.Arena.Push(world.Protocol, "hdr", 54).Unwrap();
        var payload = world.Arena.Push(world.Protocol, "p", 3 * 4096).Unwrap();
        var skb = world.Arena.Merge(world.Protocol, header, payload, "skb").Unwrap();

        var location = world.Arena.Locate(world.Protocol, skb).Unwrap();

        Assert.Equal(world.Protocol, location.Gva.Ts);
        Assert.Equal(54 + (3 * 4096), location.Length);
        Assert.Equal(2, location.ExtentCount);
    }

    [Fact]
    public void Release_Twice_CountedAndRecordedWithThePlace()
    {
        using var world = new SharedWorld();
        var cap = world.Arena.Push(world.App, "buf", 10).Unwrap();
        var (head, _) = world.Arena.Divide(world.App, world.Arena.Push(world.App, "d", 10).Unwrap(), 5).Unwrap();

        Assert.True(world.Arena.Release(world.App, cap).IsOk);
        Assert.Equal(MemoryError.Stale, world.Arena.Release(world.App, cap).Error);
        Assert.True(world.Arena.Release(world.App, default).IsOk);
        Assert.True(world.Arena.Release(world.App, head).IsOk);

        var recorded = Assert.Single(world.Arena.DoubleReleases);
        Assert.Equal(cap, recorded.Node);
        Assert.Equal("/user_proc/app", recorded.OwnerPath);
        Assert.StartsWith("SharedNodeOperationTests.cs:", recorded.Place.ToString(), StringComparison.Ordinal);
        Assert.Equal(1, world.Arena.GetStats().DoubleReleases);
    }

    [Fact]
    public void Release_OfANodeLiftedWithItsTs_IsNotADoubleRelease()
    {
        using var world = new SharedWorld();
        var buffer = world.Arena.Push(world.App, "buf", 10).Unwrap();
        var ctrn = world.Arena.CtShare(world.App, buffer, world.GvaOf(world.App, buffer), 10, world.Socket, "q", Rights.Read).Unwrap();

        var report = world.Arena.Lift(world.App);

        Assert.Equal((2, 1, 1, 0), (report.NodesRevoked, report.CtrnsRevoked, report.PagesFreed, report.PagesDeferredByPins));
        Assert.Equal(MemoryError.InvalidGva, world.Arena.Release(world.Socket, ctrn).Error);
        Assert.Equal(0, world.Arena.GetStats().DoubleReleases);
        Assert.Equal(new LiftReport(0, 0, 0, 0), world.Arena.Lift(world.App));
    }

    [Fact]
    public void Pin_MergedNode_DmaReadsAcrossTheSplice()
    {
        using var world = new SharedWorld();
        var header = world.PushFilled(world.Protocol, "hdr", 54, seed: 1);
        var payload = world.PushFilled(world.Protocol, "p", 5000, seed: 2);
        var skb = world.Arena.Merge(world.Protocol, header, payload, "skb").Unwrap();

        var pin = world.Arena.Pin(world.Protocol, skb).Unwrap();
        world.Arena.Pop(world.Protocol, skb).ThrowIfFailed();
        var dma = new byte[5054];
        world.Arena.DmaRead(pin, 0, dma).ThrowIfFailed();

        Assert.Equal([.. SharedWorld.Pattern(54, 1), .. SharedWorld.Pattern(5000, 2)], dma);
        Assert.Equal(3, world.PagesInUse);
        world.Arena.Unpin(pin).ThrowIfFailed();
        Assert.Equal(0, world.PagesInUse);
        world.AssertConsistent();
    }

    [Fact]
    public void DmaByExtent_PinnedLiveMergedNode_ReadsAndWritesTheVeryPages()
    {
        using var world = new SharedWorld();
        var header = world.PushFilled(world.Protocol, "hdr", 54, seed: 1);
        var payload = world.PushFilled(world.App, "p", 5000, seed: 2);
        var atProtocol = world.Arena.CtShare(world.App, payload, world.GvaOf(world.App, payload), 5000, world.Protocol, "payload", Rights.All).Unwrap();
        var skb = world.Arena.Merge(world.Protocol, header, atProtocol, "skb").Unwrap();
        var shared = world.Arena.CtShare(world.Protocol, skb, world.GvaOf(world.Protocol, skb), 5054, world.Driver, "skb", Rights.Read | Rights.Map).Unwrap();
        var pin = world.Arena.Pin(world.Driver, shared).Unwrap();

        var extents = world.Arena.PinExtents(pin).Unwrap();
        var frame = new List<byte>();
        foreach (var extent in extents)
        {
            var bytes = new byte[extent.Length];
            world.Arena.DmaRead(extent, bytes).ThrowIfFailed();
            frame.AddRange(bytes);
        }

        Assert.Equal([.. SharedWorld.Pattern(54, 1), .. SharedWorld.Pattern(5000, 2)], frame);
        Assert.Equal(2, extents.Count);
        world.Arena.DmaWrite(new PhysExtent(extents[1].Address, 3), "abc"u8).ThrowIfFailed();
        var written = new byte[3];
        world.Arena.Read(world.App, payload, 0, written).ThrowIfFailed();
        Assert.Equal("abc"u8.ToArray(), written);

        Assert.Equal(MemoryError.NotPinned, world.Arena.DmaRead(new PhysExtent(100 * 4096, 10), new byte[10]).Error);
        Assert.Equal(MemoryError.OutOfRange, world.Arena.DmaRead(new PhysExtent(128 * 4096, 10), new byte[10]).Error);
        Assert.Equal(MemoryError.InvalidArgument, world.Arena.DmaRead(extents[0], new byte[1]).Error);

        // The app exits: the payload's pages are held by the pin only, and the device is refused them.
        world.Arena.Lift(world.App);
        Assert.Equal(MemoryError.InvalidGva, world.Arena.DmaRead(extents[1], new byte[extents[1].Length]).Error);
        world.Arena.Unpin(pin).ThrowIfFailed();
        world.AssertConsistent();
    }

    [Fact]
    public void Write_ToPagesStillShared_CopiesOnWriteForTheWriterOnly()
    {
        using var world = new SharedWorld();
        var buffer = world.PushFilled(world.App, "buf", 3 * 4096, seed: 6);
        var ctrn = world.Arena.CtShare(world.App, buffer, world.GvaOf(world.App, buffer).Add(4000), 4200, world.Socket, "q", Rights.Read).Unwrap();
        long before = world.Arena.PhysicalAddress(world.App, buffer, 5000).Unwrap();

        // Bytes 3990 .. 8209 touch pages 0, 1 and 2; pages 0 and 2 are shared with the CTRN only in
        // part, page 1 whole: all three are still referenced twice, so all three are copied.
        world.Arena.Write(world.App, buffer, 3990, new byte[4220]).ThrowIfFailed();

        var expected = SharedWorld.Pattern(3 * 4096, 6);
        Assert.Equal(expected.AsSpan(4000, 4200).ToArray(), world.Bytes(world.Socket, ctrn));
        Assert.Equal(6, world.PagesInUse);
        Assert.NotEqual(before, world.Arena.PhysicalAddress(world.App, buffer, 5000).Unwrap());
        Assert.Equal(expected[..3990], world.Bytes(world.App, buffer)[..3990]);
        Assert.Equal(3, world.Arena.Locate(world.App, buffer).Unwrap().ExtentCount);
        world.AssertConsistent();

        // Unshared now: a second write copies nothing.
        world.Arena.Write(world.App, buffer, 0, new byte[3 * 4096]).ThrowIfFailed();
        Assert.Equal(6, world.PagesInUse);
        world.Arena.Pop(world.Socket, ctrn).ThrowIfFailed();
        Assert.Equal(3, world.PagesInUse);
        world.AssertConsistent();
    }

    [Fact]
    public void Visit_MergedNodeWhileItsOriginIsLifted_SegmentsInOrderAndPagesHeldUntilTheEnd()
    {
        using var world = new SharedWorld();
        var header = world.PushFilled(world.Protocol, "hdr", 54, seed: 1);
        var payload = world.PushFilled(world.App, "p", 5000, seed: 2);
        var atProtocol = world.Arena.CtShare(world.App, payload, world.GvaOf(world.App, payload), 5000, world.Protocol, "payload", Rights.All).Unwrap();
        var skb = world.Arena.Merge(world.Protocol, header, atProtocol, "skb").Unwrap();
        var seen = new List<byte>();
        int segments = 0;

        // The visitor calls back into the arena (no lock is held) and lifts the payload's origin:
        // the node is revoked, but the bytes under the visit stay until it ends.
        world.Arena.Visit(world.Protocol, skb, 0, 5054, ref segments, (ref int count, ReadOnlySpan<byte> segment) =>
        {
            count++;
            seen.AddRange(segment.ToArray());
            if (count == 1)
            {
                world.Arena.Lift(world.App);
                Assert.Equal(3, world.PagesInUse);
            }
        }).ThrowIfFailed();

        Assert.Equal(2, segments);
        Assert.Equal([.. SharedWorld.Pattern(54, 1), .. SharedWorld.Pattern(5000, 2)], seen);
        Assert.Equal(0, world.PagesInUse);
        Assert.Equal(MemoryError.InvalidGva, world.Arena.Visit(world.Protocol, skb, 0, 1, ref segments, (ref int _, ReadOnlySpan<byte> _) => { }).Error);
        world.AssertConsistent();
    }

    [Fact]
    public void BeginAccess_WriteOutsideTheLock_CopiesOnWriteFirstAndSharersKeepTheirBytes()
    {
        using var world = new SharedWorld();
        var buffer = world.PushFilled(world.App, "buf", 4096, seed: 8);
        var ctrn = world.Arena.CtShare(world.App, buffer, world.GvaOf(world.App, buffer), 4096, world.Socket, "q", Rights.Read).Unwrap();

        var access = world.Arena.BeginAccess(world.App, buffer, Rights.Write, 100, 10, copyOnWrite: true).Unwrap();
        "0123456789"u8.CopyTo(world.Arena.Slice(Assert.Single(access.Extents)));
        Assert.Equal(2, world.PagesInUse);
        world.Arena.EndAccess(access).ThrowIfFailed();

        Assert.Equal("0123456789"u8.ToArray(), world.Bytes(world.App, buffer)[100..110]);
        Assert.Equal(SharedWorld.Pattern(4096, 8), world.Bytes(world.Socket, ctrn));
        Assert.Equal(MemoryError.NotPinned, world.Arena.EndAccess(access).Error);
        Assert.Equal(MemoryError.RightsDenied, world.Arena.BeginAccess(world.Socket, ctrn, Rights.Write, 0, 1, copyOnWrite: true).Error);
        Assert.Equal(MemoryError.OutOfRange, world.Arena.BeginAccess(world.App, buffer, Rights.Read, 4000, 97, copyOnWrite: false).Error);
        world.AssertConsistent();
    }
}
