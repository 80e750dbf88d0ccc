using L = Edsos.Memory.Shared.SharedLayout;

namespace Edsos.Memory.Shared;

/// <summary>Consistency checks and a snapshot, for tests, leak reports and operators.</summary>
public sealed unsafe partial class SharedArena
{
    /// <summary>
    /// Checks the metadata under the lock (after any recovery) and returns every violation found;
    /// empty means consistent: the undo log is empty; each page's reference count equals the live
    /// node extents over it and its pin count the held pin extents over it; a page is free exactly
    /// when both are zero and then appears once on the free stack; the free node queue holds exactly
    /// the free node records, the free pin, extent and spill stacks exactly the free records of
    /// their pools; every extent belongs to exactly one live node or held pin, whose chain length,
    /// extent count and page references it matches; every live node's owner and origins (ascending,
    /// distinct) are live TSs and its GVA range lies below its owner's bump pointer, disjoint from
    /// its owner's other nodes; the GVA index holds exactly the live nodes, each in the bucket of its
    /// first GVA page, reachable by probing; the header's live node, CTRN and pin counts match the
    /// records; every TS below the next id has a path that the path hash finds, a parent created
    /// before it, and a live hosted TS an attached process; no TS is half lifted.
    /// </summary>
    public IReadOnlyList<string> CheckInvariants()
    {
        var problems = new List<string>();
        Enter();
        try
        {
            if (I32(L.HUndoCount) != 0)
            {
                problems.Add($"undo log holds {I32(L.HUndoCount)} entries outside a transaction");
            }

            var refs = new int[_layout.PageCount];
            var pinCounts = new int[_layout.PageCount];
            var tempCounts = new int[_layout.PageCount];
            var freeNode = new bool[_layout.MaxNodes];

            // Which node (positive id) or pin (negative id) holds each extent record.
            var extentUser = new int[_layout.MaxExtents];
            for (uint id = 1; id < _layout.MaxNodes; id++)
            {
                long node = NodeRec(id);
                int state = I32(node + L.NState);
                freeNode[id] = state == NodeFree;
                if (state != NodeLive)
                {
                    continue;
                }

                CountChain(I32(node + L.NExtentHead), refs, extentUser, (int)id, problems);
                CheckNode(id, node, problems);
            }

            var freePin = new bool[_layout.MaxPins];
            for (uint id = 1; id < _layout.MaxPins; id++)
            {
                long pin = PinRec(id);
                freePin[id] = I32(pin + L.QState) == 0;
                if (freePin[id])
                {
                    continue;
                }

                CountChain(I32(pin + L.QExtentHead), I32(pin + L.QTemp) != 0 ? tempCounts : pinCounts, extentUser, -(int)id, problems);
                if (ChainLength(I32(pin + L.QExtentHead)) != I32(pin + L.QLength))
                {
                    problems.Add($"pin {id}: its extents hold {ChainLength(I32(pin + L.QExtentHead))} bytes, the pin {I32(pin + L.QLength)}");
                }

                if (!Attached(I32(pin + L.QOwnerProc)))
                {
                    problems.Add($"pin {id} is held by detached process record {I32(pin + L.QOwnerProc)}");
                }
            }

            for (int ts = 1; ts < I32(L.HNextTs); ts++)
            {
                int state = I32(TsRec(ts) + L.TState);
                int host = I32(TsRec(ts) + L.TOwnerProc);
                if (state == TsLifting || state == TsUnused || (state == TsLive && host != NoProcess && !Attached(host)))
                {
                    problems.Add($"ts:{ts} is {(state == TsLifting ? "half lifted" : state == TsUnused ? "unused below the next id" : "live on a detached process record")}");
                }
            }

            int liveNodes = 0, liveCtrns = 0, livePins = 0;
            for (uint id = 1; id < _layout.MaxNodes; id++)
            {
                long node = NodeRec(id);
                if (I32(node + L.NState) == NodeLive)
                {
                    liveNodes++;
                    liveCtrns += (I32(node + L.NFlags) & L.FlagCtrn) != 0 ? 1 : 0;
                }
            }

            for (uint id = 1; id < _layout.MaxPins; id++)
            {
                livePins += I32(PinRec(id) + L.QState) == 1 && I32(PinRec(id) + L.QTemp) == 0 ? 1 : 0;
            }

            if (liveNodes != I32(L.HLiveNodes) || liveCtrns != I32(L.HLiveCtrns) || livePins != I32(L.HLivePins))
            {
                problems.Add($"header counts {I32(L.HLiveNodes)} nodes, {I32(L.HLiveCtrns)} CTRNs, {I32(L.HLivePins)} pins; the records hold {liveNodes}, {liveCtrns}, {livePins}");
            }

            CheckExtentPool(extentUser, problems);
            CheckSpillPool(problems);
            CheckGvaIndex(problems);
            CheckTsTree(problems);

            var onStack = new bool[_layout.PageCount];
            int freeCount = I32(L.HFreePageCount);
            for (int i = 0; i < freeCount; i++)
            {
                int pfn = I32(_layout.FreePageStack + (4L * i));
                if (onStack[pfn])
                {
                    problems.Add($"page {pfn} is on the free stack twice");
                }

                onStack[pfn] = true;
            }

            for (int pfn = 0; pfn < _layout.PageCount; pfn++)
            {
                long page = PageRec(pfn);
                if (I32(page + L.GRefs) != refs[pfn] || I32(page + L.GPins) != pinCounts[pfn] || I32(page + L.GTemp) != tempCounts[pfn])
                {
                    problems.Add($"page {pfn}: refs {I32(page + L.GRefs)} pins {I32(page + L.GPins)} temporary {I32(page + L.GTemp)}, nodes over it {refs[pfn]}, pins over it {pinCounts[pfn]}, accesses {tempCounts[pfn]}");
                }

                bool shouldBeFree = refs[pfn] == 0 && pinCounts[pfn] == 0 && tempCounts[pfn] == 0;
                if (shouldBeFree != (I32(page + L.GFree) == 1) || shouldBeFree != onStack[pfn])
                {
                    problems.Add($"page {pfn}: free flag {I32(page + L.GFree)}, on free stack {onStack[pfn]}, used by {refs[pfn]} nodes and {pinCounts[pfn]} pins");
                }
            }

            var queued = new bool[_layout.MaxNodes];
            int head = I32(L.HNodeQueueHead);
            int queueCount = I32(L.HNodeQueueCount);
            for (int i = 0; i < queueCount; i++)
            {
                int id = I32(_layout.NodeQueue + (4L * ((head + i) % _layout.MaxNodes)));
                if (id <= 0 || id >= I32(L.HNextNode) || queued[id] || !freeNode[id])
                {
                    problems.Add($"node queue entry {id} is out of range, repeated or not free");
                    continue;
                }

                queued[id] = true;
            }

            for (int id = 1; id < _layout.MaxNodes; id++)
            {
                if (freeNode[id] && !queued[id] && id < I32(L.HNextNode))
                {
                    problems.Add($"free node {id} is not in the free queue");
                }
            }

            var stacked = new bool[_layout.MaxPins];
            for (int i = 0; i < I32(L.HFreePinCount); i++)
            {
                int id = I32(_layout.FreePinStack + (4L * i));
                if (id <= 0 || id >= _layout.MaxPins || stacked[id] || !freePin[id])
                {
                    problems.Add($"pin stack entry {id} is out of range, repeated or not free");
                    continue;
                }

                stacked[id] = true;
            }

            for (int id = 1; id < _layout.MaxPins; id++)
            {
                if (freePin[id] && !stacked[id])
                {
                    problems.Add($"free pin {id} is not on the free stack");
                }
            }
        }
        finally
        {
            Leave();
        }

        return problems;
    }

    /// <summary>A snapshot of page, node, CTRN, pin and process use and of recoveries so far: header words, no scan but the process table.</summary>
    public SharedArenaStats GetStats()
    {
        Enter();
        try
        {
            int procs = 0;
            for (int slot = 0; slot < _layout.MaxProcesses; slot++)
            {
                procs += I32(_layout.Proc(slot) + L.PState);
            }

            return new SharedArenaStats(_layout.PageCount, I32(L.HFreePageCount), I32(L.HLiveNodes), I32(L.HLivePins), procs, I32(L.HRecoveries), I32(L.HUndoneWrites), I32(L.HFreeExtentCount), I32(L.HDoubleReleases), I32(L.HLiveCtrns));
        }
        finally
        {
            Leave();
        }
    }

    private bool Attached(int slot) => slot >= 0 && slot < _layout.MaxProcesses && I32(_layout.Proc(slot) + L.PState) == 1;
}
