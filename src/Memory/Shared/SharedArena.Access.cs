using L = Edsos.Memory.Shared.SharedLayout;

namespace Edsos.Memory.Shared;

/// <summary>
/// Byte traffic outside the lock, as <see cref="MemoryManager"/> moves bytes: check and pin under
/// the lock, copy or visit without it, unpin under it. The temporary pin is a pin record of this
/// process, so a process killed mid-copy has it released by the survivors' reap, and a lift or pop
/// racing with the copy cannot free the pages under it.
/// </summary>
public sealed unsafe partial class SharedArena
{
    /// <summary>
    /// The TLB check for node bytes [<paramref name="offset"/>, +<paramref name="length"/>) with
    /// <paramref name="needed"/>, then (with <paramref name="copyOnWrite"/>, for a write) private
    /// copies of the touched pages still referenced elsewhere, then a temporary pin over the range:
    /// its extents stay allocated until <see cref="EndAccess"/>, whatever happens to the node. An
    /// empty range pins nothing. Fails with the capability errors, <see cref="MemoryError.OutOfRange"/>,
    /// <see cref="MemoryError.OutOfMemory"/> when pages (copy-on-write), pin or extent records run out.
    /// </summary>
    public MemoryResult<SharedAccess> BeginAccess(TsId caller, Capability cap, Rights needed, int offset, int length, bool copyOnWrite) =>
        BeginAccess(caller, cap, needed, offset, length, copyOnWrite, [], out _);

    /// <summary>
    /// <see cref="BeginAccess(TsId, Capability, Rights, int, int, bool)"/> that writes the extents into the caller's
    /// <paramref name="into"/> when they fit (<paramref name="count"/> of them; the result's list is then empty), so the
    /// byte paths of this class (a stack span) allocate nothing per access; <paramref name="count"/> is -1 when they did
    /// not fit and the result's list holds them.
    /// </summary>
    private MemoryResult<SharedAccess> BeginAccess(TsId caller, Capability cap, Rights needed, int offset, int length, bool copyOnWrite, Span<PhysExtent> into, out int count)
    {
        count = 0;
        Enter();
        try
        {
            var check = CheckRange(caller, cap, needed, offset, length, out long node);
            if (!check.IsOk)
            {
                return check;
            }

            if (length == 0)
            {
                return MemoryResult<SharedAccess>.Ok(new SharedAccess(0, 0, []));
            }

            if (copyOnWrite && !CopyOnWrite(node, offset, length))
            {
                return MemoryResult<SharedAccess>.Fail(MemoryError.OutOfMemory, $"no free page or extent record for copy-on-write in {NodePath(node)}");
            }

            int free = I32(L.HFreePinCount);
            if (free == 0)
            {
                return MemoryResult<SharedAccess>.Fail(MemoryError.OutOfMemory, $"pin table full ({_layout.MaxPins})");
            }

            uint id = (uint)I32(_layout.FreePinStack + (4L * (free - 1)));
            Derive32(L.HFreePinCount, free - 1);
            long pin = PinRec(id);
            int head = CopySlice(I32(node + L.NExtentHead), offset, length, L.GTemp, "access", out int extentCount, out _);
            if (head == 0)
            {
                return MemoryResult<SharedAccess>.Fail(MemoryError.OutOfMemory, "no free extent record");
            }

            Init32(pin + L.QOwnerProc, _procSlot);
            Init32(pin + L.QTemp, 1);
            Init32(pin + L.QLength, length);
            Init32(pin + L.QExtentHead, head);
            Init32(pin + L.QExtentCount, extentCount);
            Set32(pin + L.QState, 1);
            Commit();
            bool fits = extentCount <= into.Length;
            var extents = fits ? [] : new PhysExtent[extentCount];
            var target = fits ? into : extents.AsSpan();
            int i = 0;
            for (int e = head; e != 0; e = I32(ExtentRec(e) + L.ENext))
            {
                target[i++] = new PhysExtent((ulong)I64(ExtentRec(e) + L.EAddress), I32(ExtentRec(e) + L.ELength));
            }

            count = fits ? extentCount : -1;
            return MemoryResult<SharedAccess>.Ok(new SharedAccess(id, U32(pin + L.QGeneration), extents));
        }
        finally
        {
            Leave();
        }
    }

    // Extents an access of this class's byte paths keeps on the stack; more (a badly fragmented range) take an array.
    private const int AccessExtentsOnStack = 16;

    /// <summary>The extents of an access begun with a stack span: that span's first <paramref name="count"/>, or the access's own list.</summary>
    private static ReadOnlySpan<PhysExtent> ExtentsOf(in SharedAccess access, Span<PhysExtent> local, int count) =>
        count >= 0 ? local[..count] : (PhysExtent[])access.Extents;

