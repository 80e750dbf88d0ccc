using System.Runtime.CompilerServices;
using System.Text;
using L = Edsos.Memory.Shared.SharedLayout;

namespace Edsos.Memory.Shared;

/// <summary>Node lifecycle, first half: push, ct_share, pop, release.</summary>
public sealed unsafe partial class SharedArena
{
    private readonly List<DoubleRelease> _doubleReleases = [];

    /// <summary>Double releases this process recorded, with the place of the second release (the count in the file covers every process).</summary>
    public IReadOnlyList<DoubleRelease> DoubleReleases
    {
        get
        {
            lock (_doubleReleases)
            {
                return _doubleReleases.ToArray();
            }
        }
    }

    /// <summary>Pushes an anonymous node (named <c>node</c>); see <see cref="Push(TsId, string, int, Rights)"/>.</summary>
    public MemoryResult<Capability> Push(TsId caller, int length, Rights rights = Rights.All) => Push(caller, "node", length, rights);

    /// <summary>
    /// push: a new node named <paramref name="name"/> of <paramref name="length"/> zeroed bytes in
    /// the caller's TS at a fresh page-aligned GVA, owned by and originating in the caller. Fails
    /// with the caller errors, <see cref="MemoryError.InvalidArgument"/> for a non-positive length,
    /// more pages than one node may span, a malformed name (or over 64 UTF-8 bytes) or unknown
    /// rights, and <see cref="MemoryError.OutOfMemory"/> when pages, node or extent records or GVA
    /// space run out (nothing taken).
    /// </summary>
    public MemoryResult<Capability> Push(TsId caller, string name, int length, Rights rights = Rights.All) => Push(caller, name, length, rights, zero: true, 0, default);

    /// <summary>
    /// push, then <paramref name="bytes"/> written at <paramref name="offset"/> of the new node in the same
    /// transaction (a header node made and filled under one lock, as <see cref="Push(TsId, string, int, Rights)"/>
    /// then <see cref="Write"/> would). A range outside the node is <see cref="MemoryError.OutOfRange"/> and makes
    /// nothing; otherwise push's failures.
    /// </summary>
    public MemoryResult<Capability> PushWith(TsId caller, string name, int length, int offset, ReadOnlySpan<byte> bytes, Rights rights = Rights.All)
    {
        if (offset < 0 || length < 0 || bytes.Length > length - offset)
        {
            return MemoryResult<Capability>.Fail(MemoryError.OutOfRange, $"[{offset}, +{bytes.Length}) leaves a node of {length} bytes");
        }

        return Push(caller, name, length, rights, zero: true, offset, bytes);
    }

    /// <summary>
    /// push without zeroing the bytes: a receive buffer that a device overwrites before anything reads it
    /// (the driver shares only the bytes the device wrote). Otherwise <see cref="Push(TsId, string, int, Rights)"/>.
    /// Its bytes are whatever the pages held last, possibly another TS's: never hand them on unwritten.
    /// </summary>
    public MemoryResult<Capability> PushUnzeroed(TsId caller, string name, int length, Rights rights = Rights.All) => Push(caller, name, length, rights, zero: false, 0, default);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private MemoryResult<Capability> Push(TsId caller, string name, int length, Rights rights, bool zero, int offset, ReadOnlySpan<byte> bytes)
    {
        if (length <= 0 || ((length + (long)_layout.PageSize - 1) >> _pageShift) > _layout.MaxSpansPerNode || (rights & ~Rights.All) != 0)
        {
            return BadPush(name, length);
        }

        int pages = (int)(((long)length + _layout.PageSize - 1) >> _pageShift);
        Enter();
        try
        {
            // The name is validated through the cache of encoded names (a constant name is checked once, not per push).
            if (!TryEncodeName(name, out _))
            {
                return BadPush(name, length);
            }

            var check = CheckCaller(caller);
            if (!check.IsOk)
            {
                return check;
            }

            if (!TryReserveGva(caller.Value, length, out ulong gva))
            {
                return MemoryResult<Capability>.Fail(MemoryError.OutOfMemory, $"GVA space of {TsPath(caller.Value)} exhausted");
            }

            if (I32(L.HFreePageCount) < pages || FreeNodeRecords() == 0)
            {
                return MemoryResult<Capability>.Fail(MemoryError.OutOfMemory, $"push of {length} bytes needs {pages} pages, {I32(L.HFreePageCount)} free, {FreeNodeRecords()} node records free");
            }

            uint id = DequeueNode();
            long node = NodeRec(id);
            int head = BuildChain(pages, length, out int count, zero);
            if (head == 0)
            {
                return MemoryResult<Capability>.Fail(MemoryError.OutOfMemory, "no free extent record");
            }

            TryEncodeName(name, out var utf8);
            InitOrigins(node, [caller.Value]);
            InitNode(node, caller.Value, rights, length, flags: 0, gva, rootStart: 0, head, count, pages, utf8);
            Publish(id, caller.Value, gva, length);
            if (!bytes.IsEmpty)
            {
                // Fresh pages no other node references: no copy-on-write, and nothing to log (a rollback frees them).
                CopyChain(head, offset, bytes.Length, bytes, default);
            }

            Commit();
            return MemoryResult<Capability>.Ok(Mint(id, U32(node + L.NGeneration), rights));
        }
        finally
        {
            Leave();
        }
    }

