using System.Runtime.CompilerServices;
using L = Edsos.Memory.Shared.SharedLayout;

namespace Edsos.Memory.Shared;

/// <summary>The TLB check on capabilities and callers, and the accounted byte copies.</summary>
public sealed unsafe partial class SharedArena
{
    /// <summary>
    /// The TLB check alone: the capability is genuine (tag), current (generation), the caller is a
    /// live TS of this process that owns the node, and the rights suffice. Returns the node's length.
    /// </summary>
    public MemoryResult<int> Check(TsId caller, Capability cap, Rights needed)
    {
        Enter();
        try
        {
            var check = CheckCap(caller, cap, needed, out long node);
            return check.IsOk ? MemoryResult<int>.Ok(I32(node + L.NLength)) : (MemoryResult<int>)check;
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>
    /// Copies of at most this many bytes run under the lock; longer ones outside it under a
    /// temporary pin (<see cref="BeginAccess"/>), so a large copy never holds other processes up.
    /// </summary>
    private const int CopyUnderLockBytes = 4096;

    /// <summary>
    /// Copies <paramref name="source"/> into the node at <paramref name="offset"/> (needs Write), as
    /// <see cref="MemoryManager.Write"/>: each touched page still referenced elsewhere (a CTRN, the
    /// other half of a divide) is first copied into a fresh page for this node only, so sharers keep
    /// the old bytes. Up to 4 KiB copies under the lock, more outside it under a temporary pin; not
    /// yet counted (the byte counters are the manager's, see the README's plan). Fails with the
    /// capability errors, <see cref="MemoryError.OutOfRange"/>, or <see cref="MemoryError.OutOfMemory"/>
    /// when no page, extent or pin record is left (nothing written then; pieces already copied on
    /// write stay copied).
    /// </summary>
    public MemoryResult Write(TsId caller, Capability cap, int offset, ReadOnlySpan<byte> source)
    {
        if (source.Length > CopyUnderLockBytes)
        {
            var sink = new CopyInSink(source);
            return EachSegment(caller, cap, Rights.Write, offset, source.Length, ref sink);
        }

        Enter();
        try
        {
            var check = CheckRange(caller, cap, Rights.Write, offset, source.Length, out long node);
            if (!check.IsOk)
            {
                return check;
            }

            if (source.Length > 0 && !CopyOnWrite(node, offset, source.Length))
            {
                return MemoryResult.Fail(MemoryError.OutOfMemory, $"no free page or extent record for copy-on-write in {NodePath(node)}");
            }

            CopyChain(I32(node + L.NExtentHead), offset, source.Length, source, default);
            return MemoryResult.Ok;
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>
    /// Copies node bytes from <paramref name="offset"/> into <paramref name="destination"/> (needs
    /// Read); up to 4 KiB under the lock, more outside it under a temporary pin. Fails with the
    /// capability errors, <see cref="MemoryError.OutOfRange"/>, or <see cref="MemoryError.OutOfMemory"/>
    /// (a long copy finds no pin or extent record); nothing is copied on failure.
    /// </summary>
    public MemoryResult Read(TsId caller, Capability cap, int offset, Span<byte> destination)
    {
        if (destination.Length > CopyUnderLockBytes)
        {
            var sink = new CopyOutSink(destination);
            return EachSegment(caller, cap, Rights.Read, offset, destination.Length, ref sink);
        }

        Enter();
        try
        {
            var check = CheckRange(caller, cap, Rights.Read, offset, destination.Length, out long node);
            if (!check.IsOk)
            {
                return check;
            }

            CopyChain(I32(node + L.NExtentHead), offset, destination.Length, default, destination);
            return MemoryResult.Ok;
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>The physical address (byte offset into the data pages) of node byte <paramref name="offset"/>; needs Read.</summary>
    public MemoryResult<long> PhysicalAddress(TsId caller, Capability cap, int offset)
    {
        Enter();
        try
        {
            var check = CheckRange(caller, cap, Rights.Read, offset, 1, out long node);
            if (!check.IsOk)
            {
                return check;
            }

            return MemoryResult<long>.Ok(ChainAddress(I32(node + L.NExtentHead), offset));
        }
        finally
        {
            Leave();
        }
    }

    private MemoryResult CheckRange(TsId caller, Capability cap, Rights needed, int offset, int length, out long node)
    {
        var check = CheckCap(caller, cap, needed, out node);
        if (!check.IsOk)
        {
            return check;
        }

        if (offset < 0 || length < 0 || (long)offset + length > I32(node + L.NLength))
        {
            return MemoryResult.Fail(MemoryError.OutOfRange, $"[{offset}, +{length}) leaves a node of {I32(node + L.NLength)} bytes");
        }

        return MemoryResult.Ok;
    }

    /// <summary>
    /// Caller, tag, generation, ownership, rights: the order in which the in-process manager checks.
    /// The common case (everything passes) is one straight run of reads; any failure takes
    /// <see cref="CheckCapInOrder"/>, which finds the first failing check and its error.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private MemoryResult CheckCap(TsId caller, Capability cap, Rights needed, out long node)
    {
        if (caller.Value != 0 && caller.Value < _maxTs && cap.NodeId != 0 && cap.NodeId < (uint)_maxNodes)
        {
            long ts = TsRec(caller.Value);
            node = NodeRec(cap.NodeId);
            if (I32(ts + L.TState) == TsLive
                && I32(ts + L.TOwnerProc) == _procSlot
                && (cap.Rights & needed) == needed
                && U32(node + L.NGeneration) == cap.Generation
                && I32(node + L.NState) == NodeLive
                && I32(node + L.NOwnerTs) == caller.Value
                && TagMatches(cap))
            {
                return MemoryResult.Ok;
            }
        }

        return CheckCapInOrder(caller, cap, needed, out node);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private MemoryResult CheckCapInOrder(TsId caller, Capability cap, Rights needed, out long node)
    {
        node = 0;
        var callerCheck = CheckCaller(caller);
        if (!callerCheck.IsOk)
        {
            return callerCheck;
        }

        var current = CheckCurrent(cap, out node);
        if (!current.IsOk)
        {
            return current;
        }

        if (I32(node + L.NOwnerTs) != caller.Value)
        {
            return MemoryResult.Fail(MemoryError.NotVisible, $"{cap}: owned by ts:{I32(node + L.NOwnerTs)}, not {caller}");
        }

        if ((cap.Rights & needed) != needed)
        {
            return MemoryResult.Fail(MemoryError.RightsDenied, $"{cap}: needs {needed}");
        }

        return MemoryResult.Ok;
    }

    /// <summary>Tag and generation: <see cref="MemoryError.Forged"/>, or <see cref="MemoryError.InvalidGva"/> for the generation a lift ended, else <see cref="MemoryError.Stale"/>.</summary>
    private MemoryResult CheckCurrent(Capability cap, out long node)
    {
        node = 0;
        if (!TagMatches(cap))
        {
            return MemoryResult.Fail(MemoryError.Forged, $"{cap}: tag does not match");
        }

        // A genuine tag implies the id was minted by some process of this file, so it is in range;
        // the check stays because the key could be shared with a file of another geometry.
        if (cap.NodeId == 0 || cap.NodeId >= _layout.MaxNodes)
        {
            return MemoryResult.Fail(MemoryError.Forged, $"{cap}: no such node id");
        }

        node = NodeRec(cap.NodeId);
        if (U32(node + L.NGeneration) != cap.Generation || I32(node + L.NState) != NodeLive)
        {
            return cap.Generation == U32(node + L.NLiftedGeneration)
                ? MemoryResult.Fail(MemoryError.InvalidGva, $"{cap}: lifted (its origin TS exited)")
                : MemoryResult.Fail(MemoryError.Stale, $"{cap}: popped, consumed, revoked or reused");
        }

        return MemoryResult.Ok;
    }

    /// <summary>The caller must be a live TS hosted by this process: a process acts only as its own TSs.</summary>
    private MemoryResult CheckCaller(TsId ts)
    {
        var check = CheckLive(ts);
        if (check.IsOk && I32(TsRec(ts.Value) + L.TOwnerProc) != _procSlot)
        {
            return MemoryResult.Fail(MemoryError.NotVisible, $"{ts} is hosted by another process");
        }

        return check;
    }

    /// <summary>A live TS of any process, other than the caller (the manager's target check).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private MemoryResult CheckTarget(TsId caller, TsId target)
    {
        // The common case in one run of reads; anything else takes the ordered checks below.
        if (target.Value != 0 && target.Value < _maxTs && target != caller && I32(TsRec(target.Value) + L.TState) == TsLive)
        {
            return MemoryResult.Ok;
        }

        return CheckTargetInOrder(caller, target);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private MemoryResult CheckTargetInOrder(TsId caller, TsId target)
    {
        var check = CheckLive(target);
        if (!check.IsOk)
        {
            return check;
        }

        return target == caller ? MemoryResult.Fail(MemoryError.InvalidArgument, "target must be another TS than the caller") : MemoryResult.Ok;
    }

    private MemoryResult CheckLive(TsId ts)
    {
        if (ts.Value == 0 || ts.Value >= _layout.MaxTs || I32(TsRec(ts.Value) + L.TState) == TsUnused)
        {
            return MemoryResult.Fail(MemoryError.NoSuchTs, $"no {ts}");
        }

        if (I32(TsRec(ts.Value) + L.TState) != TsLive)
        {
            return MemoryResult.Fail(MemoryError.TsExited, $"{ts} has exited");
        }

        return MemoryResult.Ok;
    }

    /// <summary>Mints a capability and remembers its tag as genuine (the lock is held).</summary>
    private Capability Mint(uint nodeId, uint generation, Rights rights)
    {
        ulong tag = ComputeTag(nodeId, generation, rights);
        Remember(nodeId, generation, rights, tag);
        return new Capability(nodeId, generation, rights, tag);
    }

    /// <summary>
    /// The capability's MAC: SipHash-2-4 keyed with the file's key over (node id, generation,
    /// rights). A file whose node ids all fit 20 bits (up to 1,048,576 node records, every geometry
    /// the stack uses) hashes the 7-byte message, one block less than the 9-byte one other files
    /// use: 6 SipRounds instead of 8. The choice is the file's geometry, so every process of a file
    /// computes the same tags. Callers pass rights of <see cref="Rights.All"/> or less and an id
    /// below the node count (<see cref="TagMatches"/> refuses others before hashing). Not inlined:
    /// compiled on its own it always inlines the SipHash rounds, where a large caller (divide,
    /// compiled with both hash forms) ran out of inlining budget and called them one by one.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private ulong ComputeTag(uint nodeId, uint generation, Rights rights) => _shortTags
        ? SipHash.ComputeCapabilityShort(_key0, _key1, nodeId, generation, (byte)rights)
        : SipHash.ComputeCapability(_key0, _key1, nodeId, generation, (byte)rights);

    /// <summary>
    /// Whether the tag is the MAC of the other fields. A tag this process minted or verified is
    /// remembered (<see cref="_verifiedTags"/>) and recognised by one comparison; any other is
    /// computed. Both comparisons are one 64-bit equality (constant time: a timing side channel
    /// must not let a forger learn tag bits; a hit or miss tells only whether this exact
    /// (node, generation, rights) was seen, never a tag bit). The lock is held.
    /// </summary>
    private bool TagMatches(Capability cap)
    {
        // An empty slot holds node 0, which no capability names: it never matches.
        ref var entry = ref _verifiedTags[cap.NodeId & (VerifiedTagSlots - 1)];
        if (entry.NodeId == cap.NodeId && cap.NodeId != 0 && entry.Generation == cap.Generation && entry.Rights == cap.Rights && entry.Tag == cap.Tag)
        {
            return true;
        }

        // Outside what any mint produces: never genuine, and must not reach the 7-byte encoding,
        // which holds only 20 bits of node id and 4 of rights (the result, Forged, is the same as
        // a tag mismatch's).
        if (cap.NodeId >= (uint)_maxNodes || (cap.Rights & ~Rights.All) != 0)
        {
            return false;
        }

        if ((ComputeTag(cap.NodeId, cap.Generation, cap.Rights) ^ cap.Tag) != 0)
        {
            return false;
        }

        Remember(cap.NodeId, cap.Generation, cap.Rights, cap.Tag);
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Remember(uint nodeId, uint generation, Rights rights, ulong tag)
    {
        ref var entry = ref _verifiedTags[nodeId & (VerifiedTagSlots - 1)];
        entry.NodeId = nodeId;
        entry.Generation = generation;
        entry.Rights = rights;
        entry.Tag = tag;
    }
}
