using L = Edsos.Memory.Shared.SharedLayout;

namespace Edsos.Memory.Shared;

/// <summary>The device side by physical extent, as <see cref="MemoryManager"/>'s: what a DMA descriptor carries.</summary>
public sealed unsafe partial class SharedArena
{
    /// <summary>
    /// The physical extents a pin of this process holds, in node byte order: what the driver puts in
    /// its descriptors. Fails with <see cref="MemoryError.NotPinned"/> for an unknown, released or
    /// foreign pin.
    /// </summary>
    public MemoryResult<IReadOnlyList<PhysExtent>> PinExtents(SharedPin pin)
    {
        Enter();
        try
        {
            var check = CheckPin(pin);
            if (!check.IsOk)
            {
                return check;
            }

            var extents = new List<PhysExtent>();
            for (int e = I32(PinRec(pin.Id) + L.QExtentHead); e != 0; e = I32(ExtentRec(e) + L.ENext))
            {
                extents.Add(new PhysExtent((ulong)I64(ExtentRec(e) + L.EAddress), I32(ExtentRec(e) + L.ELength)));
            }

            return MemoryResult<IReadOnlyList<PhysExtent>>.Ok(extents);
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>
    /// Device side, as <see cref="MemoryManager.DmaRead"/>: the NIC reads <paramref name="extent"/>
    /// into <paramref name="destination"/> (at least as long). Allowed only while every page of the
    /// extent holds a pin (of any process) and some live node still references it: a page whose
    /// nodes were all lifted or popped fails with <see cref="MemoryError.InvalidGva"/>, so no frame
    /// carries bytes of a dead TS. Fails with <see cref="MemoryError.NotPinned"/>,
    /// <see cref="MemoryError.OutOfRange"/> for an extent outside the arena,
    /// <see cref="MemoryError.InvalidArgument"/> for a non-positive length or a short destination.
    /// Copies under the lock.
    /// </summary>
    public MemoryResult DmaRead(PhysExtent extent, Span<byte> destination) =>
        DmaRead(new ReadOnlySpan<PhysExtent>(in extent), destination);

    /// <summary>
    /// Device side, as <see cref="MemoryManager.DmaRead(ReadOnlySpan{PhysExtent}, Span{byte})"/>: the
    /// NIC gathers a frame's <paramref name="extents"/>, in order, into <paramref name="destination"/>
    /// with one lock and one check pass. All or nothing: every extent is checked as by
    /// <see cref="DmaRead(PhysExtent, Span{byte})"/> before any byte is copied, and the first failing
    /// extent's error is returned. An empty list reads nothing; a destination shorter than the
    /// extents' sum is <see cref="MemoryError.InvalidArgument"/>.
    /// </summary>
    public MemoryResult DmaRead(ReadOnlySpan<PhysExtent> extents, Span<byte> destination)
    {
        long total = 0;
        foreach (var extent in extents)
        {
            total += extent.Length;
        }

        if (destination.Length < total)
        {
            return MemoryResult.Fail(MemoryError.InvalidArgument, $"destination of {destination.Length} bytes is shorter than {extents.Length} extents of {total} bytes");
        }

        if (extents.IsEmpty)
        {
            return MemoryResult.Ok;
        }

        Enter();
        try
        {
            foreach (var extent in extents)
            {
                var check = CheckDma(extent);
                if (!check.IsOk)
                {
                    return check;
                }
            }

            int done = 0;
            foreach (var extent in extents)
            {
                new ReadOnlySpan<byte>(_data + (long)extent.Address, extent.Length).CopyTo(destination[done..]);
                done += extent.Length;
            }

            return MemoryResult.Ok;
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>
    /// Device side, as <see cref="MemoryManager.DmaWrite"/>: the NIC writes <paramref name="source"/>
    /// (exactly the extent's length) into <paramref name="extent"/>. Same rules and failures as
    /// <see cref="DmaRead(PhysExtent, Span{byte})"/>; a source of another length is
    /// <see cref="MemoryError.InvalidArgument"/>.
    /// </summary>
    public MemoryResult DmaWrite(PhysExtent extent, ReadOnlySpan<byte> source)
    {
        if (source.Length != extent.Length)
        {
            return MemoryResult.Fail(MemoryError.InvalidArgument, $"source of {source.Length} bytes does not fit {extent}");
        }

        Enter();
        try
        {
            var check = CheckDma(extent);
            if (check.IsOk)
            {
                source.CopyTo(new Span<byte>(_data + (long)extent.Address, extent.Length));
            }

            return check;
        }
        finally
        {
            Leave();
        }
    }

    private MemoryResult CheckDma(PhysExtent extent)
    {
        if (extent.Length <= 0)
        {
            return MemoryResult.Fail(MemoryError.InvalidArgument, $"{extent} is empty");
        }

        ulong arenaSize = (ulong)_layout.PageCount * (ulong)_layout.PageSize;
        if (extent.Address >= arenaSize || (ulong)extent.Length > arenaSize - extent.Address)
        {
            return MemoryResult.Fail(MemoryError.OutOfRange, $"{extent} lies outside the arena");
        }

        int first = (int)(extent.Address >> _pageShift);
        int last = (int)((extent.End - 1) >> _pageShift);
        for (int pfn = first; pfn <= last; pfn++)
        {
            long page = PageRec(pfn);
            if (I32(page + L.GPins) == 0)
            {
                return MemoryResult.Fail(MemoryError.NotPinned, $"page {pfn} of {extent} is not pinned for DMA");
            }

            if (I32(page + L.GRefs) == 0)
            {
                return MemoryResult.Fail(MemoryError.InvalidGva, $"page {pfn} of {extent} was lifted or freed; only a DMA pin holds it");
            }
        }

        return MemoryResult.Ok;
    }
}
