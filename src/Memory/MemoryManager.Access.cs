namespace Edsos.Memory;

/// <summary>Byte access: TLB check by GVA, inspection, accounted copies, zero-copy visits, DMA.</summary>
public sealed partial class MemoryManager
{
    /// <summary>
    /// The TLB check by GVA: the live node of <paramref name="caller"/> covering
    /// [<paramref name="gva"/>, +<paramref name="length"/>), with a capability carrying the node's
    /// rights. Fails with <see cref="MemoryError.InvalidGva"/> when the GVA is in another TS's
    /// space (how the KPN checks a user buffer belongs to the calling TS) or no live node contains
    /// it, <see cref="MemoryError.OutOfRange"/> when the range runs past that node,
    /// <see cref="MemoryError.RightsDenied"/> when the node lacks <paramref name="needed"/>,
    /// <see cref="MemoryError.InvalidArgument"/> for a non-positive length.
    /// </summary>
    public MemoryResult<GvaHit> Translate(TsId caller, Gva gva, int length, Rights needed)
    {
        lock (_gate)
        {
            var check = CheckLiveTs(caller, "caller");
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

            var ts = Ts(caller);
            if (!TryFindNode(ts, gva.Offset, out var node))
            {
                return MemoryResult<GvaHit>.Fail(MemoryError.InvalidGva, $"{gva} names no live node of {ts.Path}");
            }

            if ((ulong)length > node.GvaEnd - gva.Offset)
            {
                return MemoryResult<GvaHit>.Fail(MemoryError.OutOfRange, $"[{gva}+{length}) runs past the end of {node.Path}");
            }

            if (!IsSubset(needed, node.Rights))
            {
                return MemoryResult<GvaHit>.Fail(MemoryError.RightsDenied, $"{node.Path} lacks {needed & ~node.Rights}");
            }

            return MemoryResult<GvaHit>.Ok(new GvaHit(MintCurrent(node, node.Rights), (int)(gva.Offset - node.GvaBase)));
        }
    }

    /// <summary>
    /// The GVA, length and extent count of the caller's node: the same check as
    /// <see cref="Inspect"/> (no right needed) and the same failures, without allocating a snapshot.
    /// </summary>
    public MemoryResult<NodeLocation> Locate(TsId caller, Capability cap)
    {
        lock (_gate)
        {
            var resolved = Resolve(caller, cap, Rights.None, out var node);
            if (!resolved.IsOk)
            {
                return resolved;
            }

            return MemoryResult<NodeLocation>.Ok(new NodeLocation(Gva.Make(node.Owner, node.GvaBase), node.Length, node.Extents.Length));
        }
    }

    /// <summary>A snapshot of the caller's node. Fails with the capability errors (no right needed).</summary>
    public MemoryResult<NodeInfo> Inspect(TsId caller, Capability cap)
    {
        lock (_gate)
        {
            var resolved = Resolve(caller, cap, Rights.None, out var node);
            if (!resolved.IsOk)
            {
                return resolved;
            }

            return MemoryResult<NodeInfo>.Ok(new NodeInfo(
                node.Id,
                node.Path,
                node.Owner,
                Gva.Make(node.Owner, node.GvaBase),
                node.Length,
                node.Rights,
                node.IsCtrn,
                node.Origins.ToArray(),
                node.Extents.ToArray()));
        }
    }

    /// <summary>
    /// Copies node bytes [<paramref name="offset"/>, +destination length) into
    /// <paramref name="destination"/>; the bytes are counted under <paramref name="kind"/>.
    /// Needs Read. Fails with the capability errors, <see cref="MemoryError.OutOfRange"/> when the
    /// range leaves the node; nothing is copied on failure.
    /// </summary>
    public MemoryResult Read(TsId caller, Capability cap, int offset, Span<byte> destination, CopyKind kind)
    {
        var begun = BeginAccess(caller, cap, Rights.Read, offset, destination.Length, kind, cow: false, out var extents, out ulong pinId);
        if (!begun.IsOk)
        {
            return begun;
        }

        try
        {
            int done = 0;
            foreach (var extent in extents)
            {
                _backing.Slice(extent.Address, extent.Length).CopyTo(destination.Slice(done, extent.Length));
                done += extent.Length;
            }

            CountCopy(kind, done);
            JournalCopy(caller, kind, done);
            return MemoryResult.Ok;
        }
        finally
        {
            EndAccess(pinId);
        }
    }

