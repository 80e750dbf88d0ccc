using L = Edsos.Memory.Shared.SharedLayout;

namespace Edsos.Memory.Shared;

/// <summary>Record states and the small logged steps every operation is made of (the lock is held).</summary>
public sealed unsafe partial class SharedArena
{
    private const int TsUnused = 0;
    private const int TsLive = 1;
    private const int TsExited = 2;
    private const int TsLifting = 3;   // exited, lift not finished: the next reaper finishes it
    private const int NodeFree = 0;
    private const int NodeLive = 1;
    private const int NodeRetired = 2;
    private const int RootTs = 1;
    private const int NoProcess = -1;
    /// <summary>
    /// The generation no live node ever carries: a record whose next generation would be this one is retired
    /// instead (a wrap would make a capability revoked 2^32 − 1 generations earlier valid again).
    /// </summary>
    internal const uint LastGeneration = uint.MaxValue;

    /// <summary>Node records free for the taking: the freed ones queued plus those never used.</summary>
    private int FreeNodeRecords() => I32(L.HNodeQueueCount) + (_layout.MaxNodes - I32(L.HNextNode));

    /// <summary>
    /// A free node record: the longest-freed one first (FIFO, so a freed id waits as long as the
    /// queue allows before reuse, and a lifted capability keeps reading InvalidGva), else one never
    /// used, as the in-process manager's table grew. Call only when <see cref="FreeNodeRecords"/> &gt; 0.
    /// </summary>
    private uint DequeueNode()
    {
        if (I32(L.HNodeQueueCount) == 0)
        {
            uint fresh = (uint)I32(L.HNextNode);
            Set32(L.HNextNode, (int)fresh + 1);

            // Never used: no capability names it, so its generation may start unlogged.
            Init32(NodeRec(fresh) + L.NGeneration, 1);
            return fresh;
        }

        int head = I32(L.HNodeQueueHead);
        uint id = (uint)I32(_layout.NodeQueue + (4L * head));
        Derive32(L.HNodeQueueHead, head + 1 == _layout.MaxNodes ? 0 : head + 1);
        Derive32(L.HNodeQueueCount, I32(L.HNodeQueueCount) - 1);
        return id;
    }

    private void EnqueueNode(uint id)
    {
        int count = I32(L.HNodeQueueCount);
        // head and count are both below MaxNodes: one subtraction wraps (no division on the data path).
        int tail = I32(L.HNodeQueueHead) + count;
        if (tail >= _layout.MaxNodes)
        {
            tail -= _layout.MaxNodes;
        }

        Derive32(_layout.NodeQueue + (4L * tail), (int)id);
        Derive32(L.HNodeQueueCount, count + 1);
    }

    private int TakePage()
    {
        int count = I32(L.HFreePageCount) - 1;
        int pfn = I32(_layout.FreePageStack + (4L * count));
        Derive32(L.HFreePageCount, count);
        long page = PageRec(pfn);
        Derive32(page + L.GFree, 0);
        Derive32(page + L.GRefs, 1);
        return pfn;
    }

    /// <summary>A page returns to the free stack only when no node references it and no pin (DMA or temporary) holds it. True when freed.</summary>
    private bool TryFreePage(int pfn)
    {
        long page = PageRec(pfn);
        if (I32(page + L.GRefs) != 0 || I32(page + L.GPins) != 0 || I32(page + L.GTemp) != 0)
        {
            return false;
        }

        int count = I32(L.HFreePageCount);
        Derive32(page + L.GFree, 1);
        Derive32(_layout.FreePageStack + (4L * count), pfn);
        Derive32(L.HFreePageCount, count + 1);
        return true;
    }

    /// <summary>An extent record off the free stack, or 0 when none is left (the caller fails; Leave rolls back).</summary>
    private int TakeExtent()
    {
        int count = I32(L.HFreeExtentCount);
        if (count == 0)
        {
            return 0;
        }

        Derive32(L.HFreeExtentCount, count - 1);
        return I32(_layout.FreeExtentStack + (4L * (count - 1)));
    }

    private void FreeExtent(int id)
    {
        int count = I32(L.HFreeExtentCount);
        Derive32(_layout.FreeExtentStack + (4L * count), id);
        Derive32(L.HFreeExtentCount, count + 1);
    }

    private int TakeSpill()
    {
        int count = I32(L.HFreeSpillCount);
        if (count == 0)
        {
            return 0;
        }

        Derive32(L.HFreeSpillCount, count - 1);
        return I32(_layout.FreeSpillStack + (4L * (count - 1)));
    }

    private void FreeSpill(int id)
    {
        int count = I32(L.HFreeSpillCount);
        Derive32(_layout.FreeSpillStack + (4L * count), id);
        Derive32(L.HFreeSpillCount, count + 1);
    }

