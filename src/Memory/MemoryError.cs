namespace Edsos.Memory;

/// <summary>Why a memory operation failed. <see cref="None"/> means success.</summary>
public enum MemoryError
{
    /// <summary>Success.</summary>
    None,

    /// <summary>The capability's tag does not match its fields (forged or widened).</summary>
    Forged,

    /// <summary>The capability's generation is old: the node was popped, consumed, revoked, or its slot reused.</summary>
    Stale,

    /// <summary>The node was lifted (its origin TS exited), or a GVA names no node of the caller.</summary>
    InvalidGva,

    /// <summary>The capability lacks a right the operation needs, or asks for more rights than its source.</summary>
    RightsDenied,

    /// <summary>The byte range runs outside the node.</summary>
    OutOfRange,

    /// <summary>The caller TS is not the node's owner TS.</summary>
    NotVisible,

    /// <summary>A user TS tried to share memory that originated in a kernel TS.</summary>
    KernelShareDenied,

    /// <summary>The caller or target TS has exited.</summary>
    TsExited,

    /// <summary>No TS with that id or path exists.</summary>
    NoSuchTs,

    /// <summary>No free pages (or GVA space, or TS ids) left; nothing was allocated.</summary>
    OutOfMemory,

    /// <summary>A malformed argument (bad path or name, non-positive length, same node twice, ...).</summary>
    InvalidArgument,

    /// <summary>A DMA access touched a page with no DMA pin, or an unknown pin id was released.</summary>
    NotPinned,

    /// <summary>The manager has been disposed.</summary>
    Disposed,
}
