namespace Edsos.Memory;

/// <summary>A snapshot of the manager's accounting.</summary>
/// <param name="TotalPages">Pages in the arena.</param>
/// <param name="PagesInUse">Pages referenced by a node or held by a pin.</param>
/// <param name="LiveNodes">Live nodes (CTRNs included).</param>
/// <param name="LiveCtrns">Live CTRNs.</param>
/// <param name="ActivePins">DMA pins not yet released (temporary pins of Read/Write/Visit excluded).</param>
/// <param name="PayloadBytesCopied">CPU bytes copied by Read/Write with <see cref="CopyKind.Payload"/>.</param>
/// <param name="HeaderBytesCopied">CPU bytes copied by Read/Write with <see cref="CopyKind.Header"/>.</param>
/// <param name="MetadataBytesCopied">CPU bytes copied by Read/Write with <see cref="CopyKind.Metadata"/>.</param>
/// <param name="CowBytesCopied">CPU bytes copied by copy-on-write.</param>
/// <param name="DmaBytesRead">Bytes the device read by DMA (not CPU copies).</param>
/// <param name="DmaBytesWritten">Bytes the device wrote by DMA (not CPU copies).</param>
public sealed record MemoryCounters(
    int TotalPages,
    int PagesInUse,
    int LiveNodes,
    int LiveCtrns,
    int ActivePins,
    long PayloadBytesCopied,
    long HeaderBytesCopied,
    long MetadataBytesCopied,
    long CowBytesCopied,
    long DmaBytesRead,
    long DmaBytesWritten)
{
    /// <summary>All CPU bytes copied: payload + header + metadata + copy-on-write.</summary>
    public long CpuBytesCopied => PayloadBytesCopied + HeaderBytesCopied + MetadataBytesCopied + CowBytesCopied;
}
