using System.Runtime.CompilerServices;
using Edsos.Memory.Shared;

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
        return _disposed ? Disposed() : _arena.Translate(caller, gva, length, needed);
    }

    /// <summary>
    /// The GVA, length and extent count of the caller's node: the same check as
    /// <see cref="Inspect"/> (no right needed) and the same failures, without allocating a snapshot.
    /// </summary>
    public MemoryResult<NodeLocation> Locate(TsId caller, Capability cap)
    {
        return _disposed ? Disposed() : _arena.Locate(caller, cap);
    }

    /// <summary>A snapshot of the caller's node. Fails with the capability errors (no right needed).</summary>
    public MemoryResult<NodeInfo> Inspect(TsId caller, Capability cap)
    {
        return _disposed ? Disposed() : _arena.Inspect(caller, cap);
    }

    /// <summary>
    /// Copies node bytes [<paramref name="offset"/>, +destination length) into
    /// <paramref name="destination"/>; the bytes are counted under <paramref name="kind"/>.
    /// Needs Read. Fails with the capability errors, <see cref="MemoryError.OutOfRange"/> when the
    /// range leaves the node, <see cref="MemoryError.InvalidArgument"/> for an unknown kind;
    /// nothing is copied on failure.
    /// </summary>
    public MemoryResult Read(TsId caller, Capability cap, int offset, Span<byte> destination, CopyKind kind)
    {
        var valid = CheckKind(kind);
        if (!valid.IsOk)
        {
            return valid;
        }

        var read = _arena.Read(caller, cap, offset, destination);
        if (read.IsOk)
        {
            CountCopy(kind, destination.Length);
            JournalCopy(caller, kind, destination.Length);
        }

        return read;
    }

    /// <summary>
    /// Copies <paramref name="source"/> into node bytes from <paramref name="offset"/>; the bytes
    /// are counted under <paramref name="kind"/>. Needs Write. Each touched page still referenced
    /// elsewhere (for example by a CTRN TCP keeps for retransmission) is first copied into a fresh
    /// page for this node only (copy-on-write, counted in <see cref="MemoryCounters.CowBytesCopied"/>),
    /// so sharers keep the old bytes. Fails with the capability errors,
    /// <see cref="MemoryError.OutOfRange"/>, <see cref="MemoryError.InvalidArgument"/> for an
    /// unknown kind, or <see cref="MemoryError.OutOfMemory"/> when no page is left for a
    /// copy-on-write (nothing written then).
    /// </summary>
    public MemoryResult Write(TsId caller, Capability cap, int offset, ReadOnlySpan<byte> source, CopyKind kind)
    {
        var valid = CheckKind(kind);
        if (!valid.IsOk)
        {
            return valid;
        }

        var written = _arena.Write(caller, cap, offset, source);
        if (written.IsOk)
        {
            CountCopy(kind, source.Length);
            JournalCopy(caller, kind, source.Length);
        }

        return written;
    }

    /// <summary>
    /// Zero-copy read: calls <paramref name="visitor"/> once per physically contiguous segment of
    /// node bytes [<paramref name="offset"/>, +<paramref name="length"/>), in order, over the
    /// arena bytes themselves (checksums over scatter lists, header parsing), outside the lock
    /// (the visitor may call back into the manager). Nothing is counted as copied. Needs Read.
    /// Fails with the capability errors, <see cref="MemoryError.OutOfRange"/>; the visitor is not
    /// called on failure. An exception thrown by the visitor propagates after the temporary pin is
    /// released.
    /// </summary>
    public MemoryResult Visit<TState>(TsId caller, Capability cap, int offset, int length, ref TState state, SegmentVisitor<TState> visitor)
    {
        ArgumentNullException.ThrowIfNull(visitor);
        return _disposed ? Disposed() : _arena.Visit(caller, cap, offset, length, ref state, visitor);
    }

    /// <summary>
    /// Whether the caller's node is the only holder of its pages: each page referenced by this node alone, pinned
    /// exactly <paramref name="pins"/> times (the caller's own pins), under no temporary access. A driver recycling an
    /// RX buffer asks it before the device writes there again: true means every CTRN and DMA pin taken from the
    /// buffer since it was last written is gone. Fails with the capability errors.
    /// </summary>
    public MemoryResult<bool> IsSoleHolder(TsId caller, Capability cap, int pins) =>
        _disposed ? Disposed() : _arena.IsSoleHolder(caller, cap, pins);

    /// <summary>
    /// Writes in place: calls <paramref name="filler"/> once per physically contiguous segment of node bytes
    /// [<paramref name="offset"/>, +<paramref name="length"/>), in order, with the arena bytes themselves to write,
    /// outside the lock, so an app produces its data where it lives instead of in a staging array it then copies
    /// in. The bytes are counted under <paramref name="kind"/>, as by <see cref="Write"/> (they are written, once).
    /// Needs Write; copy-on-write as <see cref="Write"/>. Fails as <see cref="Write"/>; the filler is not called on
    /// failure.
    /// </summary>
    public MemoryResult Fill<TState>(TsId caller, Capability cap, int offset, int length, ref TState state, SegmentFiller<TState> filler, CopyKind kind)
    {
        ArgumentNullException.ThrowIfNull(filler);
        var valid = CheckKind(kind);
        if (!valid.IsOk)
        {
            return valid;
        }

        var filled = _arena.Fill(caller, cap, offset, length, ref state, filler);
        if (filled.IsOk)
        {
            CountCopy(kind, length);
            JournalCopy(caller, kind, length);
        }

        return filled;
    }

    /// <summary>
    /// Pins every page of the caller's node for DMA and returns its physical extents for the
    /// descriptors. The pages stay allocated until <see cref="Unpin"/>, even if the node is popped
    /// or lifted meanwhile. The pin belongs to this process. Needs Map. Fails with the capability
    /// errors, <see cref="MemoryError.OutOfMemory"/> when pin records run out.
    /// </summary>
    public MemoryResult<DmaPin> Pin(TsId caller, Capability cap)
    {
        if (_disposed)
        {
            return Disposed();
        }

        var pinned = _arena.Pin(caller, cap, out var extents);
        if (!pinned.IsOk)
        {
            return pinned.AsResult();
        }

        if (_observers.Length > 0 && _arena.TryDescribe(cap.NodeId, cap.Generation, MemoryOp.Pin, caller, out var record, out _))
        {
            Notify(record);
        }

        // The id carries the pin record and its generation, so a stale id never names a reused record.
        return MemoryResult<DmaPin>.Ok(new DmaPin(((ulong)pinned.Value.Generation << 32) | pinned.Value.Id, extents));
    }

    /// <summary>
    /// <see cref="Pin(TsId, Capability)"/> without the <see cref="DmaPin"/> record: returns the pin id
    /// (released with <see cref="Unpin"/>) and writes the pinned extents into the caller's
    /// <paramref name="extents"/>, which it replaces with a longer array only when that one is too
    /// short; the first <paramref name="count"/> entries are the pin's, valid until the caller reuses
    /// the array. A driver keeps one array per queue, so pinning a frame allocates nothing. Same rights
    /// and failures as <see cref="Pin(TsId, Capability)"/>; on failure <paramref name="count"/> is 0 and
    /// nothing is pinned.
    /// </summary>
    public MemoryResult<ulong> Pin(TsId caller, Capability cap, ref PhysExtent[] extents, out int count)
    {
        ArgumentNullException.ThrowIfNull(extents);
        count = 0;
        if (_disposed)
        {
            return Disposed();
        }

        var pinned = _arena.Pin(caller, cap, ref extents, out count);
        if (!pinned.IsOk)
        {
            return pinned.AsResult();
        }

        if (_observers.Length > 0 && _arena.TryDescribe(cap.NodeId, cap.Generation, MemoryOp.Pin, caller, out var record, out _))
        {
            Notify(record);
        }

        return MemoryResult<ulong>.Ok(((ulong)pinned.Value.Generation << 32) | pinned.Value.Id);
    }

    /// <summary>
    /// Releases a DMA pin of this process; pages no node references any more return to the free
    /// list now. Fails with <see cref="MemoryError.NotPinned"/> for an unknown, foreign or already
    /// released pin id.
    /// </summary>
    public MemoryResult Unpin(ulong pinId)
    {
        if (_disposed)
        {
            return Disposed();
        }

        var pin = new SharedPin((uint)pinId, (uint)(pinId >> 32), 0);
        int length = 0;
        ulong address = 0;
        bool observed = _observers.Length > 0 && _arena.TryDescribePin(pin, out length, out address);
        var unpinned = _arena.Unpin(pin);
        if (unpinned.IsOk && observed)
        {
            Notify(new MemoryOpRecord(MemoryOp.Unpin, TsId.None, 0, $"pin#{pinId}", TsId.None, default, length, _arena.PageRefCount(address)));
        }

        return unpinned;
    }

    /// <summary>
    /// <see cref="Unpin"/> of every pin id of <paramref name="pinIds"/>, in order, taking the arena's lock once for
    /// the batch. Each entry succeeds or fails on its own exactly as <see cref="Unpin"/> (an unknown, foreign or
    /// already released id changes nothing). Returns how many pins were released.
    /// </summary>
    [SkipLocalsInit]
    public int UnpinAll(ReadOnlySpan<ulong> pinIds)
    {
        if (_disposed)
        {
            return 0;
        }

        int unpinned = 0;
        if (_observers.Length > 0)
        {
            // Observed: one by one, so every unpin is journalled as Unpin journals it.
            foreach (ulong pinId in pinIds)
            {
                unpinned += Unpin(pinId).IsOk ? 1 : 0;
            }

            return unpinned;
        }

        // A lock per chunk of 64 (the pins on the stack).
        Span<Shared.SharedPin> pins = stackalloc Shared.SharedPin[UnpinChunk];
        for (int start = 0; start < pinIds.Length; start += UnpinChunk)
        {
            int count = Math.Min(UnpinChunk, pinIds.Length - start);
            for (int i = 0; i < count; i++)
            {
                ulong pinId = pinIds[start + i];
                pins[i] = new Shared.SharedPin((uint)pinId, (uint)(pinId >> 32), 0);
            }

            unpinned += _arena.UnpinAll(pins[..count]);
        }

        return unpinned;
    }

    /// <summary>
    /// Device side: the NIC reads <paramref name="extent"/> into <paramref name="destination"/>
    /// (which must be at least as long). Allowed only while every page of the extent holds a DMA
    /// pin (of any process) and some live node still references it (a page whose nodes were all
    /// lifted or popped fails with <see cref="MemoryError.InvalidGva"/>). Counted as DMA, not as a
    /// CPU copy. Fails with <see cref="MemoryError.NotPinned"/>,
    /// <see cref="MemoryError.OutOfRange"/> for an extent outside the arena,
    /// <see cref="MemoryError.InvalidArgument"/> for a non-positive length or short destination.
    /// </summary>
    public MemoryResult DmaRead(PhysExtent extent, Span<byte> destination) =>
        DmaRead(new ReadOnlySpan<PhysExtent>(in extent), destination);

    /// <summary>
    /// Device side, one frame: the NIC gathers <paramref name="extents"/> (its descriptors' buffers,
    /// in order) into <paramref name="destination"/> in one call, one lock and one check pass,
    /// instead of one <see cref="DmaRead(PhysExtent, Span{byte})"/> per extent. All or nothing:
    /// every extent must pass that method's checks before a byte is copied; the first failure is
    /// returned (<see cref="MemoryError.NotPinned"/>, <see cref="MemoryError.InvalidGva"/>,
    /// <see cref="MemoryError.OutOfRange"/>, <see cref="MemoryError.InvalidArgument"/> for an empty
    /// extent or a destination shorter than their sum). Counted as DMA. An empty list reads nothing.
    /// </summary>
    public MemoryResult DmaRead(ReadOnlySpan<PhysExtent> extents, Span<byte> destination)
    {
        if (_disposed)
        {
            return Disposed();
        }

        var read = _arena.DmaRead(extents, destination);
        if (read.IsOk)
        {
            long bytes = 0;
            foreach (var extent in extents)
            {
                bytes += extent.Length;
            }

            Interlocked.Add(ref _dmaBytesRead, bytes);
        }

        return read;
    }

    /// <summary>
    /// Device side: the NIC writes <paramref name="source"/> (exactly the extent's length) into
    /// <paramref name="extent"/>. Same rules and failures as <see cref="DmaRead"/>; a source of
    /// another length is <see cref="MemoryError.InvalidArgument"/>. Counted as DMA.
    /// </summary>
    public MemoryResult DmaWrite(PhysExtent extent, ReadOnlySpan<byte> source)
    {
        if (_disposed)
        {
            return Disposed();
        }

        var written = _arena.DmaWrite(extent, source);
        if (written.IsOk)
        {
            Interlocked.Add(ref _dmaBytesWritten, extent.Length);
        }

        return written;
    }

    private MemoryResult CheckKind(CopyKind kind)
    {
        if (kind is not (CopyKind.Payload or CopyKind.Header or CopyKind.Metadata or CopyKind.Application))
        {
            return MemoryResult.Fail(MemoryError.InvalidArgument, $"unknown copy kind {kind}");
        }

        return _disposed ? Disposed() : MemoryResult.Ok;
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
}
