namespace Edsos.Memory.Shared;

/// <summary>
/// A DMA pin on a node's pages, held by the process that took it. While held, the pages stay
/// allocated even if every node over them is popped or lifted. Released by
/// <see cref="SharedArena.Unpin"/> in the holding process, or by the survivors when that process dies.
/// </summary>
/// <param name="Id">Pin record index; 0 is never valid.</param>
/// <param name="Generation">Record generation when taken; a mismatch means already released.</param>
/// <param name="Length">Pinned bytes.</param>
public readonly record struct SharedPin(uint Id, uint Generation, int Length);
