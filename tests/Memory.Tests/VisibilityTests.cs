namespace Edsos.Memory.Tests;

/// <summary>Seed 000, section 三: who sees <c>user_buf_node</c> during send().</summary>
public sealed class VisibilityTests
{
    public enum Accessor
    {
        SockNode,
        Protocol,
        Driver,
        OtherUserTs,
    }

    /// <summary>
    /// Mirrors the table: socket, protocol and driver see the user buffer through their own CTRN
    /// obtained by explicit share down the chain; another user TS has no share and sees nothing,
    /// neither through the user's capability, nor its GVA.
    /// </summary>
    [Theory]
    [InlineData(Accessor.SockNode, true)]
    [InlineData(Accessor.Protocol, true)]
    [InlineData(Accessor.Driver, true)]
    [InlineData(Accessor.OtherUserTs, false)]
    public void UserBufNode_SeedVisibilityTable_MatchesSeed(Accessor accessor, bool visible)
    {
        using var world = new SendPathWorld();
        var userBuf = world.PushFilled(world.App, "user_buf_node", 2000, seed: 33);
        var userGva = world.GvaOf(world.App, userBuf);
        var atKpn = world.Memory.CtShare(world.App, userBuf, userGva, 2000, world.Kpn, "send/0", Rights.All).Unwrap();
        var atSocket = world.Memory.CtShare(world.Kpn, atKpn, world.GvaOf(world.Kpn, atKpn), 2000, world.Socket, "send_q/0x88", Rights.All).Unwrap();
        var atProtocol = world.Memory.CtShare(world.Socket, atSocket, world.GvaOf(world.Socket, atSocket), 2000, world.Protocol, "0x77", Rights.All).Unwrap();
        var atDriver = world.Memory.CtShare(world.Protocol, atProtocol, world.GvaOf(world.Protocol, atProtocol), 2000, world.Driver, "tx_ring/0x66", Rights.Read | Rights.Map).Unwrap();

        var (ts, ownCap) = accessor switch
        {
            Accessor.SockNode => (world.Socket, atSocket),
            Accessor.Protocol => (world.Protocol, atProtocol),
            Accessor.Driver => (world.Driver, atDriver),
            _ => (world.OtherApp, userBuf),
        };

        var read = new byte[2000];
        var result = world.Memory.Read(ts, ownCap, 0, read, CopyKind.Payload);

        Assert.Equal(visible, result.IsOk);
        Assert.Equal(visible ? SendPathWorld.Pattern(2000, 33) : new byte[2000], read);
        Assert.Equal(MemoryError.NotVisible, world.Memory.Read(ts, userBuf, 0, new byte[1], CopyKind.Payload).Error);
        Assert.Equal(MemoryError.InvalidGva, world.Memory.Translate(ts, userGva, 1, Rights.Read).Error);
    }

    [Fact]
    public void CtShare_UserSharingKernelMemory_KernelShareDenied()
    {
        using var world = new SendPathWorld();
        var kernel = world.Memory.Push(world.Socket, "sock_state", 128).Unwrap();
        var toUser = world.Memory.CtShare(world.Socket, kernel, world.GvaOf(world.Socket, kernel), 128, world.App, "leak", Rights.All).Unwrap();

        var reshare = world.Memory.CtShare(world.App, toUser, world.GvaOf(world.App, toUser), 128, world.OtherApp, "stolen", Rights.Read);
        var grant = world.Memory.Grant(world.App, toUser, world.OtherApp, "stolen", Rights.Read);

        Assert.Equal(MemoryError.KernelShareDenied, reshare.Error);
        Assert.Equal(MemoryError.KernelShareDenied, grant.Error);
        Assert.True(world.Memory.Read(world.App, toUser, 0, new byte[4], CopyKind.Metadata).IsOk);
        Assert.Equal(1, world.Memory.Counters.LiveCtrns);
    }

    [Fact]
    public void CtShare_UserSharingGrantedKernelBuffer_Allowed()
    {
        using var world = new SendPathWorld();
        var rx = world.Memory.Push(world.Driver, "rx", 128).Unwrap();
        var mine = world.Memory.Grant(world.Driver, rx, world.App, "recv", Rights.All).Unwrap();

        var share = world.Memory.CtShare(world.App, mine, world.GvaOf(world.App, mine), 128, world.Socket, "q", Rights.Read);

        Assert.True(share.IsOk, share.ToString());
    }

    [Fact]
    public void CtShare_KernelSharingUserMemory_Allowed()
    {
        using var world = new SendPathWorld();
        var userBuf = world.Memory.Push(world.App, "buf", 64).Unwrap();
        var atKpn = world.Memory.CtShare(world.App, userBuf, world.GvaOf(world.App, userBuf), 64, world.Kpn, "s", Rights.All).Unwrap();

        Assert.True(world.Memory.CtShare(world.Kpn, atKpn, world.GvaOf(world.Kpn, atKpn), 64, world.Socket, "q", Rights.Read).IsOk);
    }
}