    /// <summary>
    /// Ends an access: its temporary pin goes, and pages nothing else holds return to the free
    /// stack. An empty access is a no-op. <see cref="MemoryError.NotPinned"/> for an access already
    /// ended, or not this process's.
    /// </summary>
    public MemoryResult EndAccess(SharedAccess access)
    {
        if (access.PinId == 0)
        {
            return MemoryResult.Ok;
        }

        Enter();
        try
        {
            long rec = access.PinId < _layout.MaxPins ? PinRec(access.PinId) : 0;
            if (rec == 0 || I32(rec + L.QState) != 1 || U32(rec + L.QGeneration) != access.Generation || I32(rec + L.QOwnerProc) != _procSlot || I32(rec + L.QTemp) != 1)
            {
                return MemoryResult.Fail(MemoryError.NotPinned, $"access pin {access.PinId}#{access.Generation} is ended or not this process's");
            }

            ReleasePin(access.PinId);
            Commit();
            return MemoryResult.Ok;
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>
    /// Zero-copy read, as <see cref="MemoryManager.Visit{TState}"/>: calls <paramref name="visitor"/>
    /// once per physically contiguous segment of node bytes [<paramref name="offset"/>,
    /// +<paramref name="length"/>), in order, over the arena bytes themselves, outside the lock (the
    /// visitor may call back into the arena). Needs Read. Fails with the capability errors,
    /// <see cref="MemoryError.OutOfRange"/>, <see cref="MemoryError.OutOfMemory"/> (no pin record);
    /// the visitor is not called on failure. An exception thrown by the visitor propagates after
    /// the temporary pin is released.
    /// </summary>
    public MemoryResult Visit<TState>(TsId caller, Capability cap, int offset, int length, ref TState state, SegmentVisitor<TState> visitor)
    {
        ArgumentNullException.ThrowIfNull(visitor);
        var sink = new VisitSink<TState>(ref state, visitor);
        return EachSegment(caller, cap, Rights.Read, offset, length, ref sink);
    }

    /// <summary>
    /// Writes in place: <paramref name="filler"/> gets each physically contiguous segment of node bytes
    /// [<paramref name="offset"/>, +<paramref name="length"/>), in order, to write, outside the lock, after the same
    /// checks and copy-on-write as <see cref="Write"/> (a page still shared elsewhere is first copied for this node,
    /// so sharers keep the old bytes). Needs Write. The filler is not called on failure; an exception it throws
    /// propagates after the temporary pin is released.
    /// </summary>
    public MemoryResult Fill<TState>(TsId caller, Capability cap, int offset, int length, ref TState state, SegmentFiller<TState> filler)
    {
        ArgumentNullException.ThrowIfNull(filler);
        var sink = new FillSink<TState>(ref state, filler);
        return EachSegment(caller, cap, Rights.Write, offset, length, ref sink);
    }

    /// <summary>
    /// The loop of every byte path that works outside the lock (<see cref="Visit"/>, <see cref="Fill"/>, and
    /// <see cref="Read"/> and <see cref="Write"/> above 4 KiB): begins an access for <paramref name="needed"/> (Write
    /// copies on write first), hands <paramref name="sink"/> each physically contiguous segment in order, and ends the
    /// access on every path (an exception from the sink propagates after it). The extents stay on the stack up to
    /// <see cref="AccessExtentsOnStack"/>. The sink is not called on failure.
    /// </summary>
    private MemoryResult EachSegment<TSink>(TsId caller, Capability cap, Rights needed, int offset, int length, ref TSink sink)
        where TSink : ISegmentSink, allows ref struct
    {
        Span<PhysExtent> local = stackalloc PhysExtent[AccessExtentsOnStack];
        var begun = BeginAccess(caller, cap, needed, offset, length, copyOnWrite: needed == Rights.Write, local, out int count);
        if (!begun.IsOk)
        {
            return begun.AsResult();
        }

        try
        {
            foreach (var extent in ExtentsOf(begun.Value, local, count))
            {
                sink.Take(Slice(extent));
            }

            return MemoryResult.Ok;
        }
        finally
        {
            EndAccess(begun.Value);
        }
    }

    /// <summary>What <see cref="EachSegment"/> hands each segment of an access to.</summary>
    private interface ISegmentSink
    {
        void Take(Span<byte> segment);
    }

    private ref struct VisitSink<TState>(ref TState state, SegmentVisitor<TState> visitor) : ISegmentSink
    {
        private ref TState _state = ref state;

        public void Take(Span<byte> segment)
        {
            Hook("visit");
            visitor(ref _state, segment);
        }
    }

    private ref struct FillSink<TState>(ref TState state, SegmentFiller<TState> filler) : ISegmentSink
    {
        private ref TState _state = ref state;

        public void Take(Span<byte> segment)
        {
            Hook("fill");
            filler(ref _state, segment);
        }
    }

    /// <summary>Copies a source into the segments in order (<see cref="Write"/>).</summary>
    private ref struct CopyInSink(ReadOnlySpan<byte> source) : ISegmentSink
    {
        private ReadOnlySpan<byte> _rest = source;

        public void Take(Span<byte> segment)
        {
            _rest[..segment.Length].CopyTo(segment);
            _rest = _rest[segment.Length..];
        }
    }

    /// <summary>Copies the segments in order into a destination (<see cref="Read"/>).</summary>
    private ref struct CopyOutSink(Span<byte> destination) : ISegmentSink
    {
        private Span<byte> _rest = destination;

        public void Take(Span<byte> segment)
        {
            segment.CopyTo(_rest);
            _rest = _rest[segment.Length..];
        }
    }

    /// <summary>
    /// The arena bytes of a physical extent (what an access or a pin returned), for copies outside
    /// the lock. Holds no lock and checks no capability: the caller holds an access or pin over it.
    /// Throws <see cref="ArgumentOutOfRangeException"/> for an extent outside the data pages.
    /// </summary>
    public Span<byte> Slice(PhysExtent extent)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ulong size = (ulong)_layout.PageCount * (ulong)_layout.PageSize;
        if (extent.Length < 0 || extent.Address > size || (ulong)extent.Length > size - extent.Address)
        {
            throw new ArgumentOutOfRangeException(nameof(extent), $"{extent} lies outside the arena's {size} bytes");
        }

        return new Span<byte>(_data + (long)extent.Address, extent.Length);
    }
}
