using System.Runtime.CompilerServices;

namespace Edsos.Memory;

/// <summary>Node lifecycle: push, ct_share, divide, merge, pop, grant, restrict, revoke, lift.</summary>
public sealed partial class MemoryManager
{
    /// <summary>
    /// Allocates <paramref name="length"/> zeroed bytes (whole pages) as a new node named
    /// <paramref name="name"/> in <paramref name="caller"/>'s TS at a fresh page-aligned GVA; the
    /// node's origin is the caller. Returns a capability with <paramref name="rights"/>. Fails with
    /// <see cref="MemoryError.NoSuchTs"/>/<see cref="MemoryError.TsExited"/> for a bad caller,
    /// <see cref="MemoryError.InvalidArgument"/> for a non-positive length or malformed name, and
    /// <see cref="MemoryError.OutOfMemory"/> when pages, records or GVA space run out (nothing allocated).
    /// </summary>
    public MemoryResult<Capability> Push(TsId caller, string name, int length, Rights rights = Rights.All, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        // The name is checked by the arena, once per name string (its cache of encoded names), not per push here.
        if (RefusePush(name, length, rights) is { } refused)
        {
            return refused;
        }

        var pushed = _arena.Push(caller, name, length, rights);
        return Made(pushed, MemoryOp.Push, caller, file, line);
    }

    /// <summary>
    /// The checks every push form makes before the arena's (which checks the name, once per name string): a positive
    /// length and known rights, a live manager, and no more pages than the arena has. Null when they pass.
    /// </summary>
    private MemoryResult<Capability>? RefusePush(string name, int length, Rights rights)
    {
        if (length <= 0 || (rights & ~Rights.All) != 0)
        {
            return MemoryResult<Capability>.Fail(MemoryError.InvalidArgument, $"push needs a positive length, a valid name and known rights (length {length}, name '{name}')");
        }

        if (_disposed)
        {
            return Disposed();
        }

        if ((length + (long)_pageSize - 1) / _pageSize > _arena.PageCount)
        {
            return MemoryResult<Capability>.Fail(MemoryError.OutOfMemory, $"push of {length} bytes needs more pages than the arena's {_arena.PageCount}");
        }

        return null;
    }

    /// <summary>
    /// <see cref="Push"/> and a <see cref="Write"/> of <paramref name="bytes"/> at <paramref name="offset"/> of the
    /// new node as one operation (one lock, one check): a transport's header node made and filled per datagram.
    /// The write is counted as <paramref name="kind"/> bytes copied, as the separate write would be. Fails with
    /// push's errors, <see cref="MemoryError.OutOfRange"/> for a range outside the node, and an unknown kind's;
    /// nothing is made on failure.
    /// </summary>
    public MemoryResult<Capability> PushWith(TsId caller, string name, int length, int offset, ReadOnlySpan<byte> bytes, CopyKind kind, Rights rights = Rights.All, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        var valid = CheckKind(kind);
        if (!valid.IsOk)
        {
            return MemoryResult<Capability>.Fail(valid.Error, valid.Detail);
        }

        if (RefusePush(name, length, rights) is { } refused)
        {
            return refused;
        }

        var made = Made(_arena.PushWith(caller, name, length, offset, bytes, rights), MemoryOp.Push, caller, file, line);
        if (made.IsOk)
        {
            CountCopy(kind, bytes.Length);
            JournalCopy(caller, kind, bytes.Length);
        }

        return made;
    }

    /// <summary>
    /// <see cref="Push"/> without zeroing the bytes, for a receive buffer a device overwrites before anything reads
    /// it (the NIC driver's RX blocks: zeroing 128 KiB under the arena lock per block of 32 buffers cost more than
    /// the frames' own memory operations). The bytes are whatever the pages last held, possibly another TS's data:
    /// the caller reads or shares only bytes the device wrote. Same checks and failures as <see cref="Push"/>.
    /// </summary>
    public MemoryResult<Capability> PushUnzeroed(TsId caller, string name, int length, Rights rights = Rights.All, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        if (RefusePush(name, length, rights) is { } refused)
        {
            return refused;
        }

        return Made(_arena.PushUnzeroed(caller, name, length, rights), MemoryOp.Push, caller, file, line);
    }

    /// <summary>
    /// ct_share: mounts bytes [<paramref name="gva"/>, +<paramref name="length"/>) of the caller's
    /// node <paramref name="source"/> as a CTRN named <paramref name="name"/> under
    /// <paramref name="target"/>, at a fresh GVA in the target's space, over the same physical
    /// extents (each page spanned gains a reference). The CTRN inherits the source's origins, so
    /// the exit of any of them revokes it. The source node stays. Fails with the capability
    /// errors, <see cref="MemoryError.RightsDenied"/> without Share or when
    /// <paramref name="rights"/> exceed the source capability's,
    /// <see cref="MemoryError.KernelShareDenied"/> when a user caller shares kernel-originated
    /// memory, <see cref="MemoryError.InvalidGva"/> when the GVA is not in the caller's space,
    /// <see cref="MemoryError.OutOfRange"/> when the range leaves the node,
    /// <see cref="MemoryError.InvalidArgument"/> for the caller as target, a bad name or length,
    /// <see cref="MemoryError.NoSuchTs"/>/<see cref="MemoryError.TsExited"/> for a bad target.
    /// </summary>
    public MemoryResult<Capability> CtShare(TsId caller, Capability source, Gva gva, int length, TsId target, string name, Rights rights, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        if (_disposed)
        {
            return Disposed();
        }

        return Made(_arena.CtShare(caller, source, gva, length, target, name, rights), MemoryOp.CtShare, caller, file, line);
    }

