namespace Edsos.Memory;

/// <summary>Accounting, leak reports and the internal consistency check.</summary>
public sealed partial class MemoryManager
{
    /// <summary>Pages in the arena.</summary>
    public int TotalPages => _pages.PageCount;

    /// <summary>
    /// Pages free now, read without the lock: a hint for back-pressure (TCP bounds its receive window and
    /// out-of-order queue by it), possibly stale by the time it is used. Allocates nothing.
    /// </summary>
    public int FreePagesHint => _pages.PageCount - _pages.InUse;

    /// <summary>A consistent snapshot of the counters (taken under the lock).</summary>
    public MemoryCounters Counters
    {
        get
        {
            lock (_gate)
            {
                return new MemoryCounters(
                    _pages.PageCount,
                    _pages.InUse,
                    _liveNodes,
                    _liveCtrns,
                    _dmaPinCount,
                    Interlocked.Read(ref _payloadBytes),
                    Interlocked.Read(ref _headerBytes),
                    Interlocked.Read(ref _metadataBytes),
                    Interlocked.Read(ref _cowBytes),
                    Interlocked.Read(ref _dmaBytesRead),
                    Interlocked.Read(ref _dmaBytesWritten),
                    Interlocked.Read(ref _applicationBytes));
            }
        }
    }

    /// <summary>
    /// Everything still held in the arena: live nodes (with paths), pages in use, DMA pins. Clean
    /// after a complete scenario. Never fails.
    /// </summary>
    public LeakReport GetLeakReport()
    {
        lock (_gate)
        {
            var nodes = new List<LeakedNode>();
            foreach (var slot in _slots)
            {
                if (slot.Node is { } node)
                {
                    nodes.Add(Describe(node));
                }
            }

            return new LeakReport(nodes, _pages.InUse, _dmaPinCount, DoubleReleasesIn(null));
        }
    }

    /// <summary>
    /// What the subtree of <paramref name="ts"/> still holds: live nodes owned by it or originating
    /// in it, the distinct pages under those nodes, and DMA pins touching those pages. A page kept
    /// only by a pin after its nodes were lifted shows in <see cref="GetLeakReport()"/>, not here.
    /// Empty for an unknown TS.
    /// </summary>
    public LeakReport GetLeakReport(TsId ts)
    {
        lock (_gate)
        {
            var scope = new HashSet<TsId>();
            if (TryTs(ts) is { } record)
            {
                var subtree = new List<TsId>();
                AppendPostOrder(record, subtree);
                scope.UnionWith(subtree);
            }

            var nodes = new List<LeakedNode>();
            var pages = new HashSet<int>();
            foreach (var slot in _slots)
            {
                if (slot.Node is not { } node || !(scope.Contains(node.Owner) || node.Origins.Any(scope.Contains)))
                {
                    continue;
                }

                nodes.Add(Describe(node));
                foreach (var extent in node.Extents)
                {
                    var (first, last) = ScatterList.Pages(extent, _pageSize);
                    for (int pfn = first; pfn <= last; pfn++)
                    {
                        pages.Add(pfn);
                    }
                }
            }

            int pins = 0;
            foreach (var pin in _pins.Values)
            {
                if (pin.Dma && pin.Extents.Any(e => Touches(e, pages)))
                {
                    pins++;
                }
            }

            return new LeakReport(nodes, pages.Count, pins, DoubleReleasesIn(scope));
        }
    }

