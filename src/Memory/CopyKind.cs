namespace Edsos.Memory;

/// <summary>What a CPU copy carries; the counters keep each kind apart (payload copies are what zero copy avoids).</summary>
public enum CopyKind
{
    /// <summary>Application data.</summary>
    Payload,

    /// <summary>Protocol headers (Ethernet, IP, TCP/UDP).</summary>
    Header,

    /// <summary>Anything else: descriptors, control blocks, bookkeeping.</summary>
    Metadata,

    /// <summary>
    /// The application's own access to its own buffers (filling a buffer before <c>send</c>,
    /// reading one after <c>recv</c>): counted apart, in
    /// <see cref="MemoryCounters.ApplicationBytesCopied"/>, because it is not the stack's copy.
    /// </summary>
    Application,
}
