using System.Runtime.CompilerServices;
using L = Edsos.Memory.Shared.SharedLayout;

namespace Edsos.Memory.Shared;

/// <summary>
/// Derived state: what the records determine and a repair recomputes instead of undoing store by
/// store. The GVA index (and each live node's next-in-bucket link), the header's live node, CTRN
/// and pin counts, each page's reference, DMA pin and temporary pin counts and free flag, the free
/// page stack, the free node queue, and the free extent, spill and pin stacks are stored without an undo entry
/// (<see cref="Derive32"/>). Whenever a transaction is rolled back (a dead holder's, or one an
/// exception cut short here), <see cref="RebuildDerived"/> recomputes all of it from the primary
/// records the rollback restored: live nodes (state, owner, GVA, flags, extent chain, spill record)
/// and held pins (state, temporary flag, extent chain). A free stack rebuilt this way may list its
/// records in another order than before (the node queue, FIFO in normal operation, restarts in id
/// order); nothing but the order of reuse depends on it.
/// </summary>
public sealed unsafe partial class SharedArena
{
    // Set by every derived store of this instance's open transaction, cleared by its commit: a
    // transaction that fails after one (an error return or an exception) must rebuild on Leave even
    // when it logged nothing. Only the lock holder's thread reads or writes it.
    private bool _derivedDirty;

    /// <summary>A store into derived state: no undo entry; a rollback rebuilds it (see the type's summary).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Derive32(long offset, int value)
    {
        _derivedDirty = true;
        I32(offset) = value;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Derive64(long offset, long value)
    {
        _derivedDirty = true;
        I64(offset) = value;
    }

    /// <summary>Rolls the open transaction back and recomputes the derived state from the restored records. Returns the entries undone.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private int RollBackAndRebuild()
    {
        int undone = RollBack();
        RebuildDerived();
        _derivedDirty = false;
        return undone;
    }

    /// <summary>
    /// Recomputes every derived word from the primary records (the lock is held, the undo log empty).
    /// Plain stores: a holder that dies midway leaves the log empty, and its successor rebuilds again.
    /// </summary>
    private void RebuildDerived()
    {
        for (int i = 0; i < _layout.GvaHashSize; i++)
        {
            I64(GvaEntry(i) + L.VKey) = 0;
            I32(GvaEntry(i) + L.VNode) = 0;
        }

        for (int pfn = 0; pfn < _layout.PageCount; pfn++)
        {
            long page = PageRec(pfn);
            I32(page + L.GRefs) = 0;
            I32(page + L.GPins) = 0;
            I32(page + L.GTemp) = 0;
        }

        // Free node records below the first never-used id, lowest first (the order they were freed
        // in is not in the records; only reuse order depends on it).
        int queued = 0;
        for (uint id = 1; id < (uint)I32(L.HNextNode); id++)
        {
            if (I32(NodeRec(id) + L.NState) == NodeFree)
            {
                I32(_layout.NodeQueue + (4L * queued++)) = (int)id;
            }
        }

        I32(L.HNodeQueueHead) = 0;
        I32(L.HNodeQueueCount) = queued;
        var extentUsed = new bool[_layout.MaxExtents];
        var spillUsed = new bool[_layout.MaxSpills];
        int liveNodes = 0, liveCtrns = 0, livePins = 0;
        for (uint id = 1; id < _layout.MaxNodes; id++)
        {
            long node = NodeRec(id);
            if (I32(node + L.NState) != NodeLive)
            {
                continue;
            }

            liveNodes++;
            liveCtrns += (I32(node + L.NFlags) & L.FlagCtrn) != 0 ? 1 : 0;
            int spill = I32(node + L.NOriginSpill);
            if (spill > 0 && spill < _layout.MaxSpills)
            {
                spillUsed[spill] = true;
            }

            CountPages(I32(node + L.NExtentHead), L.GRefs, extentUsed);
            GvaInsert(id);
        }

        int freePins = 0;
        for (uint id = (uint)_layout.MaxPins - 1; id >= 1; id--)
        {
            long pin = PinRec(id);
            if (I32(pin + L.QState) == 0)
            {
                I32(_layout.FreePinStack + (4L * freePins++)) = (int)id;
                continue;
            }

            bool temporary = I32(pin + L.QTemp) != 0;
            livePins += temporary ? 0 : 1;
            CountPages(I32(pin + L.QExtentHead), temporary ? L.GTemp : L.GPins, extentUsed);
        }

        I32(L.HFreePinCount) = freePins;
        I32(L.HLiveNodes) = liveNodes;
        I32(L.HLiveCtrns) = liveCtrns;
        I32(L.HLivePins) = livePins;

        // Free stacks in descending order, as a new file has them: the lowest record on top.
        int freePages = 0;
        for (int pfn = _layout.PageCount - 1; pfn >= 0; pfn--)
        {
            long page = PageRec(pfn);
            bool free = I32(page + L.GRefs) == 0 && I32(page + L.GPins) == 0 && I32(page + L.GTemp) == 0;
            I32(page + L.GFree) = free ? 1 : 0;
            if (free)
            {
                I32(_layout.FreePageStack + (4L * freePages++)) = pfn;
            }
        }

        I32(L.HFreePageCount) = freePages;
        int freeExtents = 0;
        for (int id = _layout.MaxExtents - 1; id >= 1; id--)
        {
            if (!extentUsed[id])
            {
                I32(_layout.FreeExtentStack + (4L * freeExtents++)) = id;
            }
        }

        I32(L.HFreeExtentCount) = freeExtents;
        int freeSpills = 0;
        for (int id = _layout.MaxSpills - 1; id >= 1; id--)
        {
            if (!spillUsed[id])
            {
                I32(_layout.FreeSpillStack + (4L * freeSpills++)) = id;
            }
        }

        I32(L.HFreeSpillCount) = freeSpills;
    }

    /// <summary>Adds one to <paramref name="counter"/> of every page each extent of the chain spans, and marks the extents used.</summary>
    private void CountPages(int head, int counter, bool[] extentUsed)
    {
        // Bounded by the pool: a chain is never longer than the extent records there are.
        for (int e = head, steps = 0; e > 0 && e < _layout.MaxExtents && steps < _layout.MaxExtents; e = I32(ExtentRec(e) + L.ENext), steps++)
        {
            extentUsed[e] = true;
            var (first, last) = SpannedPages(ExtentRec(e));
            for (int pfn = Math.Max(first, 0); pfn <= last && pfn < _layout.PageCount; pfn++)
            {
                I32(PageRec(pfn) + counter)++;
            }
        }
    }
}
