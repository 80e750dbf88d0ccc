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
}