    /// <summary>
    /// Recomputes every page's reference and pin counts from the live nodes and pin records and
    /// compares them with the allocator, and checks the free list, the TS indexes, the origin index
    /// and the node counters. Returns one line per violation; empty when consistent. For tests.
    /// </summary>
    internal IReadOnlyList<string> CheckInvariants()
    {
        lock (_gate)
        {
            var problems = new List<string>();
            var refs = new int[_pages.PageCount];
            var pins = new int[_pages.PageCount];
            var dmaPins = new int[_pages.PageCount];
            int live = 0;
            int ctrns = 0;
            for (int id = 0; id < _slots.Count; id++)
            {
                if (_slots[id].Node is not { } node)
                {
                    continue;
                }

                live++;
                if (node.IsCtrn)
                {
                    ctrns++;
                }

                if (node.Id != id)
                {
                    problems.Add($"slot {id} holds node {node.Id}");
                }

                if (ScatterList.TotalLength(node.Extents) != node.Length)
                {
                    problems.Add($"{node.Path}: extents cover {ScatterList.TotalLength(node.Extents)} bytes, length {node.Length}");
                }

                var owner = Ts(node.Owner);
                if (!owner.Alive)
                {
                    problems.Add($"{node.Path}: live node in exited TS {owner.Path}");
                }

                if (!owner.Index.TryGetValue(node.GvaBase, out uint indexed) || indexed != node.Id)
                {
                    problems.Add($"{node.Path}: missing from the GVA index of {owner.Path}");
                }

                foreach (var origin in node.Origins)
                {
                    if (!Ts(origin).Alive)
                    {
                        problems.Add($"{node.Path}: origin {Ts(origin).Path} has exited but the node is live");
                    }

                    if (!_byOrigin.TryGetValue(origin, out var set) || !set.Contains(node.Id))
                    {
                        problems.Add($"{node.Path}: missing from the origin index of {Ts(origin).Path}");
                    }
                }

                Count(node.Extents, refs);
            }

            foreach (var pin in _pins.Values)
            {
                Count(pin.Extents, pins);
                if (pin.Dma)
                {
                    Count(pin.Extents, dmaPins);
                }
            }

            int free = 0;
            for (int pfn = 0; pfn < _pages.PageCount; pfn++)
            {
                if (refs[pfn] != _pages.RefCount(pfn))
                {
                    problems.Add($"page {pfn}: refcount {_pages.RefCount(pfn)}, live nodes reference it {refs[pfn]} time(s)");
                }

                if (pins[pfn] != _pages.PinCount(pfn) || dmaPins[pfn] != _pages.DmaPinCount(pfn))
                {
                    problems.Add($"page {pfn}: pins {_pages.PinCount(pfn)}/{_pages.DmaPinCount(pfn)} dma, records say {pins[pfn]}/{dmaPins[pfn]}");
                }

                bool shouldBeFree = refs[pfn] == 0 && pins[pfn] == 0;
                if (shouldBeFree != _pages.IsFree(pfn))
                {
                    problems.Add($"page {pfn}: free={_pages.IsFree(pfn)} but refs={refs[pfn]} pins={pins[pfn]}");
                }

                if (_pages.IsFree(pfn))
                {
                    free++;
                }
            }

            if (free != _pages.FreeCount)
            {
                problems.Add($"free list holds {_pages.FreeCount} pages, {free} pages are free");
            }

            if (live != _liveNodes || ctrns != _liveCtrns)
            {
                problems.Add($"counters say {_liveNodes} nodes/{_liveCtrns} CTRNs, table holds {live}/{ctrns}");
            }

            int indexed2 = _ts.Sum(t => t?.Index.Count ?? 0);
            if (indexed2 != live)
            {
                problems.Add($"GVA indexes hold {indexed2} nodes, table holds {live}");
            }

            int dmaRecords = _pins.Values.Count(p => p.Dma);
            if (dmaRecords != _dmaPinCount)
            {
                problems.Add($"ActivePins {_dmaPinCount}, DMA pin records {dmaRecords}");
            }

            return problems;
        }
    }

    private void Count(PhysExtent[] extents, int[] counts)
    {
        foreach (var extent in extents)
        {
            var (first, last) = ScatterList.Pages(extent, _pageSize);
            for (int pfn = first; pfn <= last; pfn++)
            {
                counts[pfn]++;
            }
        }
    }

    private bool Touches(PhysExtent extent, HashSet<int> pages)
    {
        var (first, last) = ScatterList.Pages(extent, _pageSize);
        for (int pfn = first; pfn <= last; pfn++)
        {
            if (pages.Contains(pfn))
            {
                return true;
            }
        }

        return false;
    }

    private LeakedNode Describe(Node node) => new(node.Id, node.Path, node.Owner, Ts(node.Owner).Path, node.IsCtrn, node.Length, node.Place);
}
