namespace Edsos.Memory.Shared;

/// <summary>
/// One slot of a process's cache of genuine capability tags (<c>SharedArena.TagMatches</c>): a
/// (node, generation, rights, tag) this process minted or verified. A genuine tuple stays genuine
/// for the arena's life (the key never changes), so the cache needs no invalidation: a capability
/// whose generation moved on still fails the generation check that follows the tag check.
/// </summary>
internal struct VerifiedTag
{
    public uint NodeId;
    public uint Generation;
    public Rights Rights;
    public ulong Tag;
}
