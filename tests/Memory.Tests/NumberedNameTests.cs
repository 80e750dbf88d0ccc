namespace Edsos.Memory.Tests;

/// <summary>The numbered name forms of ct_share and grant: the same node names as the concatenated strings, none made.</summary>
public sealed class NumberedNameTests
{
    [Theory]
    [InlineData("send_q/", 0UL)]
    [InlineData("send_q/", 42UL)]
    [InlineData("send_q/", ulong.MaxValue)]
    [InlineData("recv/sock_0x0001_", 7UL)]
    [InlineData("q", 12345UL)]
    public void CtShare_Numbered_NamesTheNodeAsTheConcatenatedString(string prefix, ulong number)
    {
        using var world = new SendPathWorld();
        var buffer = world.PushFilled(world.App, "buf", 3000, seed: 3);
        var gva = world.GvaOf(world.App, buffer);

        var byGva = world.Memory.CtShare(world.App, buffer, gva, 3000, world.Socket, prefix, number, Rights.Read).Unwrap();
        var byOffset = world.Memory.CtShare(world.App, buffer, 1000, 2000, world.Socket, prefix, number, Rights.Read).Unwrap();

        string expected = "/net/sockets/sock_0xABCD/" + prefix + number.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(expected, world.Memory.Inspect(world.Socket, byGva).Unwrap().Path);
        Assert.Equal(expected, world.Memory.Inspect(world.Socket, byOffset).Unwrap().Path);
        Assert.Equal(SendPathWorld.Pattern(3000, 3).AsSpan(1000).ToArray(), world.Bytes(world.Socket, byOffset));
        world.AssertConsistent();
    }

    [Fact]
    public void CtShare_NumberedAfterOtherPrefixesAndStrings_EachNodeKeepsItsOwnName()
    {
        // The prefix cache and the scratch the name is assembled in are reused: a later share must not change an earlier name.
        using var world = new SendPathWorld();
        var buffer = world.PushFilled(world.App, "buf", 100, seed: 1);
        var gva = world.GvaOf(world.App, buffer);
        var names = new List<(Capability Cap, string Name)>();
        for (ulong i = 0; i < 200; i++)
        {
            string prefix = i % 3 == 0 ? "send_q/" : i % 3 == 1 ? "tx_" : "a/b/";
            names.Add((world.Memory.CtShare(world.App, buffer, gva, 100, world.Socket, prefix, i * 977, Rights.Read).Unwrap(), prefix + (i * 977)));
            names.Add((world.Memory.CtShare(world.App, buffer, gva, 100, world.Socket, $"plain/{i}", Rights.Read).Unwrap(), $"plain/{i}"));
        }

        foreach (var (cap, name) in names)
        {
            Assert.Equal("/net/sockets/sock_0xABCD/" + name, world.Memory.Inspect(world.Socket, cap).Unwrap().Path);
        }

        world.AssertConsistent();
    }

    [Theory]
    [InlineData("")]
    [InlineData("/send_q/")]
    [InlineData("send_q//")]
    [InlineData("bad name/")]
    [InlineData("../")]
    public void CtShare_NumberedWithInvalidPrefix_InvalidArgumentAndNothingMade(string prefix)
    {
        using var world = new SendPathWorld();
        var buffer = world.PushFilled(world.App, "buf", 100, seed: 1);

        var shared = world.Memory.CtShare(world.App, buffer, world.GvaOf(world.App, buffer), 100, world.Socket, prefix, 5, Rights.Read);

        Assert.Equal(MemoryError.InvalidArgument, shared.Error);
        Assert.Equal(0, world.Memory.Counters.LiveCtrns);
        world.AssertConsistent();
    }

    [Fact]
    public void CtShare_NumberedPastTheNameLimit_InvalidArgumentWhileAShorterNumberFits()
    {
        using var world = new SendPathWorld();
        var buffer = world.PushFilled(world.App, "buf", 100, seed: 1);
        var gva = world.GvaOf(world.App, buffer);
        string prefix = new string('p', 62) + "/";

        Assert.True(world.Memory.CtShare(world.App, buffer, gva, 100, world.Socket, prefix, 7, Rights.Read).IsOk);
        Assert.Equal(MemoryError.InvalidArgument, world.Memory.CtShare(world.App, buffer, gva, 100, world.Socket, prefix, 10, Rights.Read).Error);
        Assert.Equal(MemoryError.InvalidArgument, world.Memory.CtShare(world.App, buffer, gva, 100, world.Socket, new string('p', 64), 1, Rights.Read).Error);
        Assert.Equal(1, world.Memory.Counters.LiveCtrns);
        world.AssertConsistent();
    }

    [Fact]
    public void Grant_Numbered_NamesTheNodeAndConsumesTheGiversNode()
    {
        using var world = new SendPathWorld();
        var rx = world.PushFilled(world.Driver, "rx_ring/0", 1500, seed: 21);
        var atKpn = world.Memory.CtShare(world.Driver, rx, world.GvaOf(world.Driver, rx), 1500, world.Kpn, "rx/0", Rights.All).Unwrap();
        world.Memory.Pop(world.Driver, rx).ThrowIfFailed();

        var mine = world.Memory.Grant(world.Kpn, atKpn, world.App, "recv/sock_0x0001_", 99, Rights.Read | Rights.Share).Unwrap();

        Assert.Equal("/user_proc/app/recv/sock_0x0001_99", world.Memory.Inspect(world.App, mine).Unwrap().Path);
        Assert.Equal(SendPathWorld.Pattern(1500, 21), world.Bytes(world.App, mine));
        Assert.Equal(MemoryError.Stale, world.Memory.Inspect(world.Kpn, atKpn).Error);
        Assert.Equal(MemoryError.InvalidArgument, world.Memory.Grant(world.App, mine, world.Kpn, "x//", 1, Rights.Read).Error);
        world.AssertConsistent();
    }
}
