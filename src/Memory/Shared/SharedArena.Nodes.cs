using System.Buffers.Binary;
using System.Security.Cryptography;
using L = Edsos.Memory.Shared.SharedLayout;

namespace Edsos.Memory.Shared;

/// <summary>Nodes and capabilities: push, ct_share, pop, the TLB check, byte access.</summary>
public sealed unsafe partial class SharedArena
{
    /// <summary>
    /// Creates a TS hosted by this process (its exit, or this process's death, lifts it). TS ids
    /// are never reused. Fails with <see cref="MemoryError.OutOfMemory"/> when the TS table is full.
    /// </summary>
    public MemoryResult<TsId> CreateTs(TsKind kind)
    {
        Enter();
        try
        {
            int id = I32(L.HNextTs);
            if (id >= _layout.MaxTs)
            {
                return MemoryResult<TsId>.Fail(MemoryError.OutOfMemory, $"TS table full ({_layout.MaxTs})");
            }

            long rec = _layout.TsRec(id);
            Set32(rec + L.TKind, (int)kind);
            Set32(rec + L.TOwnerProc, _procSlot);
            Set32(rec + L.TState, TsLive);
            Set32(L.HNextTs, id + 1);
            Commit();
            return MemoryResult<TsId>.Ok(new TsId((ushort)id));
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>
    /// Exits <paramref name="ts"/> (hosted by this process): every node it owns and every CTRN
    /// originating in it is revoked; their capabilities then report <see cref="MemoryError.InvalidGva"/>.
    /// Returns the nodes revoked. Fails like any caller check.
    /// </summary>
    public MemoryResult<int> ExitTs(TsId ts)
    {
        Enter();
        try
        {
            var check = CheckCaller(ts);
            if (!check.IsOk)
            {
                return check;
            }

            return MemoryResult<int>.Ok(LiftLocked(ts.Value));
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>
    /// push: a new node of <paramref name="length"/> zeroed bytes (at most
    /// <see cref="SharedLayout.MaxPagesPerNode"/> pages) owned by and originating in
    /// <paramref name="caller"/>. Fails with <see cref="MemoryError.InvalidArgument"/> for a bad
    /// length or rights, the caller errors, and <see cref="MemoryError.OutOfMemory"/> when pages or
    /// node records run out (nothing taken).
    /// </summary>
    public MemoryResult<Capability> Push(TsId caller, int length, Rights rights = Rights.All)
    {
        if (length <= 0 || length > L.MaxPagesPerNode * _layout.PageSize || (rights & ~Rights.All) != 0)
        {
            return MemoryResult<Capability>.Fail(MemoryError.InvalidArgument, $"push needs 1 .. {L.MaxPagesPerNode * _layout.PageSize} bytes and known rights (length {length})");
        }

        int pages = (length + _layout.PageSize - 1) / _layout.PageSize;
        Enter();
        try
        {
            var check = CheckCaller(caller);
            if (!check.IsOk)
            {
                return check;
            }

            if (I32(L.HFreePageCount) < pages || I32(L.HNodeQueueCount) == 0)
            {
                return MemoryResult<Capability>.Fail(MemoryError.OutOfMemory, $"push of {length} bytes needs {pages} pages, {I32(L.HFreePageCount)} free, {I32(L.HNodeQueueCount)} node records free");
            }

            uint id = DequeueNode();
            long node = _layout.Node(id);
            for (int i = 0; i < pages; i++)
            {
                int pfn = TakePage();

                // Zeroing is not logged: the page was free, so undoing its allocation loses nothing.
                PageBytes(pfn).Clear();
                Set32(node + L.NPages + (4L * i), pfn);
                if (i == 0)
                {
                    Hook("push");
                }
            }

            FillNode(node, caller.Value, caller.Value, rights, offset: 0, length, pages, isCtrn: false);
            Commit();
            return MemoryResult<Capability>.Ok(Mint(id, U32(node + L.NGeneration), rights));
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>
    /// ct_share: mounts bytes [<paramref name="offset"/>, +<paramref name="length"/>) of the
    /// caller's node as a CTRN owned by <paramref name="target"/> (a TS of any process), over the
    /// same pages (each gains a reference). The CTRN inherits the source's origin, so that TS's
    /// exit revokes it. The source stays whole (the in-process manager's GVA split is process
    /// local). Fails with the capability errors, <see cref="MemoryError.RightsDenied"/> without
    /// Share or for rights beyond the source capability's, <see cref="MemoryError.OutOfRange"/>,
    /// <see cref="MemoryError.KernelShareDenied"/>, <see cref="MemoryError.InvalidArgument"/> for
    /// the caller as target, <see cref="MemoryError.NoSuchTs"/>/<see cref="MemoryError.TsExited"/>
    /// for a bad target, <see cref="MemoryError.OutOfMemory"/> without a free node record.
    /// </summary>
    public MemoryResult<Capability> CtShare(TsId caller, Capability source, int offset, int length, TsId target, Rights rights)
    {
        Enter();
        try
        {
            var check = CheckCap(caller, source, Rights.Share, out long src);
            if (!check.IsOk)
            {
                return check;
            }

            if ((rights & ~source.Rights) != 0)
            {
                return MemoryResult<Capability>.Fail(MemoryError.RightsDenied, $"CTRN asks for {rights}, the source grants {source.Rights}");
            }

            if (offset < 0 || length <= 0 || (long)offset + length > I32(src + L.NLength))
            {
                return MemoryResult<Capability>.Fail(MemoryError.OutOfRange, $"[{offset}, +{length}) leaves a node of {I32(src + L.NLength)} bytes");
            }

            var targetCheck = CheckTarget(target);
            if (!targetCheck.IsOk)
            {
                return targetCheck;
            }

            if (target == caller)
            {
                return MemoryResult<Capability>.Fail(MemoryError.InvalidArgument, "ct_share to the caller's own TS");
            }

            int origin = I32(src + L.NOriginTs);
            if (I32(_layout.TsRec(caller.Value) + L.TKind) == (int)TsKind.User && I32(_layout.TsRec(origin) + L.TKind) == (int)TsKind.Kernel)
            {
                return MemoryResult<Capability>.Fail(MemoryError.KernelShareDenied, "a user TS cannot share kernel memory");
            }

            if (I32(L.HNodeQueueCount) == 0)
            {
                return MemoryResult<Capability>.Fail(MemoryError.OutOfMemory, "no free node record");
            }

            int absolute = I32(src + L.NOffset) + offset;
            int first = absolute / _layout.PageSize;
            int last = (absolute + length - 1) / _layout.PageSize;
            uint id = DequeueNode();
            long node = _layout.Node(id);
            for (int i = first; i <= last; i++)
            {
                int pfn = I32(src + L.NPages + (4L * i));
                Set32(_layout.Page(pfn) + L.GRefs, I32(_layout.Page(pfn) + L.GRefs) + 1);
                Set32(node + L.NPages + (4L * (i - first)), pfn);
                if (i == first)
                {
                    Hook("ctshare");
                }
            }

            FillNode(node, target.Value, origin, rights, absolute % _layout.PageSize, length, last - first + 1, isCtrn: true);
            Commit();
            return MemoryResult<Capability>.Ok(Mint(id, U32(node + L.NGeneration), rights));
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>
    /// pop: unmounts the caller's node; each of its pages loses a reference and is freed at zero
    /// unless pinned. The capability (and every other to the node) becomes stale.
    /// </summary>
    public MemoryResult Pop(TsId caller, Capability node)
    {
        Enter();
        try
        {
            var check = CheckCap(caller, node, Rights.None, out _);
            if (!check.IsOk)
            {
                return check;
            }

            RevokeNode(node.NodeId, lifted: false);
            Commit();
            return MemoryResult.Ok;
        }
        finally
        {
            Leave();
        }
    }

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
/// Copies <paramref name="source"/> into the node at <paramref name="offset"/> (the app's own
/// write; needs Write). Copies under the lock; not yet counted (the byte counters are the
/// manager's, see the README's plan). Fails with the capability errors or <see cref="MemoryError.OutOfRange"/>.
/// </summary>
    public MemoryResult Write(TsId caller, Capability cap, int offset, ReadOnlySpan<byte> source)
    {
        Enter();
        try
        {
            var check = CheckRange(caller, cap, Rights.Write, offset, source.Length, out long node);
            if (!check.IsOk)
            {
                return check;
            }

            CopyNode(node, offset, source.Length, source, default);
            return MemoryResult.Ok;
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>Copies node bytes from <paramref name="offset"/> into <paramref name="destination"/> (needs Read). Fails with the capability errors or <see cref="MemoryError.OutOfRange"/>.</summary>
    public MemoryResult Read(TsId caller, Capability cap, int offset, Span<byte> destination)
    {
        Enter();
        try
        {
            var check = CheckRange(caller, cap, Rights.Read, offset, destination.Length, out long node);
            if (!check.IsOk)
            {
                return check;
            }

            CopyNode(node, offset, destination.Length, default, destination);
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

            int absolute = I32(node + L.NOffset) + offset;
            return MemoryResult<long>.Ok(((long)I32(node + L.NPages + (4L * (absolute / _layout.PageSize))) * _layout.PageSize) + (absolute % _layout.PageSize));
        }
        finally
        {
            Leave();
        }
    }

    private void FillNode(long node, int owner, int origin, Rights rights, int offset, int length, int pages, bool isCtrn)
    {
        Set32(node + L.NOwnerTs, owner);
        Set32(node + L.NOriginTs, origin);
        Set32(node + L.NRights, (int)rights);
        Set32(node + L.NOffset, offset);
        Set32(node + L.NLength, length);
        Set32(node + L.NPageCount, pages);
        Set32(node + L.NIsCtrn, isCtrn ? 1 : 0);
        Set32(node + L.NState, NodeLive);
    }

    private void CopyNode(long node, int offset, int length, ReadOnlySpan<byte> from, Span<byte> to)
    {
        int absolute = I32(node + L.NOffset) + offset;
        int done = 0;
        while (done < length)
        {
            int at = absolute + done;
            int pfn = I32(node + L.NPages + (4L * (at / _layout.PageSize)));
            int inPage = at % _layout.PageSize;
            int chunk = Math.Min(length - done, _layout.PageSize - inPage);
            var page = PageBytes(pfn).Slice(inPage, chunk);
            if (to.IsEmpty)
            {
                from.Slice(done, chunk).CopyTo(page);
            }
            else
            {
                page.CopyTo(to.Slice(done, chunk));
            }

            done += chunk;
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

    /// <summary>Tag, generation, caller, ownership, rights: the order in which the in-process manager checks.</summary>
    private MemoryResult CheckCap(TsId caller, Capability cap, Rights needed, out long node)
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

        node = _layout.Node(cap.NodeId);
        if (U32(node + L.NGeneration) != cap.Generation || I32(node + L.NState) != NodeLive)
        {
            return cap.Generation == U32(node + L.NLiftedGeneration)
                ? MemoryResult.Fail(MemoryError.InvalidGva, $"{cap}: lifted (its origin TS exited)")
                : MemoryResult.Fail(MemoryError.Stale, $"{cap}: popped, revoked or reused");
        }

        var callerCheck = CheckCaller(caller);
        if (!callerCheck.IsOk)
        {
            return callerCheck;
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

    /// <summary>The caller must be a live TS hosted by this process: a process acts only as its own TSs.</summary>
    private MemoryResult CheckCaller(TsId ts)
    {
        var check = CheckTarget(ts);
        if (check.IsOk && I32(_layout.TsRec(ts.Value) + L.TOwnerProc) != _procSlot)
        {
            return MemoryResult.Fail(MemoryError.NotVisible, $"{ts} is hosted by another process");
        }

        return check;
    }

    private MemoryResult CheckTarget(TsId ts)
    {
        if (ts.Value == 0 || ts.Value >= _layout.MaxTs || I32(_layout.TsRec(ts.Value) + L.TState) == TsUnused)
        {
            return MemoryResult.Fail(MemoryError.NoSuchTs, $"no {ts}");
        }

        if (I32(_layout.TsRec(ts.Value) + L.TState) != TsLive)
        {
            return MemoryResult.Fail(MemoryError.TsExited, $"{ts} has exited");
        }

        return MemoryResult.Ok;
    }

    private Capability Mint(uint nodeId, uint generation, Rights rights) => new(nodeId, generation, rights, ComputeTag(nodeId, generation, rights));

    private ulong ComputeTag(uint nodeId, uint generation, Rights rights)
    {
        Span<byte> message = stackalloc byte[9];
        BinaryPrimitives.WriteUInt32LittleEndian(message, nodeId);
        BinaryPrimitives.WriteUInt32LittleEndian(message[4..], generation);
        message[8] = (byte)rights;
        return SipHash.Compute(_key0, _key1, message);
    }

    private bool TagMatches(Capability cap)
    {
        // Constant time: a timing side channel must not let a forger learn tag bits.
        Span<byte> a = stackalloc byte[8];
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(a, ComputeTag(cap.NodeId, cap.Generation, cap.Rights));
        BinaryPrimitives.WriteUInt64LittleEndian(b, cap.Tag);
        return CryptographicOperations.FixedTimeEquals(a, b);
    }
}
