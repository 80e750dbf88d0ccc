namespace Edsos.Memory;

/// <summary>Node lifecycle: push, ct_share, divide, merge, pop, grant, restrict, revoke, lift.</summary>
public sealed partial class MemoryManager
{
    /// <summary>
    /// Allocates <paramref name="length"/> zeroed bytes (whole pages) as a new node named
    /// <paramref name="name"/> in <paramref name="caller"/>'s TS at a fresh page-aligned GVA; the
    /// node's origin is the caller. Returns a capability with <paramref name="rights"/>. Fails with
    /// <see cref="MemoryError.NoSuchTs"/>/<see cref="MemoryError.TsExited"/> for a bad caller,
    /// <see cref="MemoryError.InvalidArgument"/> for a non-positive length or malformed name, and
    /// <see cref="MemoryError.OutOfMemory"/> when pages or GVA space run out (nothing allocated).
    /// </summary>
    public MemoryResult<Capability> Push(TsId caller, string name, int length, Rights rights = Rights.All)
    {
        if (length <= 0 || !IsValidName(name) || (rights & ~Rights.All) != 0)
        {
            return MemoryResult<Capability>.Fail(MemoryError.InvalidArgument, $"push needs a positive length, a valid name and known rights (length {length}, name '{name}')");
        }

        lock (_gate)
        {
            var check = CheckLiveTs(caller, "caller");
            if (!check.IsOk)
            {
                return check;
            }

            var ts = Ts(caller);
            if (!TryReserveGva(ts, length, out ulong gva))
            {
                return MemoryResult<Capability>.Fail(MemoryError.OutOfMemory, $"GVA space of {ts.Path} exhausted");
            }

            int pageCount = (int)(((long)length + _pageSize - 1) / _pageSize);
            var pfns = new int[pageCount];
            if (!_pages.TryAllocate(pfns))
            {
                return MemoryResult<Capability>.Fail(MemoryError.OutOfMemory, $"push of {length} bytes needs {pageCount} pages, {_pages.FreeCount} free");
            }

            foreach (int pfn in pfns)
            {
                // Zero on allocation: a page's previous owner may have been another TS.
                _backing.Page(pfn).Clear();
            }

            ts.NextGva = gva + RoundUpToPage(length);
            var node = AddNode(
                NodePath(ts, name),
                rootStart: 0,
                isDivided: false,
                caller,
                gva,
                length,
                rights,
                isCtrn: false,
                [caller],
                ScatterList.FromPages(pfns, _pageSize, length));
            Journal(MemoryOp.Push, caller, node);
            return MemoryResult<Capability>.Ok(MintCurrent(node, rights));
        }
    }

