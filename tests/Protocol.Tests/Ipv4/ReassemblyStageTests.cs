using Edsos.Memory;
using Edsos.Protocol.Ipv4;
using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Tests.Ipv4;

/// <summary>The receive path's reassembly stage: which nodes come back, whole or to release, and the whole datagram's header.</summary>
public sealed class ReassemblyStageTests
{
    private static readonly Ipv4Address s_peer = Ipv4Address.Parse("10.0.0.2");
    private static readonly Ipv4Address s_ours = Ipv4Address.Parse("10.0.0.1");

    private readonly ManualTimeProvider _clock = new();
    private readonly ReassemblyStage _stage;

    public ReassemblyStageTests()
    {
        _stage = new ReassemblyStage(_clock, new FragmentReassemblerOptions(), "reassembly", "tick");
    }

    private static Ipv4Repr Fragment(int offset, int length, bool more, ushort id = 7) =>
        new(s_peer, s_ours, IpProtocol.Udp, length) { Identification = id, FragmentOffset = offset, MoreFragments = more, Ttl = 61 };

    private static ReassemblyFragment Node(uint id, int length) => new(new Capability(id, 1, Rights.Read, id), length);

    [Fact]
    public void Accept_OutOfOrder_CompletedInOffsetOrderAndWholeHeader()
    {
        Assert.Equal(ReassemblyResult.Incomplete, _stage.Accept(Fragment(1480, 520, more: false), Node(2, 520)));
        var last = Fragment(0, 1480, more: true);
        Assert.Equal(ReassemblyResult.Complete, _stage.Accept(last, Node(1, 1480)));

        Assert.Equal(new uint[] { 1, 2 }, _stage.Completed.Select(f => f.Node.NodeId));
        Assert.Empty(_stage.Released);
        Ipv4Repr whole = _stage.Whole(last);
        Assert.Equal(2000, whole.PayloadLength);
        Assert.False(whole.IsFragment);
        Assert.Equal(61, whole.Ttl);
        Assert.Equal(0, _stage.Pending);
    }

    [Fact]
    public void Accept_Overlap_EveryHeldNodeComesBackToRelease()
    {
        _stage.Accept(Fragment(0, 16, more: true), Node(1, 16));

        Assert.Equal(ReassemblyResult.Overlap, _stage.Accept(Fragment(8, 16, more: true), Node(2, 16)));

        Assert.Equal(new uint[] { 1, 2 }, _stage.Released.Select(f => f.Node.NodeId).Order());
        Assert.Empty(_stage.Completed);
    }

    [Fact]
    public void Accept_NextCall_ListsOfThePreviousCallCleared()
    {
        _stage.Accept(Fragment(0, 16, more: true), Node(1, 16));
        _stage.Accept(Fragment(0, 16, more: true), Node(2, 16));
        Assert.Single(_stage.Released);

        _stage.Accept(Fragment(16, 8, more: false), Node(3, 8));

        Assert.Empty(_stage.Released);
        Assert.Equal(2, _stage.Completed.Count);
    }

    [Fact]
    public void Expire_AfterTheTimeout_HeldNodesReleasedAndCounted()
    {
        _stage.Accept(Fragment(0, 16, more: true, id: 1), Node(1, 16));
        _stage.Accept(Fragment(0, 16, more: true, id: 2), Node(2, 16));

        _clock.Advance(new FragmentReassemblerOptions().Timeout + TimeSpan.FromSeconds(1));

        Assert.Equal(2, _stage.Expire());
        Assert.Equal(2, _stage.Released.Count);
        Assert.Equal(0, _stage.Pending);
    }

    [Fact]
    public void Expire_BeforeTheTimeout_NothingReleased()
    {
        _stage.Accept(Fragment(0, 16, more: true), Node(1, 16));

        Assert.Equal(0, _stage.Expire());
        Assert.Empty(_stage.Released);
        Assert.Equal(1, _stage.Pending);
    }
}