    /// <summary>
    /// ct_share of bytes [<paramref name="offset"/>, +<paramref name="length"/>) of the caller's node
    /// <paramref name="source"/>: the same operation as the GVA form, with the node's GVA found under the
    /// same lock (a receive path that only knows the offset saves a <see cref="Locate"/>). Fails as the
    /// GVA form, and with <see cref="MemoryError.OutOfRange"/> for a negative offset or one past the node.
    /// </summary>
    public MemoryResult<Capability> CtShare(TsId caller, Capability source, int offset, int length, TsId target, string name, Rights rights, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        if (_disposed)
        {
            return Disposed();
        }

        return Made(_arena.CtShare(caller, source, offset, length, target, name, rights), MemoryOp.CtShare, caller, file, line);
    }

    /// <summary>
    /// ct_share as the GVA form, the CTRN named <paramref name="namePrefix"/> followed by <paramref name="nameNumber"/>
    /// in decimal (<c>"send_q/"</c> and 42: <c>send_q/42</c>, the same name and bytes as that string), without the
    /// string: a data path that names each share after its request allocates nothing for the name and has it
    /// validated once per prefix. Fails as the GVA form (<see cref="MemoryError.InvalidArgument"/> for a prefix that
    /// makes no valid name, or one too long with the number).
    /// </summary>
    public MemoryResult<Capability> CtShare(TsId caller, Capability source, Gva gva, int length, TsId target, string namePrefix, ulong nameNumber, Rights rights, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        if (_disposed)
        {
            return Disposed();
        }

        return Made(_arena.CtShare(caller, source, gva, length, target, namePrefix, nameNumber, rights), MemoryOp.CtShare, caller, file, line);
    }

    /// <summary>ct_share by byte offset, named <paramref name="namePrefix"/> followed by <paramref name="nameNumber"/> in decimal; see the GVA form's numbered overload.</summary>
    public MemoryResult<Capability> CtShare(TsId caller, Capability source, int offset, int length, TsId target, string namePrefix, ulong nameNumber, Rights rights, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        if (_disposed)
        {
            return Disposed();
        }

        return Made(_arena.CtShare(caller, source, offset, length, target, namePrefix, nameNumber, rights), MemoryOp.CtShare, caller, file, line);
    }

    /// <summary>
    /// Splits the caller's node at <paramref name="offset"/> into a head [0, offset) and a tail
    /// [offset, length) over the same extents, with the same owner, origins, CTRN-ness and node
    /// rights; the head keeps the first GVA, the tail starts at first GVA + offset. Consumes the
    /// node (its capabilities go stale). Both capabilities carry the presented capability's
    /// rights. Fails with the capability errors and <see cref="MemoryError.OutOfRange"/> unless
    /// 0 &lt; offset &lt; length.
    /// </summary>
    public MemoryResult<(Capability Head, Capability Tail)> Divide(TsId caller, Capability node, int offset, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        if (_disposed)
        {
            return Disposed();
        }

        var observed = Before(MemoryOp.Divide, caller, node, out ulong address);
        var divided = _arena.Divide(caller, node, offset);
        if (divided.IsOk)
        {
            Place(divided.Value.Head, file, line);
            Place(divided.Value.Tail, file, line);
            After(observed, address);
        }

        return divided;
    }

    /// <summary>
    /// Joins two of the caller's nodes into one named <paramref name="name"/> at a fresh GVA whose
    /// scatter list is <paramref name="a"/>'s extents then <paramref name="b"/>'s, without copying
    /// (header + payload = the skb node). Origins are the union; the result is a CTRN if either
    /// part was; node and capability rights are the intersections. Consumes both. Fails with the
    /// capability errors, <see cref="MemoryError.InvalidArgument"/> for the same node twice, a bad
    /// name or a combined length over 2 GiB, <see cref="MemoryError.OutOfMemory"/> for GVA space
    /// or records (more than 20 origins).
    /// </summary>
    public MemoryResult<Capability> Merge(TsId caller, Capability a, Capability b, string name, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        if (_disposed)
        {
            return Disposed();
        }

        return Made(_arena.Merge(caller, a, b, name), MemoryOp.Merge, caller, file, line);
    }

