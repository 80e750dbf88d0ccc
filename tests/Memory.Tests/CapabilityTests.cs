using System.Text.Json;

namespace Edsos.Memory.Tests;

public sealed class CapabilityTests
{
    [Fact]
    public void Capability_JsonRoundTrip_StillValid()
    {
        using var world = new SendPathWorld();
        var cap = world.Memory.Push(world.App, "buf", 100).Unwrap();

        var carried = JsonSerializer.Deserialize<Capability>(JsonSerializer.Serialize(cap));

        Assert.Equal(cap, carried);
        Assert.True(world.Memory.Inspect(world.App, carried).IsOk);
    }

    [Fact]
    public void Access_ForgedTag_Forged()
    {
        using var world = new SendPathWorld();
        var cap = world.Memory.Push(world.App, "buf", 100).Unwrap();

        var forged = cap with { Tag = cap.Tag ^ 1 };

        Assert.Equal(MemoryError.Forged, world.Memory.Read(world.App, forged, 0, new byte[1], CopyKind.Payload).Error);
        Assert.Equal(MemoryError.Forged, world.Memory.Pop(world.App, forged).Error);
        Assert.Equal(MemoryError.Forged, world.Memory.Inspect(world.App, default).Error);
    }

    [Fact]
    public void Access_ForgedAfterTheGenuineOneWasChecked_ForgedEveryTime()
    {
        // The process remembers tags it minted or verified; a near miss of a remembered one, or
        // an all-zero capability landing on an empty slot of that memory, must still be forged.
        using var world = new SendPathWorld();
        var cap = world.Memory.Push(world.App, "buf", 100).Unwrap();
        Assert.True(world.Memory.Inspect(world.App, cap).IsOk);

        for (int bit = 0; bit < 64; bit += 7)
        {
            Assert.Equal(MemoryError.Forged, world.Memory.Inspect(world.App, cap with { Tag = cap.Tag ^ (1UL << bit) }).Error);
        }

        Assert.Equal(MemoryError.Forged, world.Memory.Inspect(world.App, cap with { Generation = cap.Generation + 1 }).Error);
        Assert.Equal(MemoryError.Forged, world.Memory.Inspect(world.App, new Capability(4096, 0, Rights.None, 0)).Error);
        Assert.Equal(MemoryError.Forged, world.Memory.Inspect(world.App, new Capability(0, 0, Rights.None, 0)).Error);
        Assert.True(world.Memory.Inspect(world.App, cap).IsOk);
    }

    [Fact]
    public void Access_WidenedRights_Forged()
    {
        using var world = new SendPathWorld();
        var readOnly = world.Memory.Push(world.App, "buf", 100, Rights.Read).Unwrap();

        var widened = readOnly with { Rights = Rights.All };

        Assert.Equal(MemoryError.Forged, world.Memory.Write(world.App, widened, 0, new byte[1], CopyKind.Payload).Error);
        Assert.Equal(MemoryError.RightsDenied, world.Memory.Write(world.App, readOnly, 0, new byte[1], CopyKind.Payload).Error);
    }

    [Fact]
    public void Access_CapabilityFromAnotherManager_Forged()
    {
        using var first = new SendPathWorld();
        using var second = new SendPathWorld();
        var cap = first.Memory.Push(first.App, "buf", 100).Unwrap();
        second.Memory.Push(second.App, "buf", 100).Unwrap();

        Assert.Equal(MemoryError.Forged, second.Memory.Inspect(second.App, cap).Error);
    }

    [Fact]
    public void Access_AfterPop_StaleEvenWhenSlotReused()
    {
        using var world = new SendPathWorld();
        var old = world.Memory.Push(world.App, "a", 100).Unwrap();
        world.Memory.Pop(world.App, old).ThrowIfFailed();

        Assert.Equal(MemoryError.Stale, world.Memory.Inspect(world.App, old).Error);
        var reused = world.Memory.Push(world.App, "b", 100).Unwrap();
        Assert.Equal(old.NodeId, reused.NodeId);
        Assert.Equal(MemoryError.Stale, world.Memory.Read(world.App, old, 0, new byte[1], CopyKind.Payload).Error);
        Assert.True(world.Memory.Inspect(world.App, reused).IsOk);
    }

