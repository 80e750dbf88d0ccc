using L = Edsos.Memory.Shared.SharedLayout;

namespace Edsos.Memory.Shared;

/// <summary>DMA pins: the device side reads the very pages a node (possibly another process's) covers.</summary>
public sealed unsafe partial class SharedArena
{
    /// <summary>
    /// Pins the caller's node for DMA (needs Map). The pin belongs to this process: it outlives
    /// a pop or lift of the node (the pages stay allocated) and is released by
    /// <see cref="Unpin"/> or, if this process dies, by the survivors. Fails with the capability
    /// errors or <see cref="MemoryError.OutOfMemory"/> when the pin table is full.
    /// </summary>
    public MemoryResult<SharedPin> Pin(TsId caller, Capability cap)
    {
        PhysExtent[]? none = null;
        return Pin(caller, cap, wantExtents: false, ref none, out _);
    }

    /// <summary>
    /// <see cref="Pin(TsId, Capability)"/> that also returns the pinned extents, in the same
    /// transaction: what a driver puts in its descriptors (the manager's <c>DmaPin</c>).
    /// </summary>
    internal MemoryResult<SharedPin> Pin(TsId caller, Capability cap, out PhysExtent[] extents)
    {
        PhysExtent[]? exact = null;
        var pinned = Pin(caller, cap, wantExtents: true, ref exact, out _);
        extents = exact ?? [];
        return pinned;
    }

    /// <summary>
    /// <see cref="Pin(TsId, Capability)"/> that writes the pinned extents into the caller's
    /// <paramref name="extents"/>, replaced by a longer array only when it is too short (a driver
    /// keeps one per queue, so a frame's pin allocates nothing); the first <paramref name="count"/>
    /// entries are the pin's.
    /// </summary>
    internal MemoryResult<SharedPin> Pin(TsId caller, Capability cap, ref PhysExtent[] extents, out int count)
    {
        PhysExtent[]? reused = extents;
        var pinned = Pin(caller, cap, wantExtents: true, ref reused, out count);
        extents = reused!;
        return pinned;
    }

