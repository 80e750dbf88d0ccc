namespace Edsos.Memory;

/// <summary>Accounting, leak reports and the internal consistency check.</summary>
public sealed partial class MemoryManager
{
    /// <summary>Pages in the arena.</summary>
    public int TotalPages => _arena.PageCount;

    /// <summary>
    /// Pages free now, read without the lock: a hint for back-pressure (TCP bounds its receive window and
    /// out-of-order queue by it), possibly stale by the time it is used. Allocates nothing.
    /// </summary>
    public int FreePagesHint => _disposed ? 0 : _arena.FreePagesHint;

    /// <summary>
    /// A snapshot of the counters: pages, nodes, CTRNs and DMA pins of the whole arena (every
    /// process of a cluster host), taken under its lock; byte counters of this process.
    /// </summary>
    public MemoryCounters Counters
    {
        get
        {
            int pages = _arena.PageCount;
            int inUse = 0;
            int nodes = 0;
            int ctrns = 0;
            int pins = 0;
            if (!_disposed)
            {
                var stats = _arena.GetStats();
                inUse = stats.PageCount - stats.FreePages;
                nodes = stats.LiveNodes;
                ctrns = stats.LiveCtrns;
                pins = stats.LivePins;
            }

            return new MemoryCounters(
                pages,
                inUse,
                nodes,
                ctrns,
                pins,
                Interlocked.Read(ref _payloadBytes),
                Interlocked.Read(ref _headerBytes),
                Interlocked.Read(ref _metadataBytes),
                _arena.CowBytesCopied,
                Interlocked.Read(ref _dmaBytesRead),
                Interlocked.Read(ref _dmaBytesWritten),
                Interlocked.Read(ref _applicationBytes));
        }
    }

    /// <summary>
    /// Everything still held in the arena: live nodes (with paths, and the place that made them
    /// when this process made them), pages in use, DMA pins, and the double releases this process
    /// recorded. Clean after a complete scenario. Never fails (empty after Dispose).
    /// </summary>
    public LeakReport GetLeakReport()
    {
        if (_disposed)
        {
            return new LeakReport([], 0, 0, DoubleReleasesIn(null));
        }

        var live = _arena.ScanLiveNodes(null, out int pages, out int pins);
        return new LeakReport(Describe(live), pages, pins, DoubleReleasesIn(null));
    }

    /// <summary>
    /// What the subtree of <paramref name="ts"/> still holds: live nodes owned by it or originating
    /// in it, the distinct pages under those nodes, and DMA pins touching those pages. A page kept
    /// only by a pin after its nodes were lifted shows in <see cref="GetLeakReport()"/>, not here.
    /// Empty for an unknown TS.
    /// </summary>
    public LeakReport GetLeakReport(TsId ts)
    {
        var scope = new HashSet<TsId>(Subtree(ts));
        if (_disposed || scope.Count == 0)
        {
            return new LeakReport([], 0, 0, DoubleReleasesIn(scope));
        }

        var live = _arena.ScanLiveNodes(scope, out int pages, out int pins);
        return new LeakReport(Describe(live), pages, pins, DoubleReleasesIn(scope));
    }

    /// <summary>
    /// Finds the processes attached to this manager's arena file that died (SIGKILL included) and
    /// makes each death a TS exit: every TS the process hosted is lifted, its pins are released and
    /// its record freed; a lift another process left half done is finished. Any survivor may call
    /// it at any time. Returns what it did (empty after Dispose, and always for a private arena).
    /// </summary>
    public Shared.ReapReport ReapDeadProcesses() => _disposed ? new Shared.ReapReport(0, [], 0, 0, 0) : _arena.ReapDeadProcesses();

    /// <summary>
    /// The arena's invariants (reference and pin counts against the records, free lists, indexes,
    /// counters). Returns one line per violation; empty when consistent. For tests.
    /// </summary>
    internal IReadOnlyList<string> CheckInvariants() => _arena.CheckInvariants();

    private List<LeakedNode> Describe(List<Shared.SharedLiveNode> live)
    {
        var nodes = new List<LeakedNode>(live.Count);
        foreach (var node in live)
        {
            var place = node.Id < (uint)_places.Length ? _places[node.Id] : default;
            nodes.Add(new LeakedNode(node.Id, node.Path, node.Owner, node.OwnerPath, node.IsCtrn, node.Length, place));
        }

        return nodes;
    }
}