    /// <summary>
    /// Copies <paramref name="source"/> into node bytes from <paramref name="offset"/>; the bytes
    /// are counted under <paramref name="kind"/>. Needs Write. Each touched page still referenced
    /// elsewhere (for example by a CTRN TCP keeps for retransmission) is first copied into a fresh
    /// page for this node only (copy-on-write, counted in <see cref="MemoryCounters.CowBytesCopied"/>),
    /// so sharers keep the old bytes. Fails with the capability errors,
    /// <see cref="MemoryError.OutOfRange"/>, or <see cref="MemoryError.OutOfMemory"/> when no page
    /// is left for a copy-on-write (nothing written then).
    /// </summary>
    public MemoryResult Write(TsId caller, Capability cap, int offset, ReadOnlySpan<byte> source, CopyKind kind)
    {
        var begun = BeginAccess(caller, cap, Rights.Write, offset, source.Length, kind, cow: true, out var extents, out ulong pinId);
        if (!begun.IsOk)
        {
            return begun;
        }

        try
        {
            int done = 0;
            foreach (var extent in extents)
            {
                source.Slice(done, extent.Length).CopyTo(_backing.Slice(extent.Address, extent.Length));
                done += extent.Length;
            }

            CountCopy(kind, done);
            JournalCopy(caller, kind, done);
            return MemoryResult.Ok;
        }
        finally
        {
            EndAccess(pinId);
        }
    }

    /// <summary>
    /// Zero-copy read: calls <paramref name="visitor"/> once per physically contiguous segment of
    /// node bytes [<paramref name="offset"/>, +<paramref name="length"/>), in order, over the
    /// arena bytes themselves (checksums over scatter lists, header parsing). Nothing is counted as
    /// copied. Needs Read. Fails with the capability errors, <see cref="MemoryError.OutOfRange"/>;
    /// the visitor is not called on failure. An exception thrown by the visitor propagates after
    /// the temporary pin is released.
    /// </summary>
    public MemoryResult Visit<TState>(TsId caller, Capability cap, int offset, int length, ref TState state, SegmentVisitor<TState> visitor)
    {
        ArgumentNullException.ThrowIfNull(visitor);
        var begun = BeginAccess(caller, cap, Rights.Read, offset, length, CopyKind.Payload, cow: false, out var extents, out ulong pinId);
        if (!begun.IsOk)
        {
            return begun;
        }

        try
        {
            foreach (var extent in extents)
            {
                visitor(ref state, _backing.Slice(extent.Address, extent.Length));
            }

            return MemoryResult.Ok;
        }
        finally
        {
            EndAccess(pinId);
        }
    }

    /// <summary>
    /// Pins every page of the caller's node for DMA and returns its physical extents for the
    /// descriptors. The pages stay allocated until <see cref="Unpin"/>, even if the node is popped
    /// or lifted meanwhile. Needs Map. Fails with the capability errors.
    /// </summary>
    public MemoryResult<DmaPin> Pin(TsId caller, Capability cap)
    {
        lock (_gate)
        {
            var resolved = Resolve(caller, cap, Rights.Map, out var node);
            if (!resolved.IsOk)
            {
                return resolved;
            }

            ulong id = AddPin(node.Extents, dma: true);
            Journal(MemoryOp.Pin, caller, node);
            return MemoryResult<DmaPin>.Ok(new DmaPin(id, node.Extents.ToArray()));
        }
    }

    /// <summary>
    /// Releases a DMA pin; pages no node references any more return to the free list now. Fails
    /// with <see cref="MemoryError.NotPinned"/> for an unknown or already released pin id.
    /// </summary>
    public MemoryResult Unpin(ulong pinId)
    {
        lock (_gate)
        {
            if (!_pins.TryGetValue(pinId, out var pin) || !pin.Dma)
            {
                return MemoryResult.Fail(MemoryError.NotPinned, $"no DMA pin {pinId}");
            }

            RemovePin(pinId);
            JournalUnpin(pinId, pin);
            return MemoryResult.Ok;
        }
    }

    /// <summary>
    /// Device side: the NIC reads <paramref name="extent"/> into <paramref name="destination"/>
    /// (which must be at least as long). Allowed only while every page of the extent holds a DMA
    /// pin and some live node still references it (a page whose nodes were all lifted or popped
    /// fails with <see cref="MemoryError.InvalidGva"/>). Counted as DMA, not as a CPU copy. Fails with <see cref="MemoryError.NotPinned"/>,
    /// <see cref="MemoryError.OutOfRange"/> for an extent outside the arena,
    /// <see cref="MemoryError.InvalidArgument"/> for a non-positive length or short destination.
    /// </summary>
    public MemoryResult DmaRead(PhysExtent extent, Span<byte> destination)
    {
        if (destination.Length < extent.Length)
        {
            return MemoryResult.Fail(MemoryError.InvalidArgument, $"destination of {destination.Length} bytes is shorter than {extent}");
        }

        var begun = BeginDma(extent, out ulong pinId);
        if (!begun.IsOk)
        {
            return begun;
        }

        try
        {
            _backing.Slice(extent.Address, extent.Length).CopyTo(destination);
            Interlocked.Add(ref _dmaBytesRead, extent.Length);
            return MemoryResult.Ok;
        }
        finally
        {
            EndAccess(pinId);
        }
    }

