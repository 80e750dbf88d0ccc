namespace Edsos.Memory;

/// <summary>A successful TLB check: the node covering the GVA and the byte offset of the GVA inside it.</summary>
/// <param name="Node">A capability to the node carrying the node's own rights.</param>
/// <param name="Offset">Offset of the translated GVA from the node's first byte.</param>
public readonly record struct GvaHit(Capability Node, int Offset);
