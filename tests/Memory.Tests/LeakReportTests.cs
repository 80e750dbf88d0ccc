namespace Edsos.Memory.Tests;

public sealed class LeakReportTests
{
    [Fact]
    public void GetLeakReport_FullSendScenario_Clean()
    {
        using var world = new SendPathWorld();
        var buffer = world.PushFilled(world.App, "buf", 5000);
        var sendQ = world.Memory.CtShare(world.App, buffer, world.GvaOf(world.App, buffer), 5000, world.Socket, "send_q/0", Rights.All).Unwrap();
        var payload = world.Memory.CtShare(world.Socket, sendQ, world.GvaOf(world.Socket, sendQ), 5000, world.Protocol, "p", Rights.All).Unwrap();
        var header = world.Memory.Push(world.Protocol, "hdr", 54).Unwrap();
        var skb = world.Memory.Merge(world.Protocol, header, payload, "skb").Unwrap();
        var (a, b) = world.Memory.Divide(world.Protocol, skb, 1514).Unwrap();
        foreach (var segment in new[] { a, b })
        {
            var atDriver = world.Memory.CtShare(world.Protocol, segment, world.GvaOf(world.Protocol, segment), world.Memory.Inspect(world.Protocol, segment).Unwrap().Length, world.Driver, "tx", Rights.Read | Rights.Map).Unwrap();
            var pin = world.Memory.Pin(world.Driver, atDriver).Unwrap();
            foreach (var extent in pin.Extents)
            {
                world.Memory.DmaRead(extent, new byte[extent.Length]).ThrowIfFailed();
            }

            world.Memory.Unpin(pin.PinId).ThrowIfFailed();
            world.Memory.Pop(world.Driver, atDriver).ThrowIfFailed();
            world.Memory.Pop(world.Protocol, segment).ThrowIfFailed();
        }

        world.Memory.Pop(world.Socket, sendQ).ThrowIfFailed();
        world.Memory.Pop(world.App, buffer).ThrowIfFailed();

        var report = world.Memory.GetLeakReport();
        Assert.True(report.IsClean, report.ToString());
        Assert.Equal("leak report: clean", report.ToString());
        world.AssertConsistent();
    }

    [Fact]
    public void GetLeakReport_ForgottenCtrn_NamesItsPath()
    {
        using var world = new SendPathWorld();
        var buffer = world.Memory.Push(world.App, "buf", 100).Unwrap();
        world.Memory.CtShare(world.App, buffer, world.GvaOf(world.App, buffer), 100, world.Socket, "send_q/0x88", Rights.Read).Unwrap();
        world.Memory.Pop(world.App, buffer).ThrowIfFailed();

        var report = world.Memory.GetLeakReport();

        Assert.False(report.IsClean);
        var leaked = Assert.Single(report.Nodes);
        Assert.Equal("/net/sockets/sock_0xABCD/send_q/0x88", leaked.Path);
        Assert.True(leaked.IsCtrn);
        Assert.Equal(world.Socket, leaked.Owner);
        Assert.Equal(1, report.PagesInUse);
        Assert.Contains("/net/sockets/sock_0xABCD/send_q/0x88", report.ToString());
    }

    [Fact]
    public void GetLeakReport_ForSubtree_OnlyNodesOwnedByOrOriginatingThere()
    {
        using var world = new SendPathWorld();
        var userBuf = world.Memory.Push(world.App, "buf", 100).Unwrap();
        world.Memory.CtShare(world.App, userBuf, world.GvaOf(world.App, userBuf), 100, world.Socket, "q", Rights.Read).Unwrap();
        world.Memory.Push(world.Driver, "ring", 4096).Unwrap();
        var userProc = world.Memory.FindTs("/user_proc").Unwrap();

        var userReport = world.Memory.GetLeakReport(userProc);
        var driverReport = world.Memory.GetLeakReport(world.Driver);

        Assert.Equal(["/net/sockets/sock_0xABCD/q", "/user_proc/app/buf"], userReport.Nodes.Select(n => n.Path).Order());
        Assert.Equal(1, userReport.PagesInUse);
        Assert.Equal(["/drivers/net/e1000/ring"], driverReport.Nodes.Select(n => n.Path));
    }

    [Fact]
    public void GetLeakReport_PinNeverReleased_NotClean()
    {
        using var world = new SendPathWorld();
        var node = world.Memory.Push(world.Driver, "tx", 100).Unwrap();
        world.Memory.Pin(world.Driver, node).Unwrap();
        world.Memory.Pop(world.Driver, node).ThrowIfFailed();

        var report = world.Memory.GetLeakReport();

        Assert.Empty(report.Nodes);
        Assert.Equal(1, report.ActivePins);
        Assert.Equal(1, report.PagesInUse);
        Assert.False(report.IsClean);
    }
}