    private MemoryResult<Capability> BadPush(string name, int length) =>
        MemoryResult<Capability>.Fail(MemoryError.InvalidArgument, $"push needs 1 .. {(long)_layout.MaxSpansPerNode * _layout.PageSize} bytes, a valid name and known rights (length {length}, name '{name}')");

    /// <summary>
    /// ct_share by byte offset: bytes [<paramref name="offset"/>, +<paramref name="length"/>) of the
    /// caller's node as an anonymous CTRN (named <c>ctrn</c>); see
    /// <see cref="CtShare(TsId, Capability, Gva, int, TsId, string, Rights)"/>. A negative offset or
    /// one past the node is <see cref="MemoryError.OutOfRange"/>.
    /// </summary>
    public MemoryResult<Capability> CtShare(TsId caller, Capability source, int offset, int length, TsId target, Rights rights) =>
        CtShare(caller, source, offset, length, target, "ctrn", rights);

    /// <summary>
    /// ct_share by byte offset, named <paramref name="name"/>: the GVA is the node's own plus
    /// <paramref name="offset"/>, found under the same lock (no separate locate); see
    /// <see cref="CtShare(TsId, Capability, Gva, int, TsId, string, Rights)"/>. A negative offset or
    /// one past the node is <see cref="MemoryError.OutOfRange"/>.
    /// </summary>
    public MemoryResult<Capability> CtShare(TsId caller, Capability source, int offset, int length, TsId target, string name, Rights rights) =>
        CtShareAt(caller, source, offset, length, target, name, 0, numbered: false, rights);

    /// <summary>
    /// ct_share by byte offset, named <paramref name="namePrefix"/> followed by <paramref name="nameNumber"/> in
    /// decimal (<c>"send_q/"</c> and 42: <c>send_q/42</c>), the name written into the node record without a string
    /// made for it; see <see cref="CtShare(TsId, Capability, int, int, TsId, string, Rights)"/>. A name that is not
    /// valid once the number is appended is <see cref="MemoryError.InvalidArgument"/>.
    /// </summary>
    public MemoryResult<Capability> CtShare(TsId caller, Capability source, int offset, int length, TsId target, string namePrefix, ulong nameNumber, Rights rights) =>
        CtShareAt(caller, source, offset, length, target, namePrefix, nameNumber, numbered: true, rights);

    /// <summary>
    /// ct_share named <paramref name="namePrefix"/> followed by <paramref name="nameNumber"/> in decimal, without a
    /// string made for the name; see <see cref="CtShare(TsId, Capability, Gva, int, TsId, string, Rights)"/> and the
    /// offset form's numbered overload.
    /// </summary>
    public MemoryResult<Capability> CtShare(TsId caller, Capability source, Gva gva, int length, TsId target, string namePrefix, ulong nameNumber, Rights rights)
    {
        Enter();
        try
        {
            return CtShareLocked(caller, source, gva, length, target, namePrefix, nameNumber, numbered: true, rights);
        }
        finally
        {
            Leave();
        }
    }

