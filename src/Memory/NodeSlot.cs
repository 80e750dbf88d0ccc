namespace Edsos.Memory;

/// <summary>
/// One entry of the node table. The generation moves on every free and revoke, so capabilities
/// minted earlier become stale; <see cref="LiftedGeneration"/> remembers the generation a lift
/// ended so that its capabilities report <see cref="MemoryError.InvalidGva"/> (the seed's
/// "invalid GVA" after a TS exit) rather than plain staleness, until the slot is lifted again.
/// </summary>
internal sealed class NodeSlot
{
    public uint Generation { get; set; } = 1;

    public uint LiftedGeneration { get; set; }

    public Node? Node { get; set; }
}
