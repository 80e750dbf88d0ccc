namespace Edsos.Memory;

/// <summary>The node table behind the lifecycle operations: checks, slots, page references. Every member needs the lock.</summary>
public sealed partial class MemoryManager
{
    private MemoryResult CheckLiveTs(TsId ts, string role)
    {
        if (_disposed)
        {
            return MemoryResult.Fail(MemoryError.Disposed, "memory manager disposed");
        }

        var record = TryTs(ts);
        if (record is null)
        {
            return MemoryResult.Fail(MemoryError.NoSuchTs, $"{role} {ts} does not exist");
        }

        return record.Alive ? MemoryResult.Ok : MemoryResult.Fail(MemoryError.TsExited, $"{role} {record.Path} has exited");
    }

    private MemoryResult CheckTarget(TsId caller, TsId target)
    {
        var check = CheckLiveTs(target, "target");
        if (!check.IsOk)
        {
            return check;
        }

        return target == caller
            ? MemoryResult.Fail(MemoryError.InvalidArgument, "target must be another TS than the caller")
            : MemoryResult.Ok;
    }

    private MemoryResult CheckKernelShare(TsId caller, Node node)
    {
        if (Ts(caller).Kind != TsKind.User)
        {
            return MemoryResult.Ok;
        }

        foreach (var origin in node.Origins)
        {
            if (Ts(origin).Kind == TsKind.Kernel)
            {
                return MemoryResult.Fail(MemoryError.KernelShareDenied, $"user TS {Ts(caller).Path} may not share {node.Path}: it originated in kernel TS {Ts(origin).Path}");
            }
        }

        return MemoryResult.Ok;
    }

    /// <summary>
    /// The TLB check on a capability, in a fixed order: caller live, tag authentic, generation
    /// current (or lifted), caller owns the node, rights suffice. Must hold the lock.
    /// </summary>
    private MemoryResult Resolve(TsId caller, Capability cap, Rights needed, out Node node)
    {
        node = null!;
        var check = CheckLiveTs(caller, "caller");
        if (!check.IsOk)
        {
            return check;
        }

        if (!TagMatches(cap) || cap.NodeId == 0 || cap.NodeId >= (uint)_slots.Count)
        {
            return MemoryResult.Fail(MemoryError.Forged, $"{cap} does not carry a valid tag");
        }

        var slot = _slots[(int)cap.NodeId];
        if (slot.Node is null || slot.Generation != cap.Generation)
        {
            return cap.Generation == slot.LiftedGeneration
                ? MemoryResult.Fail(MemoryError.InvalidGva, $"{cap}: the node was lifted (an origin TS exited)")
                : MemoryResult.Fail(MemoryError.Stale, $"{cap}: the node was popped, consumed or revoked");
        }

        if (slot.Node.Owner != caller)
        {
            return MemoryResult.Fail(MemoryError.NotVisible, $"{slot.Node.Path} belongs to {Ts(slot.Node.Owner).Path}, not to {Ts(caller).Path}");
        }

        if (!IsSubset(needed, cap.Rights))
        {
            return MemoryResult.Fail(MemoryError.RightsDenied, $"{cap} lacks {needed & ~cap.Rights}");
        }

        node = slot.Node;
        return MemoryResult.Ok;
    }

    private static bool IsSubset(Rights wanted, Rights held) => (wanted & ~held) == 0;

    private Capability MintCurrent(Node node, Rights rights) => Mint(node.Id, _slots[(int)node.Id].Generation, rights);

    private static string NodePath(TsRecord ts, string name) => ts.Path == "/" ? "/" + name : ts.Path + "/" + name;

    private ulong RoundUpToPage(int length) => ((ulong)length + (ulong)_pageSize - 1) & ~((ulong)_pageSize - 1);

    /// <summary>Finds the GVA a node of <paramref name="length"/> bytes would get; the caller moves NextGva once it commits.</summary>
    private bool TryReserveGva(TsRecord ts, int length, out ulong gva)
    {
        gva = ts.NextGva;
        return RoundUpToPage(length) <= Gva.OffsetMask - gva;
    }

    /// <summary>
    /// The sorted, distinct union of two ascending origin sets (merge runs per packet: no LINQ, and
    /// the common case, equal sets, allocates nothing).
    /// </summary>
    private static TsId[] UnionOrigins(TsId[] a, TsId[] b)
    {
        if (a.AsSpan().SequenceEqual(b))
        {
            return a;
        }

        var union = new TsId[a.Length + b.Length];
        int i = 0;
        int j = 0;
        int n = 0;
        while (i < a.Length || j < b.Length)
        {
            TsId next = j >= b.Length || (i < a.Length && a[i].Value <= b[j].Value) ? a[i] : b[j];
            if (i < a.Length && a[i] == next)
            {
                i++;
            }

            if (j < b.Length && b[j] == next)
            {
                j++;
            }

            union[n++] = next;
        }

        return n == union.Length ? union : union[..n];
    }

    /// <summary>A free slot (the longest idle first) or a new one. Retired slots are never in the free list.</summary>
    private int TakeSlot()
    {
        if (_freeSlots.Count > 0)
        {
            return _freeSlots.Dequeue();
        }

        _slots.Add(new NodeSlot());
        return _slots.Count - 1;
    }

