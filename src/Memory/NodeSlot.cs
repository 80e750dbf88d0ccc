namespace Edsos.Memory;

/// <summary>
/// One entry of the node table. The generation moves on every free and revoke, so capabilities
/// minted earlier become stale; <see cref="LiftedGeneration"/> remembers the generation a lift
/// ended so that its capabilities report <see cref="MemoryError.InvalidGva"/> (the seed's
/// "invalid GVA" after a TS exit) rather than plain staleness, until the slot is lifted again.
/// <para>
/// A generation never wraps: it would make a capability revoked 2^32 − 1 generations ago current
/// again. A slot whose next generation would be <see cref="LastGeneration"/> is retired instead
/// (<see cref="Retired"/>): it holds no node and is never handed out again, so every capability to
/// it stays refused for the life of the arena. That costs one empty slot per 2^32 − 2 frees or
/// revokes of one node id.
/// </para>
/// </summary>
internal sealed class NodeSlot
{
    /// <summary>The generation no live node ever carries: reaching it retires the slot.</summary>
    public const uint LastGeneration = uint.MaxValue;

    public uint Generation { get; set; } = 1;

    public uint LiftedGeneration { get; set; }

    /// <summary>
    /// The generation its owner last ended by pop, divide, merge or grant (not by a lift): a later
    /// <see cref="MemoryManager.Release"/> presenting it is a double release.
    /// </summary>
    public uint ReleasedGeneration { get; set; }

    public Node? Node { get; set; }

    /// <summary>True once the generations are used up: the slot stays empty for good.</summary>
    public bool Retired => Generation == LastGeneration;
}
