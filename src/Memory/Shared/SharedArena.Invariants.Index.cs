using L = Edsos.Memory.Shared.SharedLayout;

namespace Edsos.Memory.Shared;

/// <summary>Consistency checks of the record pools and indexes: extents, origin spills, the GVA index, the TS tree.</summary>
public sealed unsafe partial class SharedArena
{
    /// <summary>Walks a chain: counts a page use per page each extent spans and claims each extent for <paramref name="user"/>.</summary>
    private void CountChain(int head, int[] pageCounts, int[] extentUser, int user, List<string> problems)
    {
        int steps = 0;
        for (int e = head; e != 0; e = I32(ExtentRec(e) + L.ENext))
        {
            if (e < 0 || e >= _layout.MaxExtents || ++steps > _layout.MaxExtents)
            {
                problems.Add($"{Owner(user)}: extent chain runs out of range or in a circle at {e}");
                return;
            }

            if (extentUser[e] != 0)
            {
                problems.Add($"extent {e} is in the chains of {Owner(extentUser[e])} and {Owner(user)}");
                return;
            }

            extentUser[e] = user;
            long ext = ExtentRec(e);
            long address = I64(ext + L.EAddress);
            int length = I32(ext + L.ELength);
            if (length <= 0 || address < 0 || address + length > (long)_layout.PageCount * _layout.PageSize)
            {
                problems.Add($"extent {e} of {Owner(user)} is empty or leaves the data pages");
                continue;
            }

            var (first, last) = SpannedPages(ext);
            for (int pfn = first; pfn <= last; pfn++)
            {
                pageCounts[pfn]++;
            }
        }
    }

    private static string Owner(int user) => user > 0 ? $"node {user}" : $"pin {-user}";

    private long ChainLength(int head)
    {
        long total = 0;
        for (int e = head, steps = 0; e > 0 && e < _layout.MaxExtents && steps < _layout.MaxExtents; e = I32(ExtentRec(e) + L.ENext), steps++)
        {
            total += I32(ExtentRec(e) + L.ELength);
        }

        return total;
    }

    private int ChainCount(int head)
    {
        int count = 0;
        for (int e = head; e > 0 && e < _layout.MaxExtents && count < _layout.MaxExtents; e = I32(ExtentRec(e) + L.ENext))
        {
            count++;
        }

        return count;
    }

    /// <summary>One live node's own fields: chain length, extent count, spans, origins, owner, GVA below the bump pointer.</summary>
    private void CheckNode(uint id, long node, List<string> problems)
    {
        int head = I32(node + L.NExtentHead);
        if (ChainLength(head) != I32(node + L.NLength) || ChainCount(head) != I32(node + L.NExtentCount) || ChainSpans(head) != I32(node + L.NSpans))
        {
            problems.Add($"node {id}: length {I32(node + L.NLength)}, extents {I32(node + L.NExtentCount)}, spans {I32(node + L.NSpans)}; its chain holds {ChainLength(head)} bytes in {ChainCount(head)} extents over {ChainSpans(head)} pages");
        }

        int owner = I32(node + L.NOwnerTs);
        int count = I32(node + L.NOriginCount);
        if (count < 1 || count > L.MaxOrigins || (count > L.InlineOrigins) != (I32(node + L.NOriginSpill) != 0))
        {
            problems.Add($"node {id}: {count} origins, spill record {I32(node + L.NOriginSpill)}");
            return;
        }

        int previous = 0;
        for (int i = 0; i < count; i++)
        {
            int origin = OriginAt(node, i);
            if (origin <= previous)
            {
                problems.Add($"node {id}: origins not ascending and distinct");
            }

            previous = origin;
        }

        for (int i = -1; i < count; i++)
        {
            int ts = i < 0 ? owner : OriginAt(node, i);
            if (ts <= 0 || ts >= _layout.MaxTs || I32(TsRec(ts) + L.TState) != TsLive)
            {
                problems.Add($"node {id} is live but its TS {ts} is not");
            }
        }

        if (owner > 0 && owner < _layout.MaxTs && (ulong)I64(node + L.NGvaBase) + (ulong)I32(node + L.NLength) > (ulong)I64(TsRec(owner) + L.TNextGva))
        {
            problems.Add($"node {id}: its GVA range passes its owner's bump pointer");
        }
    }

    private void CheckExtentPool(int[] extentUser, List<string> problems)
    {
        var stacked = new bool[_layout.MaxExtents];
        for (int i = 0; i < I32(L.HFreeExtentCount); i++)
        {
            int e = I32(_layout.FreeExtentStack + (4L * i));
            if (e <= 0 || e >= _layout.MaxExtents || stacked[e] || extentUser[e] != 0)
            {
                problems.Add($"extent stack entry {e} is out of range, repeated or in use");
                continue;
            }

            stacked[e] = true;
        }

        for (int e = 1; e < _layout.MaxExtents; e++)
        {
            if (!stacked[e] && extentUser[e] == 0)
            {
                problems.Add($"extent {e} is neither free nor in a chain (leaked)");
            }
        }
    }