    /// <summary>
    /// Drops one reference per page spanned by each extent of the chain and frees the extent
    /// records. Counts pages returned now and pages left to a pin (no reference, still pinned).
    /// </summary>
    private void DropExtents(int head, ref int freed, ref int deferred, string hook)
    {
        bool first = true;
        for (int e = head; e != 0;)
        {
            long ext = ExtentRec(e);
            // Last page first: the free stack then hands the extent's pages out again in ascending order, so the next
            // push gets them back as one extent rather than as one per page (a stack reverses the order it is fed).
            var (from, to) = SpannedPages(ext);
            for (int pfn = to; pfn >= from; pfn--)
            {
                long page = PageRec(pfn);
                Derive32(page + L.GRefs, I32(page + L.GRefs) - 1);
                if (TryFreePage(pfn))
                {
                    freed++;
                }
                else if (I32(page + L.GRefs) == 0)
                {
                    deferred++;
                }

                if (first)
                {
                    first = false;
                    Hook(hook);
                }
            }

            int next = I32(ext + L.ENext);
            FreeExtent(e);
            e = next;
        }
    }

    /// <summary>First and last page an extent record touches.</summary>
    private (int First, int Last) SpannedPages(long ext)
    {
        long address = I64(ext + L.EAddress);
        return ((int)(address >> _pageShift), (int)((address + I32(ext + L.ELength) - 1) >> _pageShift));
    }

    /// <summary>
    /// Ends the node record: its GVA leaves the index, its spill record is freed, its generation
    /// moves on so every capability to it fails (a lift also records the ended generation so those
    /// report InvalidGva; a pop, divide, merge or grant records it as released, for double-release
    /// detection). A slot whose generations are used up is retired rather than reused. The extent
    /// chain is not touched: the caller drops it (pop, lift) or hands it to a new node.
    /// </summary>
    private void EndNode(uint id, bool lifted)
    {
        long node = NodeRec(id);
        GvaRemove(id);
        Derive32(L.HLiveNodes, I32(L.HLiveNodes) - 1);
        if ((I32(node + L.NFlags) & L.FlagCtrn) != 0)
        {
            Derive32(L.HLiveCtrns, I32(L.HLiveCtrns) - 1);
        }

        int spill = I32(node + L.NOriginSpill);
        if (spill != 0)
        {
            FreeSpill(spill);
        }

        // The node left the index and the counts (derived, unlogged) and is still live in its record.
        Hook("endnode");

        uint generation = U32(node + L.NGeneration);
        uint next = generation >= LastGeneration - 1 ? LastGeneration : generation + 1;
        Set32Three(
            node + (lifted ? L.NLiftedGeneration : L.NReleasedGeneration), (int)generation,
            node + L.NGeneration, (int)next,
            node + L.NState, next == LastGeneration ? NodeRetired : NodeFree);
        if (next != LastGeneration)
        {
            EnqueueNode(id);
        }
    }

    /// <summary>Pop or lift of one node: its page references go, then the record ends.</summary>
    private void RevokeNode(uint id, bool lifted, ref int freed, ref int deferred)
    {
        long node = NodeRec(id);
        DropExtents(I32(node + L.NExtentHead), ref freed, ref deferred, lifted ? "lift" : "pop");
        EndNode(id, lifted);
    }

    /// <summary>
    /// Exits TS <paramref name="ts"/>: marks it <see cref="TsLifting"/> (committed), then
    /// <see cref="FinishLifts"/>. A lift cut short by a death leaves the TS lifting and the next
    /// reaper finishes it.
    /// </summary>
    private LiftReport LiftLocked(int ts)
    {
        Set32(TsRec(ts) + L.TState, TsLifting);
        Commit();
        return FinishLifts(out _);
    }

    /// <summary>
    /// One scan over the node records revokes every live node owned by or originating in a TS that
    /// is lifting, committing after each node so the undo log stays small; then every lifting TS
    /// is marked exited. Lifting many TSs at once (a process's death) costs one scan, not one per
    /// TS. Idempotent: a successor finds what a dead lifter left and finishes it.
    /// </summary>
    private LiftReport FinishLifts(out int exited)
    {
        int revoked = 0, ctrns = 0, freed = 0, deferred = 0;
        for (uint id = 1; id < _layout.MaxNodes; id++)
        {
            long node = NodeRec(id);
            if (I32(node + L.NState) == NodeLive && (IsLifting(I32(node + L.NOwnerTs)) || AnyOriginLifting(node)))
            {
                ctrns += (I32(node + L.NFlags) & L.FlagCtrn) != 0 ? 1 : 0;
                RevokeNode(id, lifted: true, ref freed, ref deferred);
                Commit();
                revoked++;
                if (revoked == LongLiftHookAfter)
                {
                    Hook("longlift");
                }
            }
        }

        exited = 0;
        for (int ts = RootTs; ts < I32(L.HNextTs); ts++)
        {
            if (IsLifting(ts))
            {
                Set32(TsRec(ts) + L.TState, TsExited);
                exited++;
            }
        }

        Commit();
        return new LiftReport(revoked, ctrns, freed, deferred);
    }

    private bool IsLifting(int ts) => I32(TsRec(ts) + L.TState) == TsLifting;

    private bool AnyOriginLifting(long node)
    {
        int count = I32(node + L.NOriginCount);
        for (int i = 0; i < count; i++)
        {
            if (IsLifting(OriginAt(node, i)))
            {
                return true;
            }
        }

        return false;
    }
}