    [Fact]
    public void Revoke_OldCapabilities_StaleNewOneWorks()
    {
        using var world = new SendPathWorld();
        var cap = world.Memory.Push(world.App, "a", 100).Unwrap();
        var narrow = world.Memory.Restrict(world.App, cap, Rights.Read).Unwrap();

        var fresh = world.Memory.Revoke(world.App, cap).Unwrap();

        Assert.Equal(MemoryError.Stale, world.Memory.Inspect(world.App, cap).Error);
        Assert.Equal(MemoryError.Stale, world.Memory.Inspect(world.App, narrow).Error);
        Assert.Equal(Rights.All, fresh.Rights);
        Assert.True(world.Memory.Write(world.App, fresh, 0, new byte[4], CopyKind.Payload).IsOk);
    }

    [Fact]
    public void Restrict_NarrowerRights_OnlyThoseWork_WiderDenied()
    {
        using var world = new SendPathWorld();
        var cap = world.Memory.Push(world.App, "a", 100, Rights.Read | Rights.Write).Unwrap();

        var readOnly = world.Memory.Restrict(world.App, cap, Rights.Read).Unwrap();

        Assert.True(world.Memory.Read(world.App, readOnly, 0, new byte[4], CopyKind.Payload).IsOk);
        Assert.Equal(MemoryError.RightsDenied, world.Memory.Write(world.App, readOnly, 0, new byte[4], CopyKind.Payload).Error);
        Assert.Equal(MemoryError.RightsDenied, world.Memory.Restrict(world.App, readOnly, Rights.Read | Rights.Share).Error);
        Assert.Equal(MemoryError.RightsDenied, world.Memory.Restrict(world.App, cap, Rights.Share).Error);
    }

    [Fact]
    public void Access_OutOfRange_OutOfRangeAndNothingCopied()
    {
        using var world = new SendPathWorld();
        var cap = world.Memory.Push(world.App, "a", 100).Unwrap();
        var destination = new byte[10];
        Array.Fill(destination, (byte)0xEE);

        Assert.Equal(MemoryError.OutOfRange, world.Memory.Read(world.App, cap, 95, destination, CopyKind.Payload).Error);
        Assert.Equal(MemoryError.OutOfRange, world.Memory.Read(world.App, cap, -1, destination, CopyKind.Payload).Error);
        Assert.Equal(MemoryError.OutOfRange, world.Memory.Write(world.App, cap, 91, destination, CopyKind.Payload).Error);
        Assert.All(destination, b => Assert.Equal(0xEE, b));
        Assert.Equal(0, world.Memory.Counters.PayloadBytesCopied);
    }

    [Fact]
    public void Access_FromAnotherTs_NotVisible()
    {
        using var world = new SendPathWorld();
        var cap = world.Memory.Push(world.App, "a", 100).Unwrap();

        Assert.Equal(MemoryError.NotVisible, world.Memory.Read(world.OtherApp, cap, 0, new byte[1], CopyKind.Payload).Error);
        Assert.Equal(MemoryError.NotVisible, world.Memory.Pop(world.Socket, cap).Error);
        Assert.Equal(MemoryError.NotVisible, world.Memory.Pin(world.Driver, cap).Error);
        Assert.True(world.Memory.Inspect(world.App, cap).IsOk);
    }

    [Fact]
    public void Access_CallerExitedOrUnknown_TsExitedOrNoSuchTs()
    {
        using var world = new SendPathWorld();
        var cap = world.Memory.Push(world.Socket, "a", 100).Unwrap();
        world.Memory.Lift(world.App);

        Assert.Equal(MemoryError.TsExited, world.Memory.Push(world.App, "x", 10).Error);
        Assert.Equal(MemoryError.NoSuchTs, world.Memory.Push(new TsId(900), "x", 10).Error);
        Assert.Equal(MemoryError.TsExited, world.Memory.CtShare(world.Socket, cap, world.GvaOf(world.Socket, cap), 10, world.App, "x", Rights.Read).Error);
    }
}