    private MemoryResult<Capability> CtShareAt(TsId caller, Capability source, int offset, int length, TsId target, string name, ulong number, bool numbered, Rights rights)
    {
        Enter();
        try
        {
            var check = CheckCap(caller, source, Rights.Share, out long node);
            if (!check.IsOk)
            {
                return check;
            }

            if (offset < 0 || offset >= I32(node + L.NLength))
            {
                return MemoryResult<Capability>.Fail(MemoryError.OutOfRange, $"offset {offset} outside a node of {I32(node + L.NLength)} bytes");
            }

            return CtShareLocked(caller, source, NodeGva(node).Add(offset), length, target, name, number, numbered, rights);
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>
    /// ct_share, as <see cref="MemoryManager.CtShare"/>: mounts bytes [<paramref name="gva"/>,
    /// +<paramref name="length"/>) of the caller's node as a CTRN named <paramref name="name"/> owned
    /// by <paramref name="target"/> (a TS of any process), at a fresh GVA in the target's space, over
    /// the same pages (each spanned gains a reference). The CTRN inherits the source's origins, so
    /// the exit of any of them revokes it. The source stays. Fails with the capability errors,
    /// <see cref="MemoryError.RightsDenied"/> without Share or for rights beyond the source
    /// capability's, <see cref="MemoryError.KernelShareDenied"/>, <see cref="MemoryError.InvalidGva"/>
    /// for a GVA outside the caller's space, <see cref="MemoryError.OutOfRange"/> when the range
    /// leaves the node, <see cref="MemoryError.InvalidArgument"/> for the caller as target, a bad
    /// name or length, <see cref="MemoryError.NoSuchTs"/>/<see cref="MemoryError.TsExited"/> for a
    /// bad target, <see cref="MemoryError.OutOfMemory"/> when records or GVA space run out.
    /// </summary>
    public MemoryResult<Capability> CtShare(TsId caller, Capability source, Gva gva, int length, TsId target, string name, Rights rights)
    {
        Enter();
        try
        {
            return CtShareLocked(caller, source, gva, length, target, name, 0, numbered: false, rights);
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>
    /// pop: unmounts the caller's node; each page it spans loses a reference and is freed at zero
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

            int freed = 0, deferred = 0;
            RevokeNode(node.NodeId, lifted: false, ref freed, ref deferred);
            Commit();
            return MemoryResult.Ok;
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>
    /// Pops <paramref name="node"/> as its owner, as <see cref="MemoryManager.Release"/>: <c>default</c>
    /// is a no-op. A node its owner already popped, divided, merged or granted at this generation is
    /// a double release: counted in the file, recorded here with the caller's place
    /// (<see cref="DoubleReleases"/>) and answered <see cref="MemoryError.Stale"/>. A node lifted with
    /// its TS answers <see cref="MemoryError.InvalidGva"/> and is not a double release. Other failures
    /// are <see cref="Pop"/>'s.
    /// </summary>
    public MemoryResult Release(TsId owner, Capability node, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        if (node == default)
        {
            return MemoryResult.Ok;
        }

        Enter();
        try
        {
            return ReleaseLocked(owner, node, file, line);
        }
        finally
        {
            Leave();
        }
    }

    /// <summary><see cref="Release"/>'s body, the lock held: one node checked, popped and committed on its own.</summary>
    private MemoryResult ReleaseLocked(TsId owner, Capability node, string file, int line)
    {
        var check = CheckCap(owner, node, Rights.None, out _);
        if (!check.IsOk)
        {
            if (check.Error == MemoryError.Stale)
            {
                long rec = NodeRec(node.NodeId);
                if (U32(rec + L.NReleasedGeneration) == node.Generation && U32(rec + L.NLiftedGeneration) != node.Generation)
                {
                    Set32(L.HDoubleReleases, I32(L.HDoubleReleases) + 1);
                    Commit();
                    lock (_doubleReleases)
                    {
                        _doubleReleases.Add(new DoubleRelease(node, owner, TsPath(owner.Value), new CodePlace(file, line)));
                    }
                }
            }

            return check;
        }

        int freed = 0, deferred = 0;
        RevokeNode(node.NodeId, lifted: false, ref freed, ref deferred);
        Commit();
        return MemoryResult.Ok;
    }

    // Not inlined: an operation's body compiled on its own keeps the inlining budget for what it
    // calls (the SipHash rounds, the logged stores); inlined into a caller's loop (the JIT does
    // that under PGO once the body has no stackalloc) it ran out and called SipHash.Round eight
    // times per mint: 25 % slower in bench runtime.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private MemoryResult<Capability> CtShareLocked(TsId caller, Capability source, Gva gva, int length, TsId target, string name, ulong number, bool numbered, Rights rights)
    {
        var check = CheckCap(caller, source, Rights.Share, out long src);
        if (!check.IsOk)
        {
            return check;
        }

        if (length <= 0 || !(numbered ? TryEncodeNumberedName(name, number, out var utf8) : TryEncodeName(name, out utf8)))
        {
            return MemoryResult<Capability>.Fail(MemoryError.InvalidArgument, $"ct_share needs a positive length and a valid name (length {length}, name '{name}{(numbered ? number.ToString(System.Globalization.CultureInfo.InvariantCulture) : "")}')");
        }

        if ((rights & ~source.Rights) != 0)
        {
            return MemoryResult<Capability>.Fail(MemoryError.RightsDenied, $"ct_share asks for {rights}, the source capability holds {source.Rights}");
        }

        var denied = CheckKernelShare(caller, src);
        if (!denied.IsOk)
        {
            return denied;
        }

        if (gva.Ts != caller)
        {
            return MemoryResult<Capability>.Fail(MemoryError.InvalidGva, $"{gva} is not in the caller's space {caller}");
        }

        ulong start = (ulong)I64(src + L.NGvaBase), end = start + (ulong)I32(src + L.NLength);
        if (gva.Offset < start || gva.Offset >= end || (ulong)length > end - gva.Offset)
        {
            return MemoryResult<Capability>.Fail(MemoryError.OutOfRange, $"[{gva}+{length}) is not inside {NodePath(src)}");
        }

        var targetCheck = CheckTarget(caller, target);
        if (!targetCheck.IsOk)
        {
            return targetCheck;
        }

        if (!TryReserveGva(target.Value, length, out ulong targetGva))
        {
            return MemoryResult<Capability>.Fail(MemoryError.OutOfMemory, $"GVA space of {TsPath(target.Value)} exhausted");
        }

        if (FreeNodeRecords() == 0)
        {
            return MemoryResult<Capability>.Fail(MemoryError.OutOfMemory, "no free node record");
        }

        uint id = DequeueNode();
        long node = NodeRec(id);
        int head = CopySlice(I32(src + L.NExtentHead), (int)(gva.Offset - start), length, L.GRefs, "ctshare", out int count, out int spans);
        if (head == 0 || !CopyOrigins(src, node))
        {
            return MemoryResult<Capability>.Fail(MemoryError.OutOfMemory, "no free extent or origin spill record");
        }

        InitNode(node, target.Value, rights, length, L.FlagCtrn, targetGva, rootStart: 0, head, count, spans, utf8);
        Publish(id, target.Value, targetGva, length);
        Commit();
        return MemoryResult<Capability>.Ok(Mint(id, U32(node + L.NGeneration), rights));
    }

    /// <summary>Fills a node record taken in this transaction (origins apart); <see cref="Publish"/> makes it live.</summary>
    private void InitNode(long node, int owner, Rights rights, int length, int flags, ulong gva, long rootStart, int head, int count, int spans, ReadOnlySpan<byte> name)
    {
        Init32(node + L.NOwnerTs, owner);
        Init32(node + L.NRights, (int)rights);
        Init32(node + L.NLength, length);
        Init32(node + L.NFlags, flags);
        Init64(node + L.NGvaBase, (long)gva);
        Init64(node + L.NRootStart, rootStart);
        Init32(node + L.NExtentHead, head);
        Init32(node + L.NExtentCount, count);
        Init32(node + L.NSpans, spans);
        Init32(node + L.NNameLength, name.Length);
        name.CopyTo(new Span<byte>(_base + node + L.NName, L.MaxNameBytes));
    }

    /// <summary>
    /// The last steps of making a node at <paramref name="gva"/> in TS <paramref name="ts"/>: moves the
    /// TS's bump pointer past it and marks it live (two logged stores, one append to the undo log),
    /// then indexes and counts it (<see cref="IndexAndCount"/>).
    /// </summary>
    private void Publish(uint id, int ts, ulong gva, int length)
    {
        long node = NodeRec(id);
        Set64And32(TsRec(ts) + L.TNextGva, (long)(gva + RoundUpToPage(length)), node + L.NState, NodeLive);
        IndexAndCount(id, node);
    }

    /// <summary>Marks a node live, indexes it by GVA and counts it: the last steps of making a node at a GVA already reserved (divide).</summary>
    private void Publish(uint id)
    {
        long node = NodeRec(id);
        Set32(node + L.NState, NodeLive);
        IndexAndCount(id, node);
    }

    private void IndexAndCount(uint id, long node)
    {
        GvaInsert(id);
        Derive32(L.HLiveNodes, I32(L.HLiveNodes) + 1);
        if ((I32(node + L.NFlags) & L.FlagCtrn) != 0)
        {
            Derive32(L.HLiveCtrns, I32(L.HLiveCtrns) + 1);
        }

        // Derived words changed (index, counts), not yet committed: a death here must be repaired by a rebuild.
        Hook("publish");
    }
}
