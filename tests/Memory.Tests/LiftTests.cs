namespace Edsos.Memory.Tests;

public sealed class LiftTests
{
    /// <summary>Builds seed 000's send chain: user buffer → socket CTRN → protocol skb (header + payload) → divided segments.</summary>
    private static (Capability Buffer, Capability SendQ, Capability Segment0, Capability Segment1) BuildChain(SendPathWorld world)
    {
        var buffer = world.PushFilled(world.App, "buf", 6000);
        var sendQ = world.Memory.CtShare(world.App, buffer, world.GvaOf(world.App, buffer), 6000, world.Socket, "send_q/0x88", Rights.All).Unwrap();
        var payload = world.Memory.CtShare(world.Socket, sendQ, world.GvaOf(world.Socket, sendQ), 6000, world.Protocol, "payload", Rights.All).Unwrap();
        var header = world.Memory.Push(world.Protocol, "hdr", 54).Unwrap();
        var skb = world.Memory.Merge(world.Protocol, header, payload, "skb/0x77").Unwrap();
        var (segment0, segment1) = world.Memory.Divide(world.Protocol, skb, 1514).Unwrap();
        return (buffer, sendQ, segment0, segment1);
    }

    [Fact]
    public void Lift_UserTsMidSend_RevokesEveryDownstreamCtrnWithInvalidGva()
    {
        using var world = new SendPathWorld();
        var (buffer, sendQ, segment0, segment1) = BuildChain(world);
        var segmentGva = world.GvaOf(world.Protocol, segment1);
        var socketOwn = world.Memory.Push(world.Socket, "sock_state", 64).Unwrap();

        var report = world.Memory.Lift(world.App);

        Assert.Equal(4, report.NodesRevoked);
        Assert.Equal(3, report.CtrnsRevoked);
        Assert.Equal(MemoryError.TsExited, world.Memory.Inspect(world.App, buffer).Error);
        Assert.Equal(MemoryError.InvalidGva, world.Memory.Read(world.Socket, sendQ, 0, new byte[1], CopyKind.Payload).Error);
        Assert.Equal(MemoryError.InvalidGva, world.Memory.Pin(world.Protocol, segment0).Error);
        Assert.Equal(MemoryError.InvalidGva, world.Memory.Pop(world.Protocol, segment1).Error);
        Assert.Equal(MemoryError.InvalidGva, world.Memory.Translate(world.Protocol, segmentGva, 1, Rights.Read).Error);
        Assert.True(world.Memory.Inspect(world.Socket, socketOwn).IsOk);
        world.AssertConsistent();
    }

    [Fact]
    public void Lift_UserTsMidSend_FreesAllPagesAndLeavesOthers()
    {
        using var world = new SendPathWorld();
        BuildChain(world);
        var unrelated = world.Memory.Push(world.OtherApp, "x", 4096).Unwrap();

        var report = world.Memory.Lift(world.App);

        // 6000-byte buffer = 2 pages; header page originates in the protocol TS but rides in
        // the merged skb, so it goes too.
        Assert.Equal(3, report.PagesFreed);
        Assert.Equal(0, report.PagesDeferredByPins);
        Assert.Equal(1, world.Memory.Counters.PagesInUse);
        Assert.True(world.Memory.Inspect(world.OtherApp, unrelated).IsOk);
        Assert.Equal(MemoryError.TsExited, world.Memory.Push(world.App, "late", 10).Error);
    }

    [Fact]
    public void Lift_WithPinnedPage_PageFreedOnlyAtUnpin()
    {
        using var world = new SendPathWorld();
        var (_, _, segment0, _) = BuildChain(world);
        var pin = world.Memory.Pin(world.Protocol, segment0).Unwrap();

        var report = world.Memory.Lift(world.App);

        Assert.True(report.PagesDeferredByPins > 0);
        int held = world.Memory.Counters.PagesInUse;
        Assert.Equal(report.PagesDeferredByPins, held);
        Assert.False(world.Memory.GetLeakReport().IsClean);
        var bytes = new byte[pin.Extents[0].Length];
        // The pin keeps the page from reuse, but the device may no longer read it: the lift revoked it.
        Assert.Equal(MemoryError.InvalidGva, world.Memory.DmaRead(pin.Extents[0], bytes).Error);

        world.Memory.Unpin(pin.PinId).ThrowIfFailed();

        Assert.Equal(0, world.Memory.Counters.PagesInUse);
        Assert.True(world.Memory.GetLeakReport().IsClean);
        Assert.Equal(MemoryError.NotPinned, world.Memory.DmaRead(pin.Extents[0], bytes).Error);
        world.AssertConsistent();
    }

    [Fact]
    public void Lift_KernelTs_RevokesCtrnsItSharedToOthers()
    {
        using var world = new SendPathWorld();
        var rx = world.PushFilled(world.Driver, "rx", 2048);
        var atProtocol = world.Memory.CtShare(world.Driver, rx, world.GvaOf(world.Driver, rx), 2048, world.Protocol, "rx/0", Rights.Read).Unwrap();

        world.Memory.Lift(world.Driver);

        Assert.Equal(MemoryError.InvalidGva, world.Memory.Inspect(world.Protocol, atProtocol).Error);
        Assert.True(world.Memory.GetLeakReport().IsClean);
    }

    [Fact]
    public void Lift_OnlyThatTs_ChildrenStayAlive()
    {
        using var world = new SendPathWorld();
        var parent = world.Memory.FindTs("/user_proc/sysagent").Unwrap();
        var kpnNode = world.Memory.Push(world.Kpn, "state", 10).Unwrap();

        world.Memory.Lift(parent);

        Assert.False(world.Memory.GetTs(parent).Alive);
        Assert.True(world.Memory.GetTs(world.Kpn).Alive);
        Assert.True(world.Memory.Inspect(world.Kpn, kpnNode).IsOk);
    }

    [Fact]
    public void Lift_Twice_SecondIsEmpty()
    {
        using var world = new SendPathWorld();
        world.Memory.Push(world.App, "a", 10).Unwrap();

        Assert.Equal(1, world.Memory.Lift(world.App).NodesRevoked);
        Assert.Equal(new LiftReport(0, 0, 0, 0), world.Memory.Lift(world.App));
        Assert.Equal(new LiftReport(0, 0, 0, 0), world.Memory.Lift(new TsId(4000)));
    }
}
