namespace Edsos.Memory;

/// <summary>A pin held on pages: a DMA pin, or a temporary pin covering one copy or visit outside the lock.</summary>
internal sealed record PinRecord(PhysExtent[] Extents, bool Dma);
