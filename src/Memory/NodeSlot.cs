namespace Edsos.Memory;

/// <summary>
/// Generations of a node record (the records are the arena's, see <c>Shared/SharedLayout</c>). The
/// generation moves on every free and revoke, so capabilities minted earlier become stale. It
/// never wraps: that would make a capability revoked 2^32 − 1 generations ago current again. A
/// record whose next generation would be <see cref="LastGeneration"/> is retired instead: it holds
/// no node and is never handed out again. That costs one empty record per 2^32 − 2 frees or
/// revokes of one node id.
/// </summary>
internal static class NodeSlot
{
    /// <summary>The generation no live node ever carries: reaching it retires the record.</summary>
    public const uint LastGeneration = uint.MaxValue;
}
