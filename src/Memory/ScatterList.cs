namespace Edsos.Memory;

/// <summary>Arithmetic on scatter lists (extents in node byte order).</summary>
internal static class ScatterList
{
    /// <summary>The extents covering node bytes [offset, offset + length).</summary>
    public static PhysExtent[] Slice(PhysExtent[] extents, int offset, int length)
    {
        // Two passes (find the covered range, then fill an array of its exact size): every read,
        // write, visit and divide slices, so one allocation here instead of a list and its copy.
        long end = (long)offset + length;
        long position = 0;
        int first = -1;
        long firstStart = 0;
        int count = 0;
        for (int i = 0; i < extents.Length; i++)
        {
            long start = position;
            long stop = position + extents[i].Length;
            position = stop;
            if (stop <= offset)
            {
                continue;
            }

            if (start >= end)
            {
                break;
            }

            if (first < 0)
            {
                first = i;
                firstStart = start;
            }

            count++;
        }

        if (count == 0)
        {
            return [];
        }

        var result = new PhysExtent[count];
        position = firstStart;
        for (int k = 0; k < count; k++)
        {
            var extent = extents[first + k];
            long start = position;
            long stop = position + extent.Length;
            position = stop;
            long from = Math.Max(offset, start);
            long to = Math.Min(end, stop);
            result[k] = new PhysExtent(extent.Address + (ulong)(from - start), (int)(to - from));
        }

        return result;
    }

    /// <summary>Extents for <paramref name="length"/> bytes laid over whole pages, coalescing consecutive page numbers.</summary>
    public static PhysExtent[] FromPages(ReadOnlySpan<int> pfns, int pageSize, int length)
    {
        var result = new List<PhysExtent>();
        int remaining = length;
        int i = 0;
        while (i < pfns.Length && remaining > 0)
        {
            int run = 1;
            while (i + run < pfns.Length && pfns[i + run] == pfns[i] + run)
            {
                run++;
            }

            int bytes = (int)Math.Min(remaining, (long)run * pageSize);
            result.Add(new PhysExtent((ulong)pfns[i] * (ulong)pageSize, bytes));
            remaining -= bytes;
            i += run;
        }

        return result.ToArray();
    }

    /// <summary>First and last page an extent touches; the extent must not be empty.</summary>
    public static (int First, int Last) Pages(PhysExtent extent, int pageSize)
    {
        return ((int)(extent.Address / (ulong)pageSize), (int)((extent.End - 1) / (ulong)pageSize));
    }

    public static int TotalLength(PhysExtent[] extents)
    {
        long total = 0;
        foreach (var extent in extents)
        {
            total += extent.Length;
        }

        return (int)total;
    }
}
