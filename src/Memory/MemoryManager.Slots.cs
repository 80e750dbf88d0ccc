namespace Edsos.Memory;

/// <summary>Test hooks on node records.</summary>
public sealed partial class MemoryManager
{
    /// <summary>
    /// Test hook: sets the generation of <paramref name="cap"/>'s record to <paramref name="generation"/>
    /// (below <see cref="Shared.SharedArena.LastGeneration"/>) and returns a capability with its rights at that
    /// generation, so a test reaches the end of the generations without four billion revokes.
    /// </summary>
    internal MemoryResult<Capability> AgeSlotForTests(TsId caller, Capability cap, uint generation) => _arena.AgeNodeForTests(caller, cap, generation);

    /// <summary>Test hook: whether node id <paramref name="nodeId"/>'s record is retired for good.</summary>
    internal bool IsSlotRetiredForTests(uint nodeId) => _arena.IsRetiredForTests(nodeId);
}
