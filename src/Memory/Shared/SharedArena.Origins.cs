using System.Runtime.CompilerServices;
using L = Edsos.Memory.Shared.SharedLayout;

namespace Edsos.Memory.Shared;

/// <summary>A node's origins: ascending, distinct TS ids, 4 inline in the node record and up to 16 more in a spill record.</summary>
public sealed unsafe partial class SharedArena
{
    /// <summary>Reads the node's origins into <paramref name="into"/> (at least <see cref="SharedLayout.MaxOrigins"/> long); returns how many.</summary>
    private int ReadOrigins(long node, Span<int> into)
    {
        int count = I32(node + L.NOriginCount);
        for (int i = 0; i < count; i++)
        {
            into[i] = OriginAt(node, i);
        }

        return count;
    }

    private int OriginAt(long node, int index)
    {
        return index < L.InlineOrigins
            ? I32(node + L.NOrigins + (4L * index))
            : I32(_layout.Spill(I32(node + L.NOriginSpill)) + (4L * (index - L.InlineOrigins)));
    }

    /// <summary>
    /// Gives a node record taken in this transaction the origins of <paramref name="from"/>: the
    /// common case (at most four, all inline) as a copy of the four inline words; more through a spill
    /// record as <see cref="InitOrigins"/>. False when no spill record is free.
    /// </summary>
    [SkipLocalsInit]
    private bool CopyOrigins(long from, long into)
    {
        int count = I32(from + L.NOriginCount);
        if (count <= L.InlineOrigins)
        {
            Init32(into + L.NOriginCount, count);
            Init32(into + L.NOriginSpill, 0);
            Init32(into + L.NOrigins, I32(from + L.NOrigins));
            Init32(into + L.NOrigins + 4, I32(from + L.NOrigins + 4));
            Init32(into + L.NOrigins + 8, I32(from + L.NOrigins + 8));
            Init32(into + L.NOrigins + 12, I32(from + L.NOrigins + 12));
            return true;
        }

        Span<int> origins = stackalloc int[L.MaxOrigins];
        return InitOrigins(into, origins[..ReadOrigins(from, origins)]);
    }

    /// <summary>
    /// Writes origins into a node record taken in this transaction (and a spill record when more than
    /// four). False when a spill record is needed and none is free: the caller fails and Leave rolls back.
    /// </summary>
    private bool InitOrigins(long node, ReadOnlySpan<int> origins)
    {
        Init32(node + L.NOriginCount, origins.Length);
        int spill = 0;
        if (origins.Length > L.InlineOrigins)
        {
            spill = TakeSpill();
            if (spill == 0)
            {
                return false;
            }
        }

        Init32(node + L.NOriginSpill, spill);
        for (int i = 0; i < origins.Length; i++)
        {
            if (i < L.InlineOrigins)
            {
                Init32(node + L.NOrigins + (4L * i), origins[i]);
            }
            else
            {
                Init32(_layout.Spill(spill) + (4L * (i - L.InlineOrigins)), origins[i]);
            }
        }

        return true;
    }

    /// <summary>How many origins the union of two nodes' origins holds; -1 when more than <see cref="SharedLayout.MaxOrigins"/>.</summary>
    [SkipLocalsInit]
    private int UnionOriginCount(long a, long b)
    {
        Span<int> originsA = stackalloc int[L.MaxOrigins];
        Span<int> originsB = stackalloc int[L.MaxOrigins];
        Span<int> union = stackalloc int[L.MaxOrigins];
        return UnionOrigins(originsA[..ReadOrigins(a, originsA)], originsB[..ReadOrigins(b, originsB)], union);
    }

    /// <summary>Gives a node record taken in this transaction the union of two nodes' origins (at most <see cref="SharedLayout.MaxOrigins"/>, checked before); false when no spill record is free.</summary>
    [SkipLocalsInit]
    private bool InitUnionOrigins(long into, long a, long b)
    {
        Span<int> originsA = stackalloc int[L.MaxOrigins];
        Span<int> originsB = stackalloc int[L.MaxOrigins];
        Span<int> union = stackalloc int[L.MaxOrigins];
        int count = UnionOrigins(originsA[..ReadOrigins(a, originsA)], originsB[..ReadOrigins(b, originsB)], union);
        return InitOrigins(into, union[..count]);
    }

    /// <summary>The sorted, distinct union of two ascending sets; -1 when it has more than <see cref="SharedLayout.MaxOrigins"/>.</summary>
    private static int UnionOrigins(ReadOnlySpan<int> a, ReadOnlySpan<int> b, Span<int> into)
    {
        int i = 0, j = 0, n = 0;
        while (i < a.Length || j < b.Length)
        {
            int next = j >= b.Length || (i < a.Length && a[i] <= b[j]) ? a[i] : b[j];
            if (i < a.Length && a[i] == next)
            {
                i++;
            }

            if (j < b.Length && b[j] == next)
            {
                j++;
            }

            if (n == L.MaxOrigins)
            {
                return -1;
            }

            into[n++] = next;
        }

        return n;
    }

    /// <summary>A user caller may not share a node with a kernel TS among its origins.</summary>
    private MemoryResult CheckKernelShare(TsId caller, long node)
    {
        if (I32(TsRec(caller.Value) + L.TKind) != (int)TsKind.User)
        {
            return MemoryResult.Ok;
        }

        int count = I32(node + L.NOriginCount);
        for (int i = 0; i < count; i++)
        {
            int origin = OriginAt(node, i);
            if (I32(TsRec(origin) + L.TKind) == (int)TsKind.Kernel)
            {
                return MemoryResult.Fail(MemoryError.KernelShareDenied, $"user TS {TsPath(caller.Value)} may not share memory that originated in kernel TS {TsPath(origin)}");
            }
        }

        return MemoryResult.Ok;
    }
}
