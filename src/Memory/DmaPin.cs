namespace Edsos.Memory;

/// <summary>
/// A DMA pin: while it is held, the pages under <see cref="Extents"/> stay allocated (even if every
/// node over them is popped or lifted) and the device may access them with
/// <see cref="MemoryManager.DmaRead"/> / <see cref="MemoryManager.DmaWrite"/>. Release with
/// <see cref="MemoryManager.Unpin"/>.
/// </summary>
/// <param name="PinId">Id to release the pin with.</param>
/// <param name="Extents">The pinned node's scatter list at pin time, for the descriptors.</param>
public sealed record DmaPin(ulong PinId, IReadOnlyList<PhysExtent> Extents);
