namespace Edsos.Memory.Shared;

/// <summary>
/// A byte access in flight (<see cref="SharedArena.BeginAccess"/>): the physical extents of the
/// checked range, kept allocated by a temporary pin of this process until
/// <see cref="SharedArena.EndAccess"/> (or, if the process dies first, until the survivors reap it).
/// </summary>
/// <param name="PinId">The temporary pin's record; 0 for an empty access, which holds nothing.</param>
/// <param name="Generation">The record's generation when taken.</param>
/// <param name="Extents">The range's extents in node byte order; copy or visit them with <see cref="SharedArena.Slice"/>.</param>
public readonly record struct SharedAccess(uint PinId, uint Generation, IReadOnlyList<PhysExtent> Extents);