    /// <summary>
    /// ct_share: mounts bytes [<paramref name="gva"/>, +<paramref name="length"/>) of the caller's
    /// node <paramref name="source"/> as a CTRN named <paramref name="name"/> under
    /// <paramref name="target"/>, at a fresh GVA in the target's space, over the same physical
    /// extents (each page spanned gains a reference). The CTRN inherits the source's origins, so
    /// the exit of any of them revokes it. The source node stays. Fails with the capability
    /// errors, <see cref="MemoryError.RightsDenied"/> without Share or when
    /// <paramref name="rights"/> exceed the source capability's,
    /// <see cref="MemoryError.KernelShareDenied"/> when a user caller shares kernel-originated
    /// memory, <see cref="MemoryError.InvalidGva"/> when the GVA is not in the caller's space,
    /// <see cref="MemoryError.OutOfRange"/> when the range leaves the node,
    /// <see cref="MemoryError.InvalidArgument"/> for the caller as target, a bad name or length,
    /// <see cref="MemoryError.NoSuchTs"/>/<see cref="MemoryError.TsExited"/> for a bad target.
    /// </summary>
    public MemoryResult<Capability> CtShare(TsId caller, Capability source, Gva gva, int length, TsId target, string name, Rights rights)
    {
        lock (_gate)
        {
            var resolved = Resolve(caller, source, Rights.Share, out var node);
            if (!resolved.IsOk)
            {
                return resolved;
            }

            if (length <= 0 || !IsValidName(name))
            {
                return MemoryResult<Capability>.Fail(MemoryError.InvalidArgument, $"ct_share needs a positive length and a valid name (length {length}, name '{name}')");
            }

            if (!IsSubset(rights, source.Rights))
            {
                return MemoryResult<Capability>.Fail(MemoryError.RightsDenied, $"ct_share asks for {rights}, source capability holds {source.Rights}");
            }

            var denied = CheckKernelShare(caller, node);
            if (!denied.IsOk)
            {
                return denied;
            }

            if (gva.Ts != caller)
            {
                return MemoryResult<Capability>.Fail(MemoryError.InvalidGva, $"{gva} is not in the caller's space {caller}");
            }

            if (gva.Offset < node.GvaBase || gva.Offset >= node.GvaEnd || (ulong)length > node.GvaEnd - gva.Offset)
            {
                return MemoryResult<Capability>.Fail(MemoryError.OutOfRange, $"[{gva}+{length}) is not inside {node.Path}");
            }

            var targetCheck = CheckTarget(caller, target);
            if (!targetCheck.IsOk)
            {
                return targetCheck;
            }

            var targetTs = Ts(target);
            if (!TryReserveGva(targetTs, length, out ulong targetGva))
            {
                return MemoryResult<Capability>.Fail(MemoryError.OutOfMemory, $"GVA space of {targetTs.Path} exhausted");
            }

            targetTs.NextGva = targetGva + RoundUpToPage(length);
            var extents = ScatterList.Slice(node.Extents, (int)(gva.Offset - node.GvaBase), length);
            AddRefs(extents);
            var ctrn = AddNode(NodePath(targetTs, name), 0, false, target, targetGva, length, rights, isCtrn: true, node.Origins, extents);
            Journal(MemoryOp.CtShare, caller, ctrn);
            return MemoryResult<Capability>.Ok(MintCurrent(ctrn, rights));
        }
    }

    /// <summary>
    /// Splits the caller's node at <paramref name="offset"/> into a head [0, offset) and a tail
    /// [offset, length) over the same extents, with the same owner, origins, CTRN-ness and node
    /// rights; the head keeps the first GVA, the tail starts at first GVA + offset. Consumes the
    /// node (its capabilities go stale). Both capabilities carry the presented capability's
    /// rights. Fails with the capability errors and <see cref="MemoryError.OutOfRange"/> unless
    /// 0 &lt; offset &lt; length.
    /// </summary>
    public MemoryResult<(Capability Head, Capability Tail)> Divide(TsId caller, Capability node, int offset)
    {
        lock (_gate)
        {
            var resolved = Resolve(caller, node, Rights.None, out var whole);
            if (!resolved.IsOk)
            {
                return resolved;
            }

            if (offset <= 0 || offset >= whole.Length)
            {
                return MemoryResult<(Capability, Capability)>.Fail(MemoryError.OutOfRange, $"divide offset {offset} not inside (0, {whole.Length}) of {whole.Path}");
            }

            var headExtents = ScatterList.Slice(whole.Extents, 0, offset);
            var tailExtents = ScatterList.Slice(whole.Extents, offset, whole.Length - offset);

            // Add before release, so a page shared by both halves never touches zero in between.
            AddRefs(headExtents);
            AddRefs(tailExtents);
            RemoveNode(whole, lifted: false, out _, out _);
            Journal(MemoryOp.Divide, caller, whole);

            var head = AddNode(whole.RootPath, whole.RootStart, true, whole.Owner, whole.GvaBase, offset, whole.Rights, whole.IsCtrn, whole.Origins, headExtents);
            var tail = AddNode(whole.RootPath, whole.RootStart + offset, true, whole.Owner, whole.GvaBase + (ulong)offset, whole.Length - offset, whole.Rights, whole.IsCtrn, whole.Origins, tailExtents);
            return MemoryResult<(Capability, Capability)>.Ok((MintCurrent(head, node.Rights), MintCurrent(tail, node.Rights)));
        }
    }

