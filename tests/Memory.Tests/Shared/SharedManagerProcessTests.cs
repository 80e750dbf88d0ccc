using Edsos.Memory.SharedChild;

namespace Edsos.Memory.Tests.Shared;

/// <summary>
/// <see cref="MemoryManager"/> itself across OS processes: two managers opened with
/// <see cref="MemoryManager.OpenShared"/> on one arena file, a capability minted in the child
/// checked, pinned and DMA-read here through the manager's API.
/// </summary>
[Collection("SharedArena")]
public sealed class SharedManagerProcessTests : IDisposable
{
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(60);

    private readonly string _path = Path.Combine(Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath(), $"edsos-manager-{Guid.NewGuid():N}.arena");

    public void Dispose() => File.Delete(_path);

    [Fact]
    public void OpenShared_CapabilityMintedInAnotherProcess_CheckedPinnedAndDmaReadHereWithoutCopy()
    {
        using var memory = MemoryManager.OpenShared(_path, ChildGeometry.ManagerOptions);
        var driver = memory.CreateTs("/drivers/nic").Unwrap();
        using var child = ChildProcess.Start("managermint", _path, "/drivers/nic");
        string[] line = child.WaitForLine("CTRN", s_startTimeout).Split(' ');
        var ctrn = ChildProcess.ParseCapability(line, 1);
        ulong writtenAt = ulong.Parse(line[5]);

        // Minted there, checked here: the CTRN is the driver's, with the child's app as origin.
        var info = memory.Inspect(driver, ctrn).Unwrap();
        Assert.Equal(driver, info.Owner);
        Assert.True(info.IsCtrn);
        Assert.Equal(6000, info.Length);
        Assert.Equal("/drivers/nic/tx", info.Path);
        Assert.Equal(memory.FindTs("/user_proc/app").Unwrap(), Assert.Single(info.Origins));

        // The NIC here DMA-reads the very page the child wrote: same physical address, no CPU copy here.
        var pin = memory.Pin(driver, ctrn).Unwrap();
        Assert.Equal(writtenAt, pin.Extents[0].Address);
        var frame = new byte[6000];
        int done = 0;
        foreach (var extent in pin.Extents)
        {
            memory.DmaRead(extent, frame.AsSpan(done, extent.Length)).ThrowIfFailed();
            done += extent.Length;
        }

        for (int i = 0; i < frame.Length; i++)
        {
            Assert.Equal((byte)(i * 13), frame[i]);
        }

        var counters = memory.Counters;
        Assert.Equal(6000, counters.DmaBytesRead);
        Assert.Equal(0, counters.PayloadBytesCopied + counters.ApplicationBytesCopied);
        Assert.Equal(MemoryError.Forged, memory.Inspect(driver, ctrn with { Tag = ctrn.Tag ^ 1 }).Error);
        Assert.Equal(MemoryError.RightsDenied, memory.Write(driver, ctrn, 0, new byte[1], CopyKind.Payload).Error);

        // The child exits: its TS exits, the CTRN originating in it is lifted, the frame's pages
        // stay (pinned) but the device may no longer read them, and return at the unpin.
        child.SendLine("exit");
        Assert.True(child.WaitForExit(s_startTimeout));
        Assert.Equal(MemoryError.InvalidGva, memory.Inspect(driver, ctrn).Error);
        Assert.Equal(MemoryError.InvalidGva, memory.DmaRead(pin.Extents[0], frame).Error);
        Assert.Equal(2, memory.Counters.PagesInUse);
        memory.Unpin(pin.PinId).ThrowIfFailed();
        Assert.True(memory.GetLeakReport().IsClean, memory.GetLeakReport().ToString());
        Assert.Empty(memory.CheckInvariants());
    }
}
