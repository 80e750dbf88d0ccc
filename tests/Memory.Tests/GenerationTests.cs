namespace Edsos.Memory.Tests;

/// <summary>
/// A slot's 32-bit generation must never wrap: a capability revoked or popped long ago would read Ok
/// again. The test hook ages a slot to the last generations instead of four billion revokes.
/// </summary>
public sealed class GenerationTests
{
    [Fact]
    public void Revoke_AtTheLastGeneration_OldCapabilitiesStayStaleForGood()
    {
        using var world = new SendPathWorld();
        var first = world.PushFilled(world.App, "a", 100);
        var cap = world.Memory.Revoke(world.App, first).Unwrap();
        cap = world.Memory.AgeSlotForTests(world.App, cap, Edsos.Memory.Shared.SharedArena.LastGeneration - 2).Unwrap();
        uint oldId = cap.NodeId;

        // Before the fix, these revokes wrapped the generation back to 1, first's.
        var revoked = new List<Capability> { cap };
        for (int i = 0; i < 4; i++)
        {
            cap = world.Memory.Revoke(world.App, cap).Unwrap();
            revoked.Add(cap);
            Assert.Equal(MemoryError.Stale, world.Memory.Inspect(world.App, first).Error);
        }

        revoked.RemoveAt(revoked.Count - 1);
        Assert.NotEqual(oldId, cap.NodeId);
        Assert.True(world.Memory.IsSlotRetiredForTests(oldId));
        Assert.Equal(MemoryError.Stale, world.Memory.Inspect(world.App, first).Error);
        Assert.All(revoked, r => Assert.Equal(MemoryError.Stale, world.Memory.Read(world.App, r, 0, new byte[1], CopyKind.Payload).Error));

        // The node itself moved intact: same bytes, same GVA, still indexed, and pops cleanly.
        var bytes = new byte[100];
        world.Memory.Read(world.App, cap, 0, bytes, CopyKind.Payload).ThrowIfFailed();
        Assert.Equal(SendPathWorld.Pattern(100, 1), bytes);
        Assert.Empty(world.Memory.CheckInvariants());
        world.Memory.Pop(world.App, cap).ThrowIfFailed();
        Assert.True(world.Memory.GetLeakReport().IsClean);
        Assert.Empty(world.Memory.CheckInvariants());
    }

    [Fact]
    public void Pop_AtTheLastGeneration_RetiresTheSlotInsteadOfReusingIt()
    {
        using var world = new SendPathWorld();
        var first = world.Memory.Push(world.App, "a", 100).Unwrap();
        var aged = world.Memory.AgeSlotForTests(world.App, first, Edsos.Memory.Shared.SharedArena.LastGeneration - 1).Unwrap();

        world.Memory.Pop(world.App, aged).ThrowIfFailed();
        var next = world.Memory.Push(world.App, "b", 100).Unwrap();

        Assert.True(world.Memory.IsSlotRetiredForTests(aged.NodeId));
        Assert.NotEqual(aged.NodeId, next.NodeId);
        Assert.Equal(MemoryError.Stale, world.Memory.Inspect(world.App, aged).Error);
        Assert.Equal(MemoryError.Stale, world.Memory.Inspect(world.App, first).Error);
        Assert.True(world.Memory.Inspect(world.App, next).IsOk);
        Assert.Empty(world.Memory.CheckInvariants());
    }

    [Fact]
    public void Lift_AtTheLastGeneration_LiftedCapabilityStaysInvalidGva()
    {
        using var world = new SendPathWorld();
        var cap = world.Memory.Push(world.App, "a", 100).Unwrap();
        var aged = world.Memory.AgeSlotForTests(world.App, cap, Edsos.Memory.Shared.SharedArena.LastGeneration - 1).Unwrap();

        world.Memory.Lift(world.App);
        var other = world.Memory.Push(world.OtherApp, "b", 100).Unwrap();

        Assert.NotEqual(aged.NodeId, other.NodeId);
        Assert.Equal(MemoryError.InvalidGva, world.Memory.Inspect(world.Kpn, aged).Error);
        Assert.Empty(world.Memory.CheckInvariants());
    }

    [Fact]
    public void Revoke_CtrnAtTheLastGeneration_LiftStillFindsItThroughItsOrigin()
    {
        using var world = new SendPathWorld();
        var buffer = world.PushFilled(world.App, "buf", 100);
        var gva = world.Memory.Inspect(world.App, buffer).Unwrap().Gva;
        var ctrn = world.Memory.CtShare(world.App, buffer, gva, 100, world.Kpn, "q", Rights.Read).Unwrap();
        ctrn = world.Memory.AgeSlotForTests(world.Kpn, ctrn, Edsos.Memory.Shared.SharedArena.LastGeneration - 1).Unwrap();

        var moved = world.Memory.Revoke(world.Kpn, ctrn).Unwrap();
        var report = world.Memory.Lift(world.App);

        Assert.NotEqual(ctrn.NodeId, moved.NodeId);
        Assert.Equal(2, report.NodesRevoked);
        Assert.Equal(MemoryError.InvalidGva, world.Memory.Inspect(world.Kpn, moved).Error);
        Assert.Empty(world.Memory.CheckInvariants());
        Assert.True(world.Memory.GetLeakReport().IsClean);
    }
}
