namespace Edsos.Memory;

/// <summary>
/// Rights a capability grants on a node. A capability's rights are fixed when it is minted and
/// are covered by its tag, so widening them invalidates the capability.
/// </summary>
[Flags]
public enum Rights : byte
{
    /// <summary>No right: the capability can only be inspected, popped or restructured.</summary>
    None = 0,

    /// <summary>Read the node's bytes (accounted <c>Read</c>, zero-copy <c>Visit</c>).</summary>
    Read = 1,

    /// <summary>Write the node's bytes (accounted <c>Write</c>, copy-on-write when shared).</summary>
    Write = 2,

    /// <summary>Share the node with another TS (<c>CtShare</c>, <c>Grant</c>).</summary>
    Share = 4,

    /// <summary>Expose the node's physical extents to a device (<c>Pin</c> for DMA).</summary>
    Map = 8,

    /// <summary>Every right.</summary>
    All = Read | Write | Share | Map,
}