    /// <summary>
    /// Device side: the NIC writes <paramref name="source"/> (exactly the extent's length) into
    /// <paramref name="extent"/>. Same rules and failures as <see cref="DmaRead"/>; a source of
    /// another length is <see cref="MemoryError.InvalidArgument"/>. Counted as DMA.
    /// </summary>
    public MemoryResult DmaWrite(PhysExtent extent, ReadOnlySpan<byte> source)
    {
        if (source.Length != extent.Length)
        {
            return MemoryResult.Fail(MemoryError.InvalidArgument, $"source of {source.Length} bytes does not fit {extent}");
        }

        var begun = BeginDma(extent, out ulong pinId);
        if (!begun.IsOk)
        {
            return begun;
        }

        try
        {
            source.CopyTo(_backing.Slice(extent.Address, extent.Length));
            Interlocked.Add(ref _dmaBytesWritten, extent.Length);
            return MemoryResult.Ok;
        }
        finally
        {
            EndAccess(pinId);
        }
    }

    private MemoryResult BeginAccess(TsId caller, Capability cap, Rights needed, int offset, int length, CopyKind kind, bool cow, out PhysExtent[] extents, out ulong pinId)
    {
        extents = [];
        pinId = 0;
        if (kind is not (CopyKind.Payload or CopyKind.Header or CopyKind.Metadata or CopyKind.Application))
        {
            return MemoryResult.Fail(MemoryError.InvalidArgument, $"unknown copy kind {kind}");
        }

        lock (_gate)
        {
            var resolved = Resolve(caller, cap, needed, out var node);
            if (!resolved.IsOk)
            {
                return resolved;
            }

            if (offset < 0 || length < 0 || length > node.Length - offset)
            {
                return MemoryResult.Fail(MemoryError.OutOfRange, $"[{offset}+{length}) is not inside {node.Path} of {node.Length} bytes");
            }

            if (length == 0)
            {
                return MemoryResult.Ok;
            }

            if (cow && !CopyOnWrite(node, offset, length))
            {
                return MemoryResult.Fail(MemoryError.OutOfMemory, $"no free page for copy-on-write in {node.Path}");
            }

            extents = ScatterList.Slice(node.Extents, offset, length);
            pinId = AddPin(extents, dma: false);
            return MemoryResult.Ok;
        }
    }

    private MemoryResult BeginDma(PhysExtent extent, out ulong pinId)
    {
        pinId = 0;
        if (extent.Length <= 0)
        {
            return MemoryResult.Fail(MemoryError.InvalidArgument, $"{extent} is empty");
        }

        lock (_gate)
        {
            if (_disposed)
            {
                return MemoryResult.Fail(MemoryError.Disposed, "memory manager disposed");
            }

            ulong arenaSize = (ulong)_pages.PageCount * (ulong)_pageSize;
            if (extent.Address >= arenaSize || (ulong)extent.Length > arenaSize - extent.Address)
            {
                return MemoryResult.Fail(MemoryError.OutOfRange, $"{extent} lies outside the arena");
            }

            var (first, last) = ScatterList.Pages(extent, _pageSize);
            for (int pfn = first; pfn <= last; pfn++)
            {
                if (_pages.DmaPinCount(pfn) == 0)
                {
                    return MemoryResult.Fail(MemoryError.NotPinned, $"page {pfn} of {extent} is not pinned for DMA");
                }

                // Held by a pin only: every node over it was lifted or popped. The pin keeps the
                // page from reuse, but its mapping is revoked (seed 000 4.3: the driver sees the
                // invalid GVA), so no frame carries bytes of a dead TS and no RX write lands in it.
                if (_pages.RefCount(pfn) == 0)
                {
                    return MemoryResult.Fail(MemoryError.InvalidGva, $"page {pfn} of {extent} was lifted or freed; only a DMA pin holds it");
                }
            }

            pinId = AddPin([extent], dma: false);
            return MemoryResult.Ok;
        }
    }

    private void EndAccess(ulong pinId)
    {
        if (pinId == 0)
        {
            return;
        }

        lock (_gate)
        {
            RemovePin(pinId);
        }
    }

