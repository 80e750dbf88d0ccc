using System.Runtime.CompilerServices;
using System.Text;
using L = Edsos.Memory.Shared.SharedLayout;

namespace Edsos.Memory.Shared;

/// <summary>Node lifecycle, second half: divide, merge, grant (logged list splices), restrict, revoke.</summary>
public sealed unsafe partial class SharedArena
{
    /// <summary>
    /// Splits the caller's node at <paramref name="offset"/> into a head [0, offset) and a tail
    /// [offset, length), as <see cref="MemoryManager.Divide"/>: same owner, origins, CTRN-ness, name
    /// root and node rights; the head keeps the first GVA, the tail starts at first GVA + offset.
    /// The scatter list is spliced, not copied: the extent holding the cut is shortened and a new
    /// extent takes its remainder (the page the cut falls in, if mid-page, gains a reference).
    /// Consumes the node (its capabilities go stale). Both capabilities carry the presented
    /// capability's rights. Fails with the capability errors, <see cref="MemoryError.OutOfRange"/>
    /// unless 0 &lt; offset &lt; length, <see cref="MemoryError.OutOfMemory"/> when records run out.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public MemoryResult<(Capability Head, Capability Tail)> Divide(TsId caller, Capability node, int offset)
    {
        Enter();
        try
        {
            var check = CheckCap(caller, node, Rights.None, out long whole);
            if (!check.IsOk)
            {
                return check;
            }

            int length = I32(whole + L.NLength);
            if (offset <= 0 || offset >= length)
            {
                return MemoryResult<(Capability, Capability)>.Fail(MemoryError.OutOfRange, $"divide offset {offset} not inside (0, {length}) of {NodePath(whole)}");
            }

            if (FreeNodeRecords() < 2 || I32(whole + L.NSpans) >= _layout.MaxSpansPerNode)
            {
                return MemoryResult<(Capability, Capability)>.Fail(MemoryError.OutOfMemory, "divide needs two free node records and a node below the span limit");
            }

            // New records first, old ones freed last (see Init32).
            uint headId = DequeueNode(), tailId = DequeueNode();
            long head = NodeRec(headId), tail = NodeRec(tailId);
            // No stackalloc here (CopyOrigins has its own for the rare spill): a method with one and a
            // loop (the extent walk below) is compiled fully optimised at once, without PGO.
            if (!CopyOrigins(whole, head) || !CopyOrigins(whole, tail))
            {
                return MemoryResult<(Capability, Capability)>.Fail(MemoryError.OutOfMemory, "no free origin spill record");
            }

            // Find the extent holding the cut.
            int e = I32(whole + L.NExtentHead), previous = 0, index = 0;
            long position = 0;
            while (position + I32(ExtentRec(e) + L.ELength) <= offset)
            {
                position += I32(ExtentRec(e) + L.ELength);
                previous = e;
                e = I32(ExtentRec(e) + L.ENext);
                index++;
            }

            int tailHead, headCount;
            if (position == offset)
            {
                // The cut falls between two extents: unlink them, no page changes hands.
                Set32(ExtentRec(previous) + L.ENext, 0);
                Hook("divide");
                tailHead = e;
                headCount = index;
            }
            else
            {
                int rest = TakeExtent();
                if (rest == 0)
                {
                    return MemoryResult<(Capability, Capability)>.Fail(MemoryError.OutOfMemory, "no free extent record");
                }

                long ext = ExtentRec(e);
                int cut = (int)(offset - position);
                long address = I64(ext + L.EAddress);
                Init64(ExtentRec(rest) + L.EAddress, address + cut);
                Init32(ExtentRec(rest) + L.ELength, I32(ext + L.ELength) - cut);
                Init32(ExtentRec(rest) + L.ENext, I32(ext + L.ENext));
                Set32(ext + L.ELength, cut);
                Set32(ext + L.ENext, 0);
                Hook("divide");

                // Both parts now span the page the cut falls in, unless the cut is on a page boundary.
                int page = (int)((address + cut) >> _pageShift);
                if (((address + cut) & (_layout.PageSize - 1)) != 0)
                {
                    Derive32(PageRec(page) + L.GRefs, I32(PageRec(page) + L.GRefs) + 1);
                }

                tailHead = rest;
                headCount = index + 1;
            }

            int headChain = I32(whole + L.NExtentHead);
            int headSpans = ChainSpans(headChain), tailSpans = ChainSpans(tailHead);
            var name = new ReadOnlySpan<byte>(_base + whole + L.NName, I32(whole + L.NNameLength));
            var rights = (Rights)I32(whole + L.NRights);
            int flags = I32(whole + L.NFlags) | L.FlagDivided;
            int owner = I32(whole + L.NOwnerTs);
            ulong gva = (ulong)I64(whole + L.NGvaBase);
            long rootStart = I64(whole + L.NRootStart);
            InitNode(head, owner, rights, offset, flags, gva, rootStart, headChain, headCount, headSpans, name);
            InitNode(tail, owner, rights, length - offset, flags, gva + (ulong)offset, rootStart + offset, tailHead, I32(whole + L.NExtentCount) - index, tailSpans, name);
            EndNode(node.NodeId, lifted: false);
            Publish(headId);
            Publish(tailId);
            Commit();
            return MemoryResult<(Capability, Capability)>.Ok((Mint(headId, U32(head + L.NGeneration), node.Rights), Mint(tailId, U32(tail + L.NGeneration), node.Rights)));
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>
    /// Joins two of the caller's nodes into one named <paramref name="name"/> at a fresh GVA whose
    /// scatter list is <paramref name="a"/>'s extents then <paramref name="b"/>'s, as
    /// <see cref="MemoryManager.Merge"/>: one logged store links the chains, nothing is copied and no
    /// page reference moves. Origins are the union; the result is a CTRN if either part was; node and
    /// capability rights are the intersections. Consumes both. Fails with the capability errors,
    /// <see cref="MemoryError.InvalidArgument"/> for the same node twice, a bad name or more than
    /// 2 GiB, <see cref="MemoryError.OutOfMemory"/> for GVA space, records, more page references than
    /// one node may hold or more than 20 origins.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public MemoryResult<Capability> Merge(TsId caller, Capability a, Capability b, string name)
    {
        Enter();
        try
        {
            var first = CheckCap(caller, a, Rights.None, out long nodeA);
            if (!first.IsOk)
            {
                return first;
            }

            var second = CheckCap(caller, b, Rights.None, out long nodeB);
            if (!second.IsOk)
            {
                return second;
            }

            long total = (long)I32(nodeA + L.NLength) + I32(nodeB + L.NLength);
            if (a.NodeId == b.NodeId || !TryEncodeName(name, out var utf8) || total > int.MaxValue)
            {
                return MemoryResult<Capability>.Fail(MemoryError.InvalidArgument, $"merge needs two distinct nodes, a valid name and at most 2 GiB (name '{name}')");
            }

            int spans = I32(nodeA + L.NSpans) + I32(nodeB + L.NSpans);

            // The send path merges a header and a payload of one origin (the socket's app): no union to compute.
            bool oneOrigin = I32(nodeA + L.NOriginCount) == 1 && I32(nodeB + L.NOriginCount) == 1 && I32(nodeA + L.NOrigins) == I32(nodeB + L.NOrigins);
            int originCount = oneOrigin ? 1 : UnionOriginCount(nodeA, nodeB);
            if (spans > _layout.MaxSpansPerNode || originCount < 0)
            {
                return MemoryResult<Capability>.Fail(MemoryError.OutOfMemory, $"a merged node would hold {spans} page references (at most {_layout.MaxSpansPerNode}) or more than {L.MaxOrigins} origins");
            }

            if (!TryReserveGva(caller.Value, (int)total, out ulong gva))
            {
                return MemoryResult<Capability>.Fail(MemoryError.OutOfMemory, $"GVA space of {TsPath(caller.Value)} exhausted");
            }

            if (FreeNodeRecords() == 0)
            {
                return MemoryResult<Capability>.Fail(MemoryError.OutOfMemory, "no free node record");
            }

            uint id = DequeueNode();
            long merged = NodeRec(id);
            if (!(oneOrigin ? CopyOrigins(nodeA, merged) : InitUnionOrigins(merged, nodeA, nodeB)))
            {
                return MemoryResult<Capability>.Fail(MemoryError.OutOfMemory, "no free origin spill record");
            }

            Set32(ExtentRec(LastExtent(I32(nodeA + L.NExtentHead))) + L.ENext, I32(nodeB + L.NExtentHead));
            Hook("merge");
            var rights = (Rights)(I32(nodeA + L.NRights) & I32(nodeB + L.NRights));
            int flags = (I32(nodeA + L.NFlags) | I32(nodeB + L.NFlags)) & L.FlagCtrn;
            InitNode(merged, caller.Value, rights, (int)total, flags, gva, rootStart: 0, I32(nodeA + L.NExtentHead), I32(nodeA + L.NExtentCount) + I32(nodeB + L.NExtentCount), spans, utf8);
            EndNode(a.NodeId, lifted: false);
            EndNode(b.NodeId, lifted: false);
            Publish(id, caller.Value, gva, (int)total);
            Commit();
            return MemoryResult<Capability>.Ok(Mint(id, U32(merged + L.NGeneration), a.Rights & b.Rights));
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>
    /// The last extent record of the chain starting at <paramref name="head"/>. Out of line so that
    /// <see cref="Merge"/> has no loop: a method with a loop and a <c>stackalloc</c> cannot be
    /// replaced on stack, so the JIT compiles it fully optimised at once, without the profile-guided
    /// tier-1 code every other operation gets.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private int LastExtent(int head)
    {
        int last = head;
        for (int next = I32(ExtentRec(last) + L.ENext); next != 0; next = I32(ExtentRec(last) + L.ENext))
        {
            last = next;
        }

        return last;
    }

    /// <summary>
    /// Receive-side hand-over, as <see cref="MemoryManager.Grant"/>: consumes the caller's node and
    /// mounts its scatter list (moved, not copied) as an ordinary node named <paramref name="name"/>
    /// owned by <paramref name="target"/>, at a fresh GVA, whose only origin is the target. Needs
    /// Share. Fails like <see cref="CtShare(TsId, Capability, Gva, int, TsId, string, Rights)"/>
    /// (rights beyond the capability's, kernel memory from a user caller, bad target or name).
    /// </summary>
    public MemoryResult<Capability> Grant(TsId caller, Capability node, TsId target, string name, Rights rights) =>
        Grant(caller, node, target, name, 0, numbered: false, rights);

    /// <summary>
    /// <see cref="Grant(TsId, Capability, TsId, string, Rights)"/> naming the node <paramref name="namePrefix"/>
    /// followed by <paramref name="nameNumber"/> in decimal, without a string made for the name.
    /// </summary>
    public MemoryResult<Capability> Grant(TsId caller, Capability node, TsId target, string namePrefix, ulong nameNumber, Rights rights) =>
        Grant(caller, node, target, namePrefix, nameNumber, numbered: true, rights);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private MemoryResult<Capability> Grant(TsId caller, Capability node, TsId target, string name, ulong number, bool numbered, Rights rights)
    {
        Enter();
        try
        {
            var check = CheckCap(caller, node, Rights.Share, out long given);
            if (!check.IsOk)
            {
                return check;
            }

            if (!(numbered ? TryEncodeNumberedName(name, number, out var utf8) : TryEncodeName(name, out utf8)))
            {
                return MemoryResult<Capability>.Fail(MemoryError.InvalidArgument, $"malformed node name '{name}{(numbered ? number.ToString(System.Globalization.CultureInfo.InvariantCulture) : "")}'");
            }

            if ((rights & ~node.Rights) != 0)
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

            int length = I32(given + L.NLength);
            if (!TryReserveGva(target.Value, length, out ulong gva))
            {
                return MemoryResult<Capability>.Fail(MemoryError.OutOfMemory, $"GVA space of {TsPath(target.Value)} exhausted");
            }

            if (FreeNodeRecords() == 0)
            {
                return MemoryResult<Capability>.Fail(MemoryError.OutOfMemory, "no free node record");
            }

            uint id = DequeueNode();
            long granted = NodeRec(id);
            InitOrigins(granted, [target.Value]);
            InitNode(granted, target.Value, rights, length, flags: 0, gva, rootStart: 0, I32(given + L.NExtentHead), I32(given + L.NExtentCount), I32(given + L.NSpans), utf8);
            Hook("grant");
            EndNode(node.NodeId, lifted: false);
            Publish(id, target.Value, gva, length);
            Commit();
            return MemoryResult<Capability>.Ok(Mint(id, U32(granted + L.NGeneration), rights));
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>
    /// A capability to the same node with <paramref name="rights"/>, a subset of
    /// <paramref name="cap"/>'s (else <see cref="MemoryError.RightsDenied"/>). Both stay valid; nothing
    /// in the file changes. Fails with the capability errors.
    /// </summary>
    public MemoryResult<Capability> Restrict(TsId caller, Capability cap, Rights rights)
    {
        Enter();
        try
        {
            var check = CheckCap(caller, cap, Rights.None, out long node);
            if (!check.IsOk)
            {
                return check;
            }

            if ((rights & ~cap.Rights) != 0)
            {
                return MemoryResult<Capability>.Fail(MemoryError.RightsDenied, $"restrict to {rights} widens {cap.Rights}");
            }

            return MemoryResult<Capability>.Ok(Mint(cap.NodeId, U32(node + L.NGeneration), rights));
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>
    /// Bumps the node's generation: every capability to it minted so far becomes
    /// <see cref="MemoryError.Stale"/>; returns a fresh one with <paramref name="cap"/>'s rights. The
    /// node, its bytes and GVA are unchanged. At the last generation the node moves to a fresh record
    /// (a new node id) and the old one is retired for the arena's life. Fails with the capability
    /// errors, <see cref="MemoryError.OutOfMemory"/> when a move finds no free record.
    /// </summary>
    public MemoryResult<Capability> Revoke(TsId caller, Capability cap)
    {
        Enter();
        try
        {
            var check = CheckCap(caller, cap, Rights.None, out long node);
            if (!check.IsOk)
            {
                return check;
            }

            uint generation = U32(node + L.NGeneration);
            if (generation < LastGeneration - 1)
            {
                Set32(node + L.NGeneration, (int)(generation + 1));
                Commit();
                return MemoryResult<Capability>.Ok(Mint(cap.NodeId, generation + 1, cap.Rights));
            }

            if (FreeNodeRecords() == 0)
            {
                return MemoryResult<Capability>.Fail(MemoryError.OutOfMemory, "no free node record to move a node at its last generation to");
            }

            // Move everything but the generations and state; the spill record and the chain move with it.
            uint id = DequeueNode();
            long moved = NodeRec(id);
            for (int field = L.NOwnerTs; field < L.NodeSize; field += 4)
            {
                if (field != L.NState && field != L.NReleasedGeneration)
                {
                    Init32(moved + field, I32(node + field));
                }
            }

            // The same node under a new id: the index and the state move, the live counts do not.
            GvaRemove(cap.NodeId);
            Set32(node + L.NGeneration, unchecked((int)LastGeneration));
            Set32(node + L.NState, NodeRetired);
            GvaInsert(id);
            Set32(moved + L.NState, NodeLive);
            Commit();
            return MemoryResult<Capability>.Ok(Mint(id, U32(moved + L.NGeneration), cap.Rights));
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>
    /// Test hook: sets the generation of <paramref name="cap"/>'s record (below the last) and returns
    /// a capability at it, so a test reaches the end of the generations without four billion revokes.
    /// </summary>
    internal MemoryResult<Capability> AgeNodeForTests(TsId caller, Capability cap, uint generation)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(generation, LastGeneration);
        ArgumentOutOfRangeException.ThrowIfZero(generation);
        Enter();
        try
        {
            var check = CheckCap(caller, cap, Rights.None, out long node);
            if (!check.IsOk)
            {
                return check;
            }

            Set32(node + L.NGeneration, (int)generation);
            Commit();
            return MemoryResult<Capability>.Ok(Mint(cap.NodeId, generation, cap.Rights));
        }
        finally
        {
            Leave();
        }
    }
}