    /// <summary>
    /// Unmounts the caller's node: its capabilities go stale, each page it spans loses a reference
    /// and returns to the free list at zero unless a pin holds it. Fails with the capability errors.
    /// </summary>
    public MemoryResult Pop(TsId caller, Capability node)
    {
        if (_disposed)
        {
            return Disposed();
        }

        if (_observers.Length == 0)
        {
            return _arena.Pop(caller, node);
        }

        var observed = Before(MemoryOp.Pop, caller, node, out ulong address);
        var popped = _arena.Pop(caller, node);
        if (popped.IsOk)
        {
            After(observed, address);
        }

        return popped;
    }

    /// <summary>
    /// Receive-side hand-over ("a received buffer becomes the app's"): consumes the caller's node
    /// and mounts its extents as an ordinary node named <paramref name="name"/> owned by
    /// <paramref name="target"/>, at a fresh GVA, whose only origin is the target. The target may
    /// then read it and share it again, and an exit of the giver no longer revokes it. Needs Share.
    /// Fails like <see cref="CtShare"/> (rights beyond the capability's, kernel memory from a user
    /// caller, bad target or name).
    /// </summary>
    public MemoryResult<Capability> Grant(TsId caller, Capability node, TsId target, string name, Rights rights, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        if (_disposed)
        {
            return Disposed();
        }

        return Made(_arena.Grant(caller, node, target, name, rights), MemoryOp.Grant, caller, file, line);
    }

    /// <summary>
    /// <see cref="Grant(TsId, Capability, TsId, string, Rights, string, int)"/> naming the node
    /// <paramref name="namePrefix"/> followed by <paramref name="nameNumber"/> in decimal (the same name as that
    /// string), without making the string: a receive path names each delivery after its sequence number and
    /// allocates nothing for it. Fails as the string form.
    /// </summary>
    public MemoryResult<Capability> Grant(TsId caller, Capability node, TsId target, string namePrefix, ulong nameNumber, Rights rights, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        if (_disposed)
        {
            return Disposed();
        }

        return Made(_arena.Grant(caller, node, target, namePrefix, nameNumber, rights), MemoryOp.Grant, caller, file, line);
    }

    /// <summary>
    /// Mints a capability to the same node with <paramref name="rights"/>, which must be a subset
    /// of <paramref name="cap"/>'s (else <see cref="MemoryError.RightsDenied"/>). Both stay valid.
    /// Fails with the capability errors.
    /// </summary>
    public MemoryResult<Capability> Restrict(TsId caller, Capability cap, Rights rights)
    {
        return _disposed ? Disposed() : _arena.Restrict(caller, cap, rights);
    }

    /// <summary>
    /// Bumps the node's generation: every capability to it minted so far becomes
    /// <see cref="MemoryError.Stale"/>. Returns a fresh capability with <paramref name="cap"/>'s
    /// rights. The node, its bytes and GVA are unchanged (at the last generation of its record it
    /// moves to a fresh one: a new node id). Fails with the capability errors.
    /// </summary>
    public MemoryResult<Capability> Revoke(TsId caller, Capability cap)
    {
        if (_disposed)
        {
            return Disposed();
        }

        var revoked = _arena.Revoke(caller, cap);
        if (revoked.IsOk && revoked.Value.NodeId != cap.NodeId && revoked.Value.NodeId < (uint)_places.Length && cap.NodeId < (uint)_places.Length)
        {
            _places[revoked.Value.NodeId] = _places[cap.NodeId];
        }

        return revoked;
    }

    /// <summary>
    /// TS exit: marks <paramref name="ts"/> exited (later operations by or into it fail with
    /// <see cref="MemoryError.TsExited"/>) and revokes every node it owns and every node whose
    /// origins include it, wherever that node lives; later use of their capabilities fails with
    /// <see cref="MemoryError.InvalidGva"/>. Their pages lose a reference; a page still pinned is
    /// freed at its last unpin. Lifts only this TS, not its descendants (walk
    /// <see cref="Subtree"/>). Idempotent; an unknown TS yields an empty report.
    /// </summary>
    public LiftReport Lift(TsId ts)
    {
        if (_disposed)
        {
            return new LiftReport(0, 0, 0, 0);
        }

        var report = _arena.Lift(ts);
        var observers = _observers;
        if (observers.Length > 0 && _arena.TryTsPath(ts) is { } path)
        {
            var record = new MemoryOpRecord(MemoryOp.Lift, ts, 0, path, ts, default, report.NodesRevoked, 0, path);
            foreach (var observer in observers)
            {
                observer(record);
            }
        }

        return report;
    }

    /// <summary>Records where a new node was made and journals it.</summary>
    private MemoryResult<Capability> Made(MemoryResult<Capability> made, MemoryOp op, TsId caller, string file, int line)
    {
        if (made.IsOk)
        {
            Place(made.Value, file, line);
            if (_observers.Length > 0 && _arena.TryDescribe(made.Value.NodeId, made.Value.Generation, op, caller, out var record, out _))
            {
                Notify(record);
            }
        }

        return made;
    }
}