    private void CheckSpillPool(List<string> problems)
    {
        var used = new bool[_layout.MaxSpills];
        for (uint id = 1; id < _layout.MaxNodes; id++)
        {
            long node = NodeRec(id);
            int spill = I32(node + L.NOriginSpill);
            if (I32(node + L.NState) != NodeLive || spill == 0)
            {
                continue;
            }

            if (spill < 0 || spill >= _layout.MaxSpills || used[spill])
            {
                problems.Add($"node {id}: spill record {spill} out of range or shared");
                continue;
            }

            used[spill] = true;
        }

        var stacked = new bool[_layout.MaxSpills];
        for (int i = 0; i < I32(L.HFreeSpillCount); i++)
        {
            int spill = I32(_layout.FreeSpillStack + (4L * i));
            if (spill <= 0 || spill >= _layout.MaxSpills || stacked[spill] || used[spill])
            {
                problems.Add($"spill stack entry {spill} is out of range, repeated or in use");
                continue;
            }

            stacked[spill] = true;
        }

        for (int spill = 1; spill < _layout.MaxSpills; spill++)
        {
            if (!stacked[spill] && !used[spill])
            {
                problems.Add($"spill record {spill} is neither free nor used (leaked)");
            }
        }
    }

    private void CheckGvaIndex(List<string> problems)
    {
        var indexed = new bool[_layout.MaxNodes];
        for (int slot = 0; slot < _layout.GvaHashSize; slot++)
        {
            long key = I64(GvaEntry(slot) + L.VKey);
            if (key == 0)
            {
                continue;
            }

            if (GvaSlot(key) != slot)
            {
                problems.Add($"GVA index slot {slot}: its key is not found by probing (or is there twice)");
            }

            int steps = 0;
            for (int id = I32(GvaEntry(slot) + L.VNode); id != 0; id = I32(NodeRec((uint)id) + L.NGvaNext))
            {
                if (id < 0 || id >= _layout.MaxNodes || indexed[id] || ++steps > _layout.MaxNodes)
                {
                    problems.Add($"GVA index slot {slot}: bucket runs out of range, in a circle or repeats node {id}");
                    break;
                }

                long node = NodeRec((uint)id);
                indexed[id] = true;
                if (I32(node + L.NState) != NodeLive || GvaKey(I32(node + L.NOwnerTs), (ulong)I64(node + L.NGvaBase)) != key)
                {
                    problems.Add($"GVA index slot {slot} lists node {id}, which is not live or starts in another page");
                }
                else if (!IsIndexed(node))
                {
                    problems.Add($"GVA index slot {slot} lists node {id}, a CTRN of a TS whose CTRNs are not indexed yet");
                }
            }

            if (steps == 0)
            {
                problems.Add($"GVA index slot {slot} holds an empty bucket");
            }
        }

        var ranges = new List<(int Ts, ulong Start, ulong End, uint Id)>();
        for (uint id = 1; id < _layout.MaxNodes; id++)
        {
            long node = NodeRec(id);
            if (I32(node + L.NState) != NodeLive)
            {
                continue;
            }

            if (!indexed[id] && IsIndexed(node))
            {
                problems.Add($"node {id} is live but not in the GVA index");
            }

            ulong start = (ulong)I64(node + L.NGvaBase);
            ranges.Add((I32(node + L.NOwnerTs), start, start + (ulong)I32(node + L.NLength), id));
        }

        ranges.Sort((x, y) => x.Ts != y.Ts ? x.Ts.CompareTo(y.Ts) : x.Start.CompareTo(y.Start));
        for (int i = 1; i < ranges.Count; i++)
        {
            if (ranges[i].Ts == ranges[i - 1].Ts && ranges[i].Start < ranges[i - 1].End)
            {
                problems.Add($"nodes {ranges[i - 1].Id} and {ranges[i].Id} of ts:{ranges[i].Ts} overlap in GVA");
            }
        }
    }

    private void CheckTsTree(List<string> problems)
    {
        if (I32(L.HPathBytesUsed) > _layout.PathBytes)
        {
            problems.Add("path table used past its end");
        }

        for (int ts = RootTs; ts < I32(L.HNextTs); ts++)
        {
            long rec = TsRec(ts);
            if (I32(rec + L.TPathOffset) < 0 || I32(rec + L.TPathOffset) + I32(rec + L.TPathLength) > I32(L.HPathBytesUsed))
            {
                problems.Add($"ts:{ts}: path outside the used path table");
                continue;
            }

            var path = PathBytes(ts);
            if (FindPath(path, SharedNames.Hash(path)) != ts)
            {
                problems.Add($"ts:{ts}: the path hash does not find '{TsPath(ts)}'");
            }

            int parent = I32(rec + L.TParent);
            if (ts != RootTs && (parent < RootTs || parent >= ts))
            {
                problems.Add($"ts:{ts}: parent ts:{parent} was not created before it");
            }
        }
    }
}
