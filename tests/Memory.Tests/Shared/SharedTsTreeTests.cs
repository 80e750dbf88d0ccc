using Edsos.Memory.Shared;

namespace Edsos.Memory.Tests.Shared;

/// <summary>The shared arena's TS tree with <see cref="MemoryManager"/>'s semantics (TsTreeTests), seen from two attachments.</summary>
[Collection("SharedArena")]
public sealed class SharedTsTreeTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"edsos-shared-{Guid.NewGuid():N}.arena");

    public void Dispose() => File.Delete(_path);

    [Fact]
    public void CreateTs_DeepPath_CreatesAncestorsWithDefaultKindsVisibleToAnotherProcess()
    {
        using var user = SharedArena.Open(_path, SharedWorld.Options);
        using var net = SharedArena.Open(_path, SharedWorld.Options);

        var kpn = user.CreateTs("/user_proc/sysagent/kpn", TsKind.Kernel).Unwrap();
        var sysagent = net.FindTs("/user_proc/sysagent").Unwrap();
        var userProc = net.FindTs("/user_proc").Unwrap();

        Assert.Equal(kpn, net.FindTs("/user_proc/sysagent/kpn").Unwrap());
        Assert.True(net.TryGetTs(kpn, out var kpnInfo));
        Assert.Equal(("/user_proc/sysagent/kpn", TsKind.Kernel, sysagent, true), (kpnInfo.Path, kpnInfo.Kind, kpnInfo.Parent, kpnInfo.Alive));
        Assert.True(net.TryGetTs(sysagent, out var sysagentInfo));
        Assert.Equal((TsKind.User, userProc), (sysagentInfo.Kind, sysagentInfo.Parent));
        Assert.True(net.TryGetTs(userProc, out var userProcInfo));
        Assert.Equal(SharedArena.Root, userProcInfo.Parent);
        Assert.True(net.TryGetTs(net.CreateTs("/net/ipv4").Unwrap(), out var ipv4));
        Assert.Equal(TsKind.Kernel, ipv4.Kind);
        Assert.Empty(user.CheckInvariants());
    }

    [Theory]
    [InlineData("")]
    [InlineData("net")]
    [InlineData("/net/")]
    [InlineData("/net//ipv4")]
    [InlineData("/net/../x")]
    [InlineData("/")]
    public void CreateTs_MalformedOrExistingPath_InvalidArgument(string path)
    {
        using var arena = SharedArena.Open(_path, SharedWorld.Options);

        Assert.Equal(MemoryError.InvalidArgument, arena.CreateTs(path).Error);
    }

    [Fact]
    public void CreateTs_LivePathTwice_InvalidArgumentButExitedPathRevives()
    {
        using var arena = SharedArena.Open(_path, SharedWorld.Options);
        var app = arena.CreateTs("/user_proc/app").Unwrap();
        var old = arena.Push(app, "buf", 100).Unwrap();
        var oldGva = arena.Locate(app, old).Unwrap().Gva;

        Assert.Equal(MemoryError.InvalidArgument, arena.CreateTs("/user_proc/app").Error);
        arena.Lift(app);
        Assert.True(arena.TryGetTs(app, out var exited));
        Assert.False(exited.Alive);
        Assert.Equal(app, arena.CreateTs("/user_proc/app").Unwrap());

        // Revived: its old node stays lifted and new GVAs never name old nodes.
        Assert.Equal(MemoryError.InvalidGva, arena.Locate(app, old).Error);
        Assert.True(arena.Locate(app, arena.Push(app, "buf", 100).Unwrap()).Unwrap().Gva.Offset > oldGva.Offset);
        Assert.Empty(arena.CheckInvariants());
    }

    [Fact]
    public void CreateTs_ImplicitAncestor_AdoptedByItsCreatorAndNotLiftedWithAnotherProcess()
    {
        using var net = SharedArena.Open(_path, SharedWorld.Options);
        TsId sockets;
        using (var user = SharedArena.Open(_path, SharedWorld.Options))
        {
            user.CreateTs("/net/sockets/sock_1").Unwrap();
            sockets = net.FindTs("/net/sockets").Unwrap();

            // Hosted by no process until one creates it: nobody may act as it.
            Assert.Equal(MemoryError.NotVisible, net.Push(sockets, "x", 10).Error);
            Assert.Equal(sockets, net.CreateTs("/net/sockets").Unwrap());
            Assert.True(net.Push(sockets, "x", 10).IsOk);
        }

        // The user process detached: its TS exited, the ancestors it made implicitly did not.
        Assert.True(net.TryGetTs(net.FindTs("/net/sockets/sock_1").Unwrap(), out var gone));
        Assert.False(gone.Alive);
        Assert.True(net.TryGetTs(sockets, out var kept));
        Assert.True(kept.Alive);
        Assert.Empty(net.CheckInvariants());
    }

    [Fact]
    public void Subtree_Tree_IsPostOrder()
    {
        using var arena = SharedArena.Open(_path, SharedWorld.Options);
        var a = arena.CreateTs("/a").Unwrap();
        var b = arena.CreateTs("/a/b").Unwrap();
        var c = arena.CreateTs("/a/b/c").Unwrap();
        var d = arena.CreateTs("/a/d").Unwrap();

        Assert.Equal([c, b, d, a], arena.Subtree(a));
        Assert.True(arena.TryGetTs(a, out var info));
        Assert.Equal([b, d], info.Children);
        Assert.Empty(arena.Subtree(new TsId(60)));
    }

    [Fact]
    public void FindTs_UnknownPath_NoSuchTs()
    {
        using var arena = SharedArena.Open(_path, SharedWorld.Options);

        Assert.Equal(MemoryError.NoSuchTs, arena.FindTs("/nowhere").Error);
        Assert.Equal(MemoryError.InvalidArgument, arena.FindTs("nowhere").Error);
        Assert.Equal(SharedArena.Root, arena.FindTs("/").Unwrap());
        Assert.False(arena.TryGetTs(new TsId(60), out _));
    }

    [Fact]
    public void CreateTs_IdsExhausted_OutOfMemoryAndNothingHalfMade()
    {
        using var arena = SharedArena.Open(_path, SharedWorld.Options with { MaxTs = 9 });
        for (int i = 0; i < 5; i++)
        {
            arena.CreateTs($"/t{i}").Unwrap();
        }

        // Three new TSs needed, two ids left: the two ancestors made on the way are rolled back.
        Assert.Equal(MemoryError.OutOfMemory, arena.CreateTs("/x/y/z").Error);
        Assert.Equal(MemoryError.NoSuchTs, arena.FindTs("/x").Error);
        Assert.True(arena.CreateTs("/x/y").IsOk);
        Assert.Empty(arena.CheckInvariants());
    }

    [Fact]
    public void CreateTs_HostAllTs_AncestorsAndRootActLikeTheManagersTs()
    {
        using var arena = SharedArena.Open(_path, SharedWorld.Options with { HostAllTs = true });

        arena.CreateTs("/net/sockets/sock_1").Unwrap();
        var sockets = arena.FindTs("/net/sockets").Unwrap();

        Assert.True(arena.Push(sockets, "x", 10).IsOk);
        Assert.True(arena.Push(SharedArena.Root, "y", 10).IsOk);
        Assert.Empty(arena.CheckInvariants());
    }

    [Fact]
    public void CreateTs_PathOfAHalfLiftedTs_FinishesTheLiftThenRevives()
    {
        using var arena = SharedArena.Open(_path, SharedWorld.Options);
        var app = arena.CreateTs("/user_proc/app").Unwrap();
        var caps = Enumerable.Range(0, 12).Select(i => arena.Push(app, $"b{i}", 100).Unwrap()).ToList();
        SharedArena.TestHook = point =>
        {
            if (point == "longlift")
            {
                throw new InvalidOperationException(point);
            }
        };
        try
        {
            Assert.Throws<InvalidOperationException>(() => arena.Lift(app));
        }
        finally
        {
            SharedArena.TestHook = null;
        }

        // Cut short after 8 committed nodes: the TS is still lifting, 4 nodes are left.
        Assert.Contains(arena.CheckInvariants(), p => p.Contains("half lifted", StringComparison.Ordinal));
        Assert.Equal(4, arena.GetStats().LiveNodes);

        Assert.Equal(app, arena.CreateTs("/user_proc/app").Unwrap());

        Assert.All(caps, cap => Assert.Equal(MemoryError.InvalidGva, arena.Locate(app, cap).Error));
        Assert.Equal(0, arena.GetStats().LiveNodes);
        Assert.Equal(arena.PageCount, arena.GetStats().FreePages);
        Assert.Empty(arena.CheckInvariants());
    }
}