    /// <summary>
    /// Moves a live node to a fresh slot (a new node id at that slot's generation) and retires its
    /// old slot: the GVA index and the origin index follow; bytes, GVA, extents and rights are
    /// unchanged. Every capability minted for the old id is refused from now on. Must hold the lock.
    /// </summary>
    private Node Relocate(Node node)
    {
        int id = TakeSlot();
        var moved = new Node
        {
            Id = (uint)id,
            RootPath = node.RootPath,
            RootStart = node.RootStart,
            IsDivided = node.IsDivided,
            Owner = node.Owner,
            GvaBase = node.GvaBase,
            Length = node.Length,
            Rights = node.Rights,
            IsCtrn = node.IsCtrn,
            Origins = node.Origins,
            Extents = node.Extents,
            Place = node.Place,
        };
        var old = _slots[(int)node.Id];
        old.Node = null;
        old.Generation = NodeSlot.LastGeneration;
        _slots[id].Node = moved;
        Ts(node.Owner).Index[node.GvaBase] = moved.Id;
        foreach (var origin in node.Origins)
        {
            var set = _byOrigin[origin];
            set.Remove(node.Id);
            set.Add(moved.Id);
        }

        return moved;
    }

    /// <summary>
    /// Test hook: sets the generation of <paramref name="cap"/>'s slot to <paramref name="generation"/>
    /// (below <see cref="NodeSlot.LastGeneration"/>) and returns a capability with its rights at that
    /// generation, so a test reaches the end of the generations without four billion revokes.
    /// </summary>
    internal MemoryResult<Capability> AgeSlotForTests(TsId caller, Capability cap, uint generation)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(generation, NodeSlot.LastGeneration);
        ArgumentOutOfRangeException.ThrowIfZero(generation);
        lock (_gate)
        {
            var resolved = Resolve(caller, cap, Rights.None, out var node);
            if (!resolved.IsOk)
            {
                return resolved;
            }

            _slots[(int)node.Id].Generation = generation;
            return MemoryResult<Capability>.Ok(MintCurrent(node, cap.Rights));
        }
    }

    /// <summary>Test hook: whether node id <paramref name="nodeId"/>'s slot is retired for good.</summary>
    internal bool IsSlotRetiredForTests(uint nodeId)
    {
        lock (_gate)
        {
            return nodeId < (uint)_slots.Count && _slots[(int)nodeId].Retired;
        }
    }

    private Node AddNode(string rootPath, long rootStart, bool isDivided, TsId owner, ulong gva, int length, Rights rights, bool isCtrn, TsId[] origins, PhysExtent[] extents, CodePlace place)
    {
        int id = TakeSlot();
        var node = new Node
        {
            Id = (uint)id,
            RootPath = rootPath,
            RootStart = rootStart,
            IsDivided = isDivided,
            Owner = owner,
            GvaBase = gva,
            Length = length,
            Rights = rights,
            IsCtrn = isCtrn,
            Origins = origins,
            Extents = extents,
            Place = place,
        };
        _slots[id].Node = node;
        Ts(owner).Index.Add(gva, node.Id);
        foreach (var origin in origins)
        {
            if (!_byOrigin.TryGetValue(origin, out var set))
            {
                set = [];
                _byOrigin[origin] = set;
            }

            set.Add(node.Id);
        }

        _liveNodes++;
        if (isCtrn)
        {
            _liveCtrns++;
        }

        return node;
    }

    /// <summary>Frees the node's slot (bumping the generation) and drops its page references.</summary>
    private void RemoveNode(Node node, bool lifted, out int pagesFreed, out int pagesDeferred)
    {
        var slot = _slots[(int)node.Id];
        if (lifted)
        {
            slot.LiftedGeneration = slot.Generation;
        }
        else
        {
            slot.ReleasedGeneration = slot.Generation;
        }

        slot.Generation = NextGeneration(slot.Generation);
        slot.Node = null;
        if (!slot.Retired)
        {
            _freeSlots.Enqueue((int)node.Id);
        }

        Ts(node.Owner).Index.Remove(node.GvaBase);
        foreach (var origin in node.Origins)
        {
            if (_byOrigin.TryGetValue(origin, out var set))
            {
                set.Remove(node.Id);
                if (set.Count == 0)
                {
                    _byOrigin.Remove(origin);
                }
            }
        }

        _liveNodes--;
        if (node.IsCtrn)
        {
            _liveCtrns--;
        }

        ReleaseRefs(node.Extents, out pagesFreed, out pagesDeferred);
    }

    private void AddRefs(PhysExtent[] extents)
    {
        foreach (var extent in extents)
        {
            var (first, last) = ScatterList.Pages(extent, _pageSize);
            for (int pfn = first; pfn <= last; pfn++)
            {
                _pages.AddRef(pfn);
            }
        }
    }

    private void ReleaseRefs(PhysExtent[] extents, out int pagesFreed, out int pagesDeferred)
    {
        pagesFreed = 0;
        pagesDeferred = 0;
        foreach (var extent in extents)
        {
            var (first, last) = ScatterList.Pages(extent, _pageSize);
            for (int pfn = first; pfn <= last; pfn++)
            {
                if (_pages.Release(pfn))
                {
                    pagesFreed++;
                }
                else if (_pages.RefCount(pfn) == 0)
                {
                    pagesDeferred++;
                }
            }
        }
    }
}
