namespace Edsos.Memory;

/// <summary>
/// Ownership of one node by one TS for the length of a scope: made by
/// <see cref="MemoryManager.Own"/> over a local slot and used with <c>using</c>, it releases the node
/// on every path out of the scope unless <see cref="Transfer"/> moved it elsewhere first.
/// <code>
/// var payload = segment.Payload;
/// using var held = memory.Own(ts, ref payload);
/// if (!Accepts(segment)) return;           // released here
/// queue.Enqueue(held.Transfer());          // the queue owns it now: not released at scope exit
/// </code>
/// The struct refers to the caller's slot, so a copy made by the compiler (a <c>using</c> local is
/// read-only) still sees a transfer. Allocation-free.
/// </summary>
public ref struct Owned
{
    private readonly MemoryManager _memory;
    private readonly TsId _owner;
    private readonly ref Capability _slot;
    private readonly CodePlace _place;

    internal Owned(MemoryManager memory, TsId owner, ref Capability slot, CodePlace place)
    {
        _memory = memory;
        _owner = owner;
        _slot = ref slot;
        _place = place;
    }

    /// <summary>The node held, or <c>default</c> once transferred or released.</summary>
    public readonly Capability Node => _slot;

    /// <summary>
    /// Hands the node on (into a queue, a field, or a message to another TS) and clears the slot,
    /// so the scope's end no longer releases it. Returns <c>default</c> when nothing is held.
    /// </summary>
    public readonly Capability Transfer()
    {
        var node = _slot;
        _slot = default;
        return node;
    }

    /// <summary>Releases the node if still held (see <see cref="MemoryManager.Release"/>); idempotent.</summary>
    public readonly void Dispose()
    {
        if (_slot == default)
        {
            return;
        }

        var node = _slot;
        _slot = default;
        _memory.Release(_owner, node, _place.File, _place.Line);
    }
}