    // buffer: null asks for an array of exactly the pin's extents; a given one is reused when long enough.
    private MemoryResult<SharedPin> Pin(TsId caller, Capability cap, bool wantExtents, ref PhysExtent[]? buffer, out int extentCount)
    {
        extentCount = 0;
        Enter();
        try
        {
            var check = CheckCap(caller, cap, Rights.Map, out long node);
            if (!check.IsOk)
            {
                return check;
            }

            int free = I32(L.HFreePinCount);
            if (free == 0)
            {
                return MemoryResult<SharedPin>.Fail(MemoryError.OutOfMemory, $"pin table full ({_layout.MaxPins})");
            }

            uint id = (uint)I32(_layout.FreePinStack + (4L * (free - 1)));
            Derive32(L.HFreePinCount, free - 1);
            long pin = PinRec(id);
            int head = CopySlice(I32(node + L.NExtentHead), 0, I32(node + L.NLength), L.GPins, "pin", out int count, out _);
            if (head == 0)
            {
                return MemoryResult<SharedPin>.Fail(MemoryError.OutOfMemory, "no free extent record");
            }

            Init32(pin + L.QOwnerProc, _procSlot);
            Init32(pin + L.QTemp, 0);
            Init32(pin + L.QLength, I32(node + L.NLength));
            Init32(pin + L.QExtentHead, head);
            Init32(pin + L.QExtentCount, count);
            Set32(pin + L.QState, 1);
            Derive32(L.HLivePins, I32(L.HLivePins) + 1);
            Commit();
            if (wantExtents)
            {
                if (buffer is null || buffer.Length < count)
                {
                    buffer = new PhysExtent[buffer is null ? count : Math.Max(count, 2 * buffer.Length)];
                }

                int i = 0;
                for (int e = head; e != 0 && i < count; e = I32(ExtentRec(e) + L.ENext))
                {
                    buffer[i++] = new PhysExtent((ulong)I64(ExtentRec(e) + L.EAddress), I32(ExtentRec(e) + L.ELength));
                }

                extentCount = i;
            }

            return MemoryResult<SharedPin>.Ok(new SharedPin(id, U32(pin + L.QGeneration), I32(node + L.NLength)));
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>Releases a pin this process holds; pages no longer referenced are freed. <see cref="MemoryError.NotPinned"/> for an unknown, released or foreign pin.</summary>
    public MemoryResult Unpin(SharedPin pin)
    {
        Enter();
        try
        {
            return UnpinLocked(pin);
        }
        finally
        {
            Leave();
        }
    }

    /// <summary><see cref="Unpin"/>'s body, the lock held: one pin checked, released and committed on its own.</summary>
    private MemoryResult UnpinLocked(SharedPin pin)
    {
        var check = CheckPin(pin);
        if (!check.IsOk)
        {
            return check;
        }

        ReleasePin(pin.Id);
        Commit();
        return MemoryResult.Ok;
    }

    /// <summary>The device reads pinned bytes from <paramref name="offset"/>: the pages themselves, wherever the node was written.</summary>
    public MemoryResult DmaRead(SharedPin pin, int offset, Span<byte> destination)
    {
        Enter();
        try
        {
            var check = CheckPin(pin);
            if (!check.IsOk)
            {
                return check;
            }

            if (offset < 0 || (long)offset + destination.Length > pin.Length)
            {
                return MemoryResult.Fail(MemoryError.OutOfRange, $"[{offset}, +{destination.Length}) leaves a pin of {pin.Length} bytes");
            }

            CopyChain(I32(PinRec(pin.Id) + L.QExtentHead), offset, destination.Length, default, destination);
            return MemoryResult.Ok;
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>The physical address the device would DMA for pinned byte <paramref name="offset"/>.</summary>
    public MemoryResult<long> PinPhysicalAddress(SharedPin pin, int offset)
    {
        Enter();
        try
        {
            var check = CheckPin(pin);
            if (!check.IsOk)
            {
                return check;
            }

            if (offset < 0 || offset >= pin.Length)
            {
                return MemoryResult<long>.Fail(MemoryError.OutOfRange, $"{offset} outside a pin of {pin.Length} bytes");
            }

            return MemoryResult<long>.Ok(ChainAddress(I32(PinRec(pin.Id) + L.QExtentHead), offset));
        }
        finally
        {
            Leave();
        }
    }

    private MemoryResult CheckPin(SharedPin pin)
    {
        if (pin.Id == 0 || pin.Id >= _layout.MaxPins)
        {
            return MemoryResult.Fail(MemoryError.NotPinned, $"no pin {pin.Id}");
        }

        long rec = PinRec(pin.Id);
        if (I32(rec + L.QState) != 1 || U32(rec + L.QGeneration) != pin.Generation || I32(rec + L.QOwnerProc) != _procSlot || I32(rec + L.QTemp) != 0)
        {
            return MemoryResult.Fail(MemoryError.NotPinned, $"pin {pin.Id}#{pin.Generation} is released, held by another process or not a DMA pin");
        }

        return MemoryResult.Ok;
    }

    private void ReleasePin(uint id)
    {
        long pin = PinRec(id);
        bool temporary = I32(pin + L.QTemp) != 0;
        int counter = temporary ? L.GTemp : L.GPins;
        bool first = true;
        for (int e = I32(pin + L.QExtentHead); e != 0;)
        {
            // Last page first, as DropExtents: pages freed here go out again in ascending order.
            var (from, to) = SpannedPages(ExtentRec(e));
            for (int pfn = to; pfn >= from; pfn--)
            {
                long page = PageRec(pfn);
                Derive32(page + counter, I32(page + counter) - 1);
                TryFreePage(pfn);
                if (first)
                {
                    first = false;
                    Hook(temporary ? "endaccess" : "unpin");
                }
            }

            int next = I32(ExtentRec(e) + L.ENext);
            FreeExtent(e);
            e = next;
        }

        // Pin generations may wrap: a pin handle never leaves its process, so a wrap needs 2^32 pins of one record in one process's life.
        Set32(pin + L.QGeneration, (int)(U32(pin + L.QGeneration) + 1));
        Set32(pin + L.QState, 0);
        if (!temporary)
        {
            Derive32(L.HLivePins, I32(L.HLivePins) - 1);
        }

        int free = I32(L.HFreePinCount);
        Derive32(_layout.FreePinStack + (4L * free), (int)id);
        Derive32(L.HFreePinCount, free + 1);
    }
}
