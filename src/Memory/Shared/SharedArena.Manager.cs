using L = Edsos.Memory.Shared.SharedLayout;

namespace Edsos.Memory.Shared;

/// <summary>
/// What <see cref="MemoryManager"/> needs beyond the public operations: a DMA pin with its extents
/// in one lock, the journal's view of a node, the leak report's scan, unlocked hints.
/// </summary>
public sealed unsafe partial class SharedArena
{
    private long _cowBytes;

    /// <summary>Bytes this instance copied on write (statistic of this process, not of the file).</summary>
    internal long CowBytesCopied => Interlocked.Read(ref _cowBytes);

    /// <summary>Double releases this instance recorded (<see cref="DoubleReleases"/> without the copy).</summary>
    internal int RecordedDoubleReleaseCount
    {
        get
        {
            lock (_doubleReleases)
            {
                return _doubleReleases.Count;
            }
        }
    }

    /// <summary>Free pages now, read without the lock: a hint, possibly stale.</summary>
    internal int FreePagesHint => Volatile.Read(ref I32(L.HFreePageCount));

    /// <summary>Bytes a DMA pin of this process covers and its first physical address; false if it is not one (the journal of an unpin).</summary>
    internal bool TryDescribePin(SharedPin pin, out int length, out ulong firstAddress)
    {
        length = 0;
        firstAddress = 0;
        Enter();
        try
        {
            if (!CheckPin(pin).IsOk)
            {
                return false;
            }

            long rec = PinRec(pin.Id);
            length = I32(rec + L.QLength);
            int head = I32(rec + L.QExtentHead);
            firstAddress = head == 0 ? 0 : (ulong)I64(ExtentRec(head) + L.EAddress);
            return true;
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>The reference count of the page holding physical address <paramref name="address"/>, read without the lock (the journal's).</summary>
    internal int PageRefCount(ulong address)
    {
        int pfn = (int)(address >> _pageShift);
        return pfn < _layout.PageCount ? Volatile.Read(ref I32(PageRec(pfn) + L.GRefs)) : 0;
    }

    /// <summary>
    /// The journal's view of live node <paramref name="nodeId"/> at <paramref name="generation"/>:
    /// path, owner, GVA, length, the reference count of its first page and its owner's path. False
    /// if the node is gone.
    /// </summary>
    internal bool TryDescribe(uint nodeId, uint generation, MemoryOp op, TsId caller, out MemoryOpRecord record, out ulong firstAddress)
    {
        record = default!;
        firstAddress = 0;
        Enter();
        try
        {
            if (nodeId == 0 || nodeId >= _layout.MaxNodes)
            {
                return false;
            }

            long node = NodeRec(nodeId);
            if (I32(node + L.NState) != NodeLive || U32(node + L.NGeneration) != generation)
            {
                return false;
            }

            int head = I32(node + L.NExtentHead);
            firstAddress = head == 0 ? 0 : (ulong)I64(ExtentRec(head) + L.EAddress);
            int refs = head == 0 ? 0 : PageRefCount(firstAddress);
            int owner = I32(node + L.NOwnerTs);
            record = new MemoryOpRecord(op, caller, nodeId, NodePath(node), new TsId((ushort)owner), NodeGva(node), I32(node + L.NLength), refs, TsPath(owner));
            return true;
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>The path of TS <paramref name="ts"/>, or null if it does not exist.</summary>
    internal string? TryTsPath(TsId ts)
    {
        Enter();
        try
        {
            return TsExists(ts.Value) ? TsPath(ts.Value) : null;
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>Whether node record <paramref name="nodeId"/> is retired for the arena's life (test hook).</summary>
    internal bool IsRetiredForTests(uint nodeId)
    {
        Enter();
        try
        {
            return nodeId > 0 && nodeId < _layout.MaxNodes && I32(NodeRec(nodeId) + L.NState) == NodeRetired;
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>
    /// The live nodes the leak report lists: every one when <paramref name="scope"/> is null, else
    /// those owned by or originating in a TS of it, with the distinct pages under them and the DMA
    /// pins (of any process) touching those pages. With no scope, pages are the pages in use.
    /// </summary>
    internal List<SharedLiveNode> ScanLiveNodes(HashSet<TsId>? scope, out int pages, out int pins)
    {
        var found = new List<SharedLiveNode>();
        Enter();
        try
        {
            bool[]? touched = scope is null ? null : new bool[_layout.PageCount];
            Span<int> origins = stackalloc int[L.MaxOrigins];
            for (uint id = 1; id < _layout.MaxNodes; id++)
            {
                long node = NodeRec(id);
                if (I32(node + L.NState) != NodeLive)
                {
                    continue;
                }

                int owner = I32(node + L.NOwnerTs);
                if (scope is not null && !InScope(scope, node, owner, origins))
                {
                    continue;
                }

                found.Add(new SharedLiveNode(id, U32(node + L.NGeneration), NodePath(node), new TsId((ushort)owner), TsPath(owner), (I32(node + L.NFlags) & L.FlagCtrn) != 0, I32(node + L.NLength)));
                if (touched is not null)
                {
                    MarkPages(I32(node + L.NExtentHead), touched);
                }
            }

            if (touched is null)
            {
                pages = _layout.PageCount - I32(L.HFreePageCount);
                pins = I32(L.HLivePins);
                return found;
            }

            pages = 0;
            foreach (bool page in touched)
            {
                pages += page ? 1 : 0;
            }

            pins = 0;
            for (uint id = 1; id < _layout.MaxPins; id++)
            {
                long pin = PinRec(id);
                if (I32(pin + L.QState) == 1 && I32(pin + L.QTemp) == 0 && Touches(I32(pin + L.QExtentHead), touched))
                {
                    pins++;
                }
            }

            return found;
        }
        finally
        {
            Leave();
        }
    }

    private bool InScope(HashSet<TsId> scope, long node, int owner, Span<int> origins)
    {
        if (scope.Contains(new TsId((ushort)owner)))
        {
            return true;
        }

        int count = ReadOrigins(node, origins);
        for (int i = 0; i < count; i++)
        {
            if (scope.Contains(new TsId((ushort)origins[i])))
            {
                return true;
            }
        }

        return false;
    }

    private void MarkPages(int head, bool[] touched)
    {
        for (int e = head; e != 0; e = I32(ExtentRec(e) + L.ENext))
        {
            var (first, last) = SpannedPages(ExtentRec(e));
            for (int pfn = first; pfn <= last; pfn++)
            {
                touched[pfn] = true;
            }
        }
    }

    private bool Touches(int head, bool[] touched)
    {
        for (int e = head; e != 0; e = I32(ExtentRec(e) + L.ENext))
        {
            var (first, last) = SpannedPages(ExtentRec(e));
            for (int pfn = first; pfn <= last; pfn++)
            {
                if (touched[pfn])
                {
                    return true;
                }
            }
        }

        return false;
    }
}
