using System.Runtime.CompilerServices;
using System.Text;
using L = Edsos.Memory.Shared.SharedLayout;

namespace Edsos.Memory.Shared;

/// <summary>
/// GVAs: the per-TS bump pointer and the GVA index. The index is an open-addressed hash table keyed
/// by (TS id, GVA page of a node's first byte) whose entry heads a bucket list of the live nodes
/// starting in that page (more than one only after divides). GVAs are never reused, so a table
/// indexed by GVA page would grow with every push; keyed by live nodes it holds at most one entry
/// per live node, whatever the GVAs.
/// </summary>
/// <remarks>
/// Only <see cref="Translate"/> reads the index, and the TSs that receive most CTRNs (a socket's,
/// the protocols', the driver's) never translate: they hold capabilities. So the CTRNs of a TS join
/// the index only once a <see cref="Translate"/> has run in it: the first one indexes the TS's live
/// CTRNs (one scan of the node records) and sets the TS's switch (<see cref="SharedLayout.TsCtrnIndexed"/>),
/// after which its CTRNs are indexed as they are made, like every other node. The switch never goes
/// back. It is stored unlogged: both of its values are consistent states, and a rollback's rebuild
/// indexes exactly the nodes the switches say (<see cref="IsIndexed"/>).
/// </remarks>
public sealed unsafe partial class SharedArena
{
    /// <summary>
    /// The TLB check by GVA, as <see cref="MemoryManager.Translate"/>: the live node of
    /// <paramref name="caller"/> covering [<paramref name="gva"/>, +<paramref name="length"/>), with
    /// a capability carrying the node's rights. Fails with the caller errors,
    /// <see cref="MemoryError.InvalidArgument"/> for a non-positive length,
    /// <see cref="MemoryError.InvalidGva"/> when the GVA is another TS's or names no live node,
    /// <see cref="MemoryError.OutOfRange"/> when the range runs past that node,
    /// <see cref="MemoryError.RightsDenied"/> when the node lacks <paramref name="needed"/>.
    /// </summary>
    public MemoryResult<GvaHit> Translate(TsId caller, Gva gva, int length, Rights needed)
    {
        Enter();
        try
        {
            var check = CheckCaller(caller);
            if (!check.IsOk)
            {
                return check;
            }

            if (length <= 0)
            {
                return MemoryResult<GvaHit>.Fail(MemoryError.InvalidArgument, $"translate needs a positive length, got {length}");
            }

            if (gva.Ts != caller)
            {
                return MemoryResult<GvaHit>.Fail(MemoryError.InvalidGva, $"{gva} belongs to {gva.Ts}, not to the caller {caller}");
            }

            if (I32(_tsCtrnIndexed + (4L * caller.Value)) == 0)
            {
                IndexCtrnsOf(caller.Value);
            }

            uint id = FindByGva(caller.Value, gva.Offset);
            if (id == 0)
            {
                return MemoryResult<GvaHit>.Fail(MemoryError.InvalidGva, $"{gva} names no live node of {TsPath(caller.Value)}");
            }

            long node = NodeRec(id);
            ulong start = (ulong)I64(node + L.NGvaBase);
            ulong end = start + (ulong)I32(node + L.NLength);
            if ((ulong)length > end - gva.Offset)
            {
                return MemoryResult<GvaHit>.Fail(MemoryError.OutOfRange, $"[{gva}+{length}) runs past the end of {NodePath(node)}");
            }

            var rights = (Rights)I32(node + L.NRights);
            if ((needed & ~rights) != 0)
            {
                return MemoryResult<GvaHit>.Fail(MemoryError.RightsDenied, $"{NodePath(node)} lacks {needed & ~rights}");
            }

            return MemoryResult<GvaHit>.Ok(new GvaHit(Mint(id, U32(node + L.NGeneration), rights), (int)(gva.Offset - start)));
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>The GVA, length and extent count of the caller's node (no right needed). Fails with the capability errors.</summary>
    public MemoryResult<NodeLocation> Locate(TsId caller, Capability cap)
    {
        Enter();
        try
        {
            var check = CheckCap(caller, cap, Rights.None, out long node);
            if (!check.IsOk)
            {
                return check;
            }

            return MemoryResult<NodeLocation>.Ok(new NodeLocation(NodeGva(node), I32(node + L.NLength), I32(node + L.NExtentCount)));
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>
    /// Whether the caller's node is the only holder of its pages: every page it spans is referenced by this node alone
    /// (once), pinned exactly <paramref name="pins"/> times and under no temporary access. What a driver asks before
    /// it lets its device write into a buffer again whose bytes it shared out earlier (a page pool's recycling): true
    /// means every CTRN and DMA pin taken from it since is gone, so nobody can see the new bytes. Fails with the
    /// capability errors.
    /// </summary>
    public MemoryResult<bool> IsSoleHolder(TsId caller, Capability cap, int pins)
    {
        Enter();
        try
        {
            var check = CheckCap(caller, cap, Rights.None, out long node);
            if (!check.IsOk)
            {
                return check;
            }

            for (int e = I32(node + L.NExtentHead); e != 0; e = I32(ExtentRec(e) + L.ENext))
            {
                var (first, last) = SpannedPages(ExtentRec(e));
                for (int pfn = first; pfn <= last; pfn++)
                {
                    long page = PageRec(pfn);
                    if (I32(page + L.GRefs) != 1 || I32(page + L.GPins) != pins || I32(page + L.GTemp) != 0)
                    {
                        return MemoryResult<bool>.Ok(false);
                    }
                }
            }

            return MemoryResult<bool>.Ok(true);
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>A snapshot of the caller's node: path, owner, GVA, length, rights, CTRN-ness, origins, extents. Fails with the capability errors.</summary>
    public MemoryResult<NodeInfo> Inspect(TsId caller, Capability cap)
    {
        Enter();
        try
        {
            var check = CheckCap(caller, cap, Rights.None, out long node);
            if (!check.IsOk)
            {
                return check;
            }

            Span<int> origins = stackalloc int[L.MaxOrigins];
            int count = ReadOrigins(node, origins);
            var originIds = new TsId[count];
            for (int i = 0; i < count; i++)
            {
                originIds[i] = new TsId((ushort)origins[i]);
            }

            var extents = new List<PhysExtent>();
            for (int e = I32(node + L.NExtentHead); e != 0; e = I32(ExtentRec(e) + L.ENext))
            {
                extents.Add(new PhysExtent((ulong)I64(ExtentRec(e) + L.EAddress), I32(ExtentRec(e) + L.ELength)));
            }

            return MemoryResult<NodeInfo>.Ok(new NodeInfo(
                cap.NodeId,
                NodePath(node),
                new TsId((ushort)I32(node + L.NOwnerTs)),
                NodeGva(node),
                I32(node + L.NLength),
                (Rights)I32(node + L.NRights),
                (I32(node + L.NFlags) & L.FlagCtrn) != 0,
                originIds,
                extents));
        }
        finally
        {
            Leave();
        }
    }

    private Gva NodeGva(long node) => Gva.Make(new TsId((ushort)I32(node + L.NOwnerTs)), (ulong)I64(node + L.NGvaBase));

    /// <summary>TS path + "/" + name, and for a divided node the manager's <c>root[start+length]</c>.</summary>
    private string NodePath(long node)
    {
        int owner = I32(node + L.NOwnerTs);
        string name = Encoding.UTF8.GetString(new ReadOnlySpan<byte>(_base + node + L.NName, I32(node + L.NNameLength)));
        string root = owner == RootTs ? "/" + name : TsPath(owner) + "/" + name;
        return (I32(node + L.NFlags) & L.FlagDivided) != 0 ? $"{root}[{I64(node + L.NRootStart)}+{I32(node + L.NLength)}]" : root;
    }

    /// <summary>Where a node of <paramref name="length"/> bytes would start in TS <paramref name="ts"/>; false when the 48-bit space is used up.</summary>
    private bool TryReserveGva(int ts, int length, out ulong gva)
    {
        gva = (ulong)I64(TsRec(ts) + L.TNextGva);
        return RoundUpToPage(length) <= Gva.OffsetMask - gva;
    }

    private ulong RoundUpToPage(int length) => ((ulong)length + (ulong)_layout.PageSize - 1) & ~((ulong)_layout.PageSize - 1);

    private long GvaKey(int ts, ulong offset) => ((long)ts << 48) | (long)(offset >> _pageShift);

    /// <summary>
    /// A key's home slot: four consecutive GVA pages of a TS share a hashed group of four adjacent
    /// slots (64 bytes), so a TS's bump-allocated nodes fill a cache line before they move to the
    /// next instead of each taking a random line of the table (a cache miss per push, share and merge).
    /// </summary>
    private int GvaHome(long key)
    {
        int group = (int)((((ulong)key >> 2) * 0x9E3779B97F4A7C15UL) >> 32);
        return ((group << 2) | (int)(key & 3)) & _gvaMask;
    }

    /// <summary>Whether a live node belongs in the GVA index: every node but a CTRN of a TS in which no <see cref="Translate"/> has run yet.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool IsIndexed(long node) =>
        (I32(node + L.NFlags) & L.FlagCtrn) == 0 || I32(_tsCtrnIndexed + (4L * I32(node + L.NOwnerTs))) != 0;

    /// <summary>
    /// The first <see cref="Translate"/> in <paramref name="ts"/>: sets its switch, then indexes its
    /// live CTRNs (one scan of the node records; once per TS for the arena's life) and commits. A
    /// death or an exception midway leaves the switch set and the index rebuilt by the rollback,
    /// which follows the switches, so the CTRNs indexed so far and the rest agree again.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void IndexCtrnsOf(int ts)
    {
        Derive32(_tsCtrnIndexed + (4L * ts), 1);
        int indexed = 0;
        for (uint id = 1; id < (uint)_maxNodes; id++)
        {
            long node = NodeRec(id);
            if (I32(node + L.NState) == NodeLive && I32(node + L.NOwnerTs) == ts && (I32(node + L.NFlags) & L.FlagCtrn) != 0)
            {
                GvaInsert(id);
                if (++indexed == 2)
                {
                    // Switch set, some of the TS's CTRNs indexed and not all: a death here must be repaired by the rebuild.
                    Hook("indexctrns");
                }
            }
        }

        Commit();
    }

    /// <summary>The table slot holding <paramref name="key"/>, or -1.</summary>
    private int GvaSlot(long key)
    {
        int mask = _gvaMask;
        for (int i = GvaHome(key); ; i = (i + 1) & mask)
        {
            long found = I64(GvaEntry(i) + L.VKey);
            if (found == key)
            {
                return i;
            }

            if (found == 0)
            {
                return -1;
            }
        }
    }

    /// <summary>
    /// Adds a node taken in this transaction (owner and GVA set) to the index: the head of its
    /// page's bucket. One probe: with backward-shift deletion there are no tombstones, so the first
    /// empty slot on the probe path proves the key absent and is where it goes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void GvaInsert(uint id)
    {
        if (IsIndexed(NodeRec(id)))
        {
            GvaAdd(id);
        }
    }

    private void GvaAdd(uint id)
    {
        long node = NodeRec(id);
        long key = GvaKey(I32(node + L.NOwnerTs), (ulong)I64(node + L.NGvaBase));
        for (int slot = GvaHome(key); ; slot = (slot + 1) & _gvaMask)
        {
            long entry = GvaEntry(slot);
            long found = I64(entry + L.VKey);
            if (found == key)
            {
                Derive32(node + L.NGvaNext, I32(entry + L.VNode));
                Derive32(entry + L.VNode, (int)id);
                return;
            }

            if (found == 0)
            {
                Derive32(node + L.NGvaNext, 0);
                Derive32(entry + L.VNode, (int)id);
                Derive64(entry + L.VKey, key);
                return;
            }
        }
    }

    /// <summary>Takes a live node out of its bucket; an emptied bucket leaves the table by backward-shift deletion (no tombstones).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void GvaRemove(uint id)
    {
        if (IsIndexed(NodeRec(id)))
        {
            GvaTake(id);
        }
    }

    private void GvaTake(uint id)
    {
        long node = NodeRec(id);
        int slot = GvaSlot(GvaKey(I32(node + L.NOwnerTs), (ulong)I64(node + L.NGvaBase)));
        long entry = GvaEntry(slot);
        int next = I32(node + L.NGvaNext);
        if (I32(entry + L.VNode) != (int)id)
        {
            long previous = NodeRec((uint)I32(entry + L.VNode));
            while (I32(previous + L.NGvaNext) != (int)id)
            {
                previous = NodeRec((uint)I32(previous + L.NGvaNext));
            }

            Derive32(previous + L.NGvaNext, next);
            return;
        }

        if (next != 0)
        {
            Derive32(entry + L.VNode, next);
            return;
        }

        int mask = _gvaMask;
        int hole = slot;
        for (int j = (hole + 1) & mask; ; j = (j + 1) & mask)
        {
            long key = I64(GvaEntry(j) + L.VKey);
            if (key == 0)
            {
                break;
            }

            int home = GvaHome(key);
            bool staysPut = hole <= j ? hole < home && home <= j : hole < home || home <= j;
            if (!staysPut)
            {
                Derive64(GvaEntry(hole) + L.VKey, key);
                Derive32(GvaEntry(hole) + L.VNode, I32(GvaEntry(j) + L.VNode));
                hole = j;
            }
        }

        Derive64(GvaEntry(hole) + L.VKey, 0);
    }

    /// <summary>
    /// The live node of <paramref name="ts"/> containing GVA offset <paramref name="offset"/>, or 0.
    /// Walks back page by page to the nearest bucket with a node starting at or before the offset:
    /// GVA ranges of one TS are disjoint, so only that bucket can hold it. Bounded by the largest node.
    /// </summary>
    private uint FindByGva(int ts, ulong offset)
    {
        // Past the bump pointer no node was ever placed: no walk.
        if (offset >= (ulong)I64(TsRec(ts) + L.TNextGva))
        {
            return 0;
        }

        ulong page = offset >> _pageShift;
        ulong lowest = L.FirstGva >> _pageShift;
        for (int step = 0; step <= _layout.MaxSpansPerNode + 1 && page >= lowest; step++)
        {
            int slot = GvaSlot(((long)ts << 48) | (long)page);
            if (slot < 0)
            {
                if (page-- == 0)
                {
                    break;
                }

                continue;
            }

            bool before = false;
            for (int id = I32(GvaEntry(slot) + L.VNode); id != 0; id = I32(NodeRec((uint)id) + L.NGvaNext))
            {
                long node = NodeRec((uint)id);
                ulong start = (ulong)I64(node + L.NGvaBase);
                if (start > offset)
                {
                    continue;
                }

                if (offset < start + (ulong)I32(node + L.NLength))
                {
                    return (uint)id;
                }

                before = true;
            }

            if (before || page-- == 0)
            {
                return 0;
            }
        }

        return 0;
    }
}