    /// <summary>
    /// Joins two of the caller's nodes into one named <paramref name="name"/> at a fresh GVA whose
    /// scatter list is <paramref name="a"/>'s extents then <paramref name="b"/>'s, without copying
    /// (header + payload = the skb node). Origins are the union; the result is a CTRN if either
    /// part was; node and capability rights are the intersections. Consumes both. Fails with the
    /// capability errors, <see cref="MemoryError.InvalidArgument"/> for the same node twice, a bad
    /// name or a combined length over 2 GiB, <see cref="MemoryError.OutOfMemory"/> for GVA space.
    /// </summary>
    public MemoryResult<Capability> Merge(TsId caller, Capability a, Capability b, string name)
    {
        lock (_gate)
        {
            var first = Resolve(caller, a, Rights.None, out var nodeA);
            if (!first.IsOk)
            {
                return first;
            }

            var second = Resolve(caller, b, Rights.None, out var nodeB);
            if (!second.IsOk)
            {
                return second;
            }

            if (nodeA == nodeB || !IsValidName(name) || (long)nodeA.Length + nodeB.Length > int.MaxValue)
            {
                return MemoryResult<Capability>.Fail(MemoryError.InvalidArgument, $"merge needs two distinct nodes, a valid name and at most 2 GiB (name '{name}')");
            }

            var ts = Ts(caller);
            int length = nodeA.Length + nodeB.Length;
            if (!TryReserveGva(ts, length, out ulong gva))
            {
                return MemoryResult<Capability>.Fail(MemoryError.OutOfMemory, $"GVA space of {ts.Path} exhausted");
            }

            ts.NextGva = gva + RoundUpToPage(length);
            PhysExtent[] extents = [.. nodeA.Extents, .. nodeB.Extents];
            TsId[] origins = UnionOrigins(nodeA.Origins, nodeB.Origins);

            // Add before release: the merged node takes over both parts' references, net change zero.
            AddRefs(extents);
            RemoveNode(nodeA, lifted: false, out _, out _);
            RemoveNode(nodeB, lifted: false, out _, out _);
            var merged = AddNode(NodePath(ts, name), 0, false, caller, gva, length, nodeA.Rights & nodeB.Rights, nodeA.IsCtrn || nodeB.IsCtrn, origins, extents);
            Journal(MemoryOp.Merge, caller, merged);
            return MemoryResult<Capability>.Ok(MintCurrent(merged, a.Rights & b.Rights));
        }
    }

    /// <summary>
    /// Unmounts the caller's node: its capabilities go stale, each page it spans loses a reference
    /// and returns to the free list at zero unless a pin holds it. Fails with the capability errors.
    /// </summary>
    public MemoryResult Pop(TsId caller, Capability node)
    {
        lock (_gate)
        {
            var resolved = Resolve(caller, node, Rights.None, out var target);
            if (!resolved.IsOk)
            {
                return resolved;
            }

            RemoveNode(target, lifted: false, out _, out _);
            Journal(MemoryOp.Pop, caller, target);
            return MemoryResult.Ok;
        }
    }

    /// <summary>
    /// Receive-side hand-over ("a received buffer becomes the app's"): consumes the caller's node
    /// and mounts its extents as an ordinary node named <paramref name="name"/> owned by
    /// <paramref name="target"/>, at a fresh GVA, whose only origin is the target. The target may
    /// then read it and share it again, and an exit of the giver no longer revokes it. Needs Share.
    /// Fails like <see cref="CtShare"/> (rights beyond the capability's, kernel memory from a user
    /// caller, bad target or name).
    /// </summary>
    public MemoryResult<Capability> Grant(TsId caller, Capability node, TsId target, string name, Rights rights)
    {
        lock (_gate)
        {
            var resolved = Resolve(caller, node, Rights.Share, out var given);
            if (!resolved.IsOk)
            {
                return resolved;
            }

            if (!IsValidName(name))
            {
                return MemoryResult<Capability>.Fail(MemoryError.InvalidArgument, $"malformed node name '{name}'");
            }

            if (!IsSubset(rights, node.Rights))
            {
                return MemoryResult<Capability>.Fail(MemoryError.RightsDenied, $"grant asks for {rights}, capability holds {node.Rights}");
            }

            var denied = CheckKernelShare(caller, given);
            if (!denied.IsOk)
            {
                return denied;
            }

            var targetCheck = CheckTarget(caller, target);
            if (!targetCheck.IsOk)
            {
                return targetCheck;
            }

            var targetTs = Ts(target);
            if (!TryReserveGva(targetTs, given.Length, out ulong gva))
            {
                return MemoryResult<Capability>.Fail(MemoryError.OutOfMemory, $"GVA space of {targetTs.Path} exhausted");
            }

            targetTs.NextGva = gva + RoundUpToPage(given.Length);
            AddRefs(given.Extents);
            RemoveNode(given, lifted: false, out _, out _);
            var granted = AddNode(NodePath(targetTs, name), 0, false, target, gva, given.Length, rights, isCtrn: false, [target], given.Extents);
            Journal(MemoryOp.Grant, caller, granted);
            return MemoryResult<Capability>.Ok(MintCurrent(granted, rights));
        }
    }

