namespace Edsos.Memory.Tests;

public sealed class TsTreeTests
{
    [Fact]
    public void CreateTs_DeepPath_CreatesAncestorsWithDefaultKinds()
    {
        using var memory = new MemoryManager(8);

        var kpn = memory.CreateTs("/user_proc/sysagent/kpn", TsKind.Kernel).Unwrap();
        var sysagent = memory.FindTs("/user_proc/sysagent").Unwrap();
        var userProc = memory.FindTs("/user_proc").Unwrap();

        Assert.Equal(TsKind.Kernel, memory.GetTs(kpn).Kind);
        Assert.Equal(TsKind.User, memory.GetTs(sysagent).Kind);
        Assert.Equal(sysagent, memory.GetTs(kpn).Parent);
        Assert.Equal(userProc, memory.GetTs(sysagent).Parent);
        Assert.Equal(memory.Root, memory.GetTs(userProc).Parent);
        Assert.Equal(TsKind.Kernel, memory.GetTs(memory.CreateTs("/net/ipv4").Unwrap()).Kind);
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
        using var memory = new MemoryManager(8);

        Assert.Equal(MemoryError.InvalidArgument, memory.CreateTs(path).Error);
    }

    [Fact]
    public void CreateTs_LivePathTwice_InvalidArgumentButExitedPathRevives()
    {
        using var memory = new MemoryManager(8);
        var app = memory.CreateTs("/user_proc/app").Unwrap();

        Assert.Equal(MemoryError.InvalidArgument, memory.CreateTs("/user_proc/app").Error);
        memory.Lift(app);
        Assert.False(memory.GetTs(app).Alive);
        Assert.Equal(app, memory.CreateTs("/user_proc/app").Unwrap());
        Assert.True(memory.GetTs(app).Alive);
    }

    [Fact]
    public void Subtree_Tree_IsPostOrder()
    {
        using var memory = new MemoryManager(8);
        var a = memory.CreateTs("/a").Unwrap();
        var b = memory.CreateTs("/a/b").Unwrap();
        var c = memory.CreateTs("/a/b/c").Unwrap();
        var d = memory.CreateTs("/a/d").Unwrap();

        Assert.Equal([c, b, d, a], memory.Subtree(a));
        Assert.Equal([b, d], memory.GetTs(a).Children);
        Assert.Empty(memory.Subtree(new TsId(999)));
    }

    [Fact]
    public void FindTs_UnknownPath_NoSuchTs()
    {
        using var memory = new MemoryManager(8);

        Assert.Equal(MemoryError.NoSuchTs, memory.FindTs("/nowhere").Error);
        Assert.False(memory.TryGetTs(new TsId(77), out _));
        Assert.Throws<ArgumentException>(() => memory.GetTs(new TsId(77)));
    }
}