    /// <summary>
    /// Gives the node private copies of the pages under [offset, offset + length) that are still
    /// referenced elsewhere. On page exhaustion the pages done so far stay private (same bytes,
    /// consistent bookkeeping) and false is returned. Must hold the lock.
    /// </summary>
    private bool CopyOnWrite(Node node, int offset, int length)
    {
        long writeStart = offset;
        long writeEnd = (long)offset + length;
        var rebuilt = new List<PhysExtent>(node.Extents.Length);
        bool changed = false;
        bool exhausted = false;
        Span<int> fresh = stackalloc int[1];
        long position = 0;
        foreach (var extent in node.Extents)
        {
            long extentStart = position;
            position += extent.Length;
            if (position <= writeStart || extentStart >= writeEnd || exhausted)
            {
                rebuilt.Add(extent);
                continue;
            }

            ulong run = extent.Address;
            ulong address = extent.Address;
            while (address < extent.End)
            {
                int pfn = (int)(address / (ulong)_pageSize);
                ulong pieceEnd = Math.Min((ulong)(pfn + 1) * (ulong)_pageSize, extent.End);
                long pieceStart = extentStart + (long)(address - extent.Address);
                long pieceStop = pieceStart + (long)(pieceEnd - address);
                bool touched = pieceStop > writeStart && pieceStart < writeEnd;
                if (touched && !exhausted && _pages.RefCount(pfn) > 1)
                {
                    if (!_pages.TryAllocate(fresh))
                    {
                        exhausted = true;
                    }
                    else
                    {
                        if (address > run)
                        {
                            rebuilt.Add(new PhysExtent(run, (int)(address - run)));
                        }

                        int pieceLength = (int)(pieceEnd - address);
                        ulong copyAddress = (ulong)fresh[0] * (ulong)_pageSize + address % (ulong)_pageSize;
                        _backing.Page(fresh[0]).Clear();
                        _backing.Slice(address, pieceLength).CopyTo(_backing.Slice(copyAddress, pieceLength));
                        Interlocked.Add(ref _cowBytes, pieceLength);

                        // The old page had other references, so this release never frees it.
                        _pages.Release(pfn);
                        rebuilt.Add(new PhysExtent(copyAddress, pieceLength));
                        run = pieceEnd;
                        changed = true;
                    }
                }

                address = pieceEnd;
            }

            if (extent.End > run)
            {
                rebuilt.Add(new PhysExtent(run, (int)(extent.End - run)));
            }
        }

        if (changed)
        {
            node.Extents = rebuilt.ToArray();
        }

        return !exhausted;
    }

    private ulong AddPin(PhysExtent[] extents, bool dma)
    {
        foreach (var extent in extents)
        {
            var (first, last) = ScatterList.Pages(extent, _pageSize);
            for (int pfn = first; pfn <= last; pfn++)
            {
                _pages.Pin(pfn, dma);
            }
        }

        ulong id = _nextPinId++;
        _pins.Add(id, new PinRecord(extents, dma));
        if (dma)
        {
            _dmaPinCount++;
        }

        return id;
    }

    private void RemovePin(ulong pinId)
    {
        var pin = _pins[pinId];
        _pins.Remove(pinId);
        if (pin.Dma)
        {
            _dmaPinCount--;
        }

        foreach (var extent in pin.Extents)
        {
            var (first, last) = ScatterList.Pages(extent, _pageSize);
            for (int pfn = first; pfn <= last; pfn++)
            {
                _pages.Unpin(pfn, pin.Dma);
            }
        }
    }

    private void CountCopy(CopyKind kind, int bytes)
    {
        switch (kind)
        {
            case CopyKind.Payload:
                Interlocked.Add(ref _payloadBytes, bytes);
                break;
            case CopyKind.Header:
                Interlocked.Add(ref _headerBytes, bytes);
                break;
            case CopyKind.Application:
                Interlocked.Add(ref _applicationBytes, bytes);
                break;
            default:
                Interlocked.Add(ref _metadataBytes, bytes);
                break;
        }
    }

    private bool TryFindNode(TsRecord ts, ulong offset, out Node node)
    {
        node = null!;
        var keys = ts.Index.Keys;
        int low = 0;
        int high = keys.Count - 1;
        int found = -1;
        while (low <= high)
        {
            int mid = low + ((high - low) / 2);
            if (keys[mid] <= offset)
            {
                found = mid;
                low = mid + 1;
            }
            else
            {
                high = mid - 1;
            }
        }

        if (found < 0)
        {
            return false;
        }

        node = _slots[(int)ts.Index.Values[found]].Node!;
        return offset < node.GvaEnd;
    }
}
