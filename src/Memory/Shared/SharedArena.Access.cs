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
        Span<PhysExtent> local = stackalloc PhysExtent[AccessExtentsOnStack];
        var begun = BeginAccess(caller, cap, Rights.Read, offset, length, copyOnWrite: false, local, out int count);
        if (!begun.IsOk)
        {
            return begun.AsResult();
        }

        try
        {
            foreach (var extent in ExtentsOf(begun.Value, local, count))
            {
                Hook("visit");
                visitor(ref state, Slice(extent));
            }

            return MemoryResult.Ok;
        }
        finally
        {
            EndAccess(begun.Value);
        }
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
        Span<PhysExtent> local = stackalloc PhysExtent[AccessExtentsOnStack];
        var begun = BeginAccess(caller, cap, Rights.Write, offset, length, copyOnWrite: true, local, out int count);
        if (!begun.IsOk)
        {
            return begun.AsResult();
        }

        try
        {
            foreach (var extent in ExtentsOf(begun.Value, local, count))
            {
                Hook("fill");
                filler(ref state, Slice(extent));
            }

            return MemoryResult.Ok;
        }
        finally
        {
            EndAccess(begun.Value);
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
