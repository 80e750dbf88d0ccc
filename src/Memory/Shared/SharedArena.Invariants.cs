using L = Edsos.Memory.Shared.SharedLayout;

namespace Edsos.Memory.Shared;

/// <summary>Consistency checks and a snapshot, for tests, leak reports and operators.</summary>
public sealed unsafe partial class SharedArena
{
    /// <summary>
    /// Checks the metadata under the lock (after any recovery) and returns every violation found;
    /// empty means consistent: the undo log is empty; each page's reference count equals the live
    /// node extents over it and its pin count the held pins over it; a page is free exactly when
    /// both are zero and then appears once on the free stack; the free node queue holds exactly the
    /// free node records and the free pin stack exactly the free pin records; every live node's
    /// owner and origin TS is live; every live TS, node owner and pin holder is an attached process.
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
            var freeNode = new bool[_layout.MaxNodes];
            for (uint id = 1; id < _layout.MaxNodes; id++)
            {
                long node = _layout.Node(id);
                int state = I32(node + L.NState);
                freeNode[id] = state == NodeFree;
                if (state != NodeLive)
                {
                    continue;
                }

                for (int i = 0; i < I32(node + L.NPageCount); i++)
                {
                    refs[I32(node + L.NPages + (4L * i))]++;
                }

                foreach (int ts in (ReadOnlySpan<int>)[I32(node + L.NOwnerTs), I32(node + L.NOriginTs)])
                {
                    if (ts <= 0 || ts >= _layout.MaxTs || I32(_layout.TsRec(ts) + L.TState) != TsLive)
                    {
                        problems.Add($"node {id} is live but its TS {ts} is not");
                    }
                }
            }

            var freePin = new bool[_layout.MaxPins];
            for (uint id = 1; id < _layout.MaxPins; id++)
            {
                long pin = _layout.Pin(id);
                freePin[id] = I32(pin + L.QState) == 0;
                if (freePin[id])
                {
                    continue;
                }

                for (int i = 0; i < I32(pin + L.QPageCount); i++)
                {
                    pinCounts[I32(pin + L.QPages + (4L * i))]++;
                }

                if (!Attached(I32(pin + L.QOwnerProc)))
                {
                    problems.Add($"pin {id} is held by detached process record {I32(pin + L.QOwnerProc)}");
                }
            }

            for (int ts = 1; ts < I32(L.HNextTs); ts++)
            {
                int state = I32(_layout.TsRec(ts) + L.TState);
                if (state == TsLifting || (state == TsLive && !Attached(I32(_layout.TsRec(ts) + L.TOwnerProc))))
                {
                    problems.Add($"ts:{ts} is {(state == TsLifting ? "half lifted" : "live on a detached process record")}");
                }
            }

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
                long page = _layout.Page(pfn);
                if (I32(page + L.GRefs) != refs[pfn] || I32(page + L.GPins) != pinCounts[pfn])
                {
                    problems.Add($"page {pfn}: refs {I32(page + L.GRefs)} pins {I32(page + L.GPins)}, nodes over it {refs[pfn]}, pins over it {pinCounts[pfn]}");
                }

                bool shouldBeFree = refs[pfn] == 0 && pinCounts[pfn] == 0;
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
                if (id <= 0 || id >= _layout.MaxNodes || queued[id] || !freeNode[id])
                {
                    problems.Add($"node queue entry {id} is out of range, repeated or not free");
                    continue;
                }

                queued[id] = true;
            }

            for (int id = 1; id < _layout.MaxNodes; id++)
            {
                if (freeNode[id] && !queued[id])
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

    /// <summary>A snapshot of page, node, pin and process use and of recoveries so far.</summary>
    public SharedArenaStats GetStats()
    {
        Enter();
        try
        {
            int nodes = 0, pins = 0, procs = 0;
            for (uint id = 1; id < _layout.MaxNodes; id++)
            {
                nodes += I32(_layout.Node(id) + L.NState) == NodeLive ? 1 : 0;
            }

            for (uint id = 1; id < _layout.MaxPins; id++)
            {
                pins += I32(_layout.Pin(id) + L.QState) == 1 ? 1 : 0;
            }

            for (int slot = 0; slot < _layout.MaxProcesses; slot++)
            {
                procs += I32(_layout.Proc(slot) + L.PState);
            }

            return new SharedArenaStats(_layout.PageCount, I32(L.HFreePageCount), nodes, pins, procs, I32(L.HRecoveries), I32(L.HUndoneWrites));
        }
        finally
        {
            Leave();
        }
    }

    private bool Attached(int slot) => slot >= 0 && slot < _layout.MaxProcesses && I32(_layout.Proc(slot) + L.PState) == 1;
}
