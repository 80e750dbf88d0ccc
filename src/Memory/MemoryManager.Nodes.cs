using System.Runtime.CompilerServices;

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
    public MemoryResult<Capability> Push(TsId caller, string name, int length, Rights rights = Rights.All, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
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
                ScatterList.FromPages(pfns, _pageSize, length),
                new CodePlace(file, line));
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
    public MemoryResult<Capability> CtShare(TsId caller, Capability source, Gva gva, int length, TsId target, string name, Rights rights, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
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
            var ctrn = AddNode(NodePath(targetTs, name), 0, false, target, targetGva, length, rights, isCtrn: true, node.Origins, extents, new CodePlace(file, line));
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
    public MemoryResult<(Capability Head, Capability Tail)> Divide(TsId caller, Capability node, int offset, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
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

            var head = AddNode(whole.RootPath, whole.RootStart, true, whole.Owner, whole.GvaBase, offset, whole.Rights, whole.IsCtrn, whole.Origins, headExtents, new CodePlace(file, line));
            var tail = AddNode(whole.RootPath, whole.RootStart + offset, true, whole.Owner, whole.GvaBase + (ulong)offset, whole.Length - offset, whole.Rights, whole.IsCtrn, whole.Origins, tailExtents, new CodePlace(file, line));
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
    public MemoryResult<Capability> Merge(TsId caller, Capability a, Capability b, string name, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
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
            var merged = AddNode(NodePath(ts, name), 0, false, caller, gva, length, nodeA.Rights & nodeB.Rights, nodeA.IsCtrn || nodeB.IsCtrn, origins, extents, new CodePlace(file, line));
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
    public MemoryResult<Capability> Grant(TsId caller, Capability node, TsId target, string name, Rights rights, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
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
            var granted = AddNode(NodePath(targetTs, name), 0, false, target, gva, given.Length, rights, isCtrn: false, [target], given.Extents, new CodePlace(file, line));
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
}
