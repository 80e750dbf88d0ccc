namespace Edsos.Memory.Shared;

/// <summary>
/// Batch forms of release and unpin: a driver's TX interrupt completes tens of frames at once, and each took the
/// lock twice (unpin, then pop). A batch takes the lock once for all its entries; each entry is still checked,
/// applied and committed on its own, exactly as the single operation, so a bad entry fails only itself.
/// </summary>
public sealed unsafe partial class SharedArena
{
    /// <summary>
    /// <see cref="Release"/> of every node of <paramref name="nodes"/> by <paramref name="owner"/>, in order, under one
    /// acquisition of the lock. Each entry succeeds or fails on its own, as <see cref="Release"/> would (a forged,
    /// foreign or lifted entry fails and stays; a second release is recorded as a double release with the caller's
    /// place); <c>default</c> entries are skipped. Returns how many nodes were popped.
    /// </summary>
    public int ReleaseAll(TsId owner, ReadOnlySpan<Capability> nodes, string file, int line)
    {
        int released = 0;
        Enter();
        try
        {
            foreach (var node in nodes)
            {
                if (node != default && ReleaseLocked(owner, node, file, line).IsOk)
                {
                    released++;
                }
            }
        }
        finally
        {
            Leave();
        }

        return released;
    }

    /// <summary>
    /// <see cref="Unpin"/> of every pin of <paramref name="pins"/>, in order, under one acquisition of the lock. Each
    /// entry succeeds or fails on its own (an unknown, released or foreign pin is <see cref="MemoryError.NotPinned"/>
    /// and changes nothing). Returns how many pins were released.
    /// </summary>
    public int UnpinAll(ReadOnlySpan<SharedPin> pins)
    {
        int unpinned = 0;
        Enter();
        try
        {
            foreach (var pin in pins)
            {
                if (UnpinLocked(pin).IsOk)
                {
                    unpinned++;
                }
            }
        }
        finally
        {
            Leave();
        }

        return unpinned;
    }
}