    /// <summary>
    /// Mints a capability to the same node with <paramref name="rights"/>, which must be a subset
    /// of <paramref name="cap"/>'s (else <see cref="MemoryError.RightsDenied"/>). Both stay valid.
    /// Fails with the capability errors.
    /// </summary>
    public MemoryResult<Capability> Restrict(TsId caller, Capability cap, Rights rights)
    {
        lock (_gate)
        {
            var resolved = Resolve(caller, cap, Rights.None, out var node);
            if (!resolved.IsOk)
            {
                return resolved;
            }

            if (!IsSubset(rights, cap.Rights))
            {
                return MemoryResult<Capability>.Fail(MemoryError.RightsDenied, $"restrict to {rights} widens {cap.Rights}");
            }

            return MemoryResult<Capability>.Ok(MintCurrent(node, rights));
        }
    }

    /// <summary>
    /// Bumps the node's generation: every capability to it minted so far becomes
    /// <see cref="MemoryError.Stale"/>. Returns a fresh capability with <paramref name="cap"/>'s
    /// rights. The node, its bytes and GVA are unchanged. Fails with the capability errors.
    /// </summary>
    public MemoryResult<Capability> Revoke(TsId caller, Capability cap)
    {
        lock (_gate)
        {
            var resolved = Resolve(caller, cap, Rights.None, out var node);
            if (!resolved.IsOk)
            {
                return resolved;
            }

            var slot = _slots[(int)node.Id];
            uint next = NextGeneration(slot.Generation);
            if (next == NodeSlot.LastGeneration)
            {
                // The slot's generations are used up: move the node to a fresh slot and retire
                // this one, so no capability minted here can ever match again.
                node = Relocate(node);
            }
            else
            {
                slot.Generation = next;
            }

            return MemoryResult<Capability>.Ok(MintCurrent(node, cap.Rights));
        }
    }

    /// <summary>
    /// TS exit: marks <paramref name="ts"/> exited (later operations by or into it fail with
    /// <see cref="MemoryError.TsExited"/>) and revokes every node it owns and every node whose
    /// origins include it, wherever that node lives; later use of their capabilities fails with
    /// <see cref="MemoryError.InvalidGva"/>. Their pages lose a reference; a page still pinned is
    /// freed at its last unpin. Lifts only this TS, not its descendants (walk
    /// <see cref="Subtree"/>). Idempotent; an unknown TS yields an empty report.
    /// </summary>
    public LiftReport Lift(TsId ts)
    {
        lock (_gate)
        {
            if (_disposed || TryTs(ts) is not { } record)
            {
                return new LiftReport(0, 0, 0, 0);
            }

            record.Alive = false;
            var victims = new HashSet<uint>(record.Index.Values);
            if (_byOrigin.TryGetValue(ts, out var originated))
            {
                victims.UnionWith(originated);
            }

            int nodes = 0;
            int ctrns = 0;
            int freed = 0;
            int deferred = 0;
            foreach (uint id in victims.OrderBy(id => id))
            {
                var node = _slots[(int)id].Node!;
                nodes++;
                if (node.IsCtrn)
                {
                    ctrns++;
                }

                RemoveNode(node, lifted: true, out int nodeFreed, out int nodeDeferred);
                freed += nodeFreed;
                deferred += nodeDeferred;
            }

            JournalLift(record, ts, nodes);
            return new LiftReport(nodes, ctrns, freed, deferred);
        }
    }

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

    private Node AddNode(string rootPath, long rootStart, bool isDivided, TsId owner, ulong gva, int length, Rights rights, bool isCtrn, TsId[] origins, PhysExtent[] extents)
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
