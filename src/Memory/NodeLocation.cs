namespace Edsos.Memory;

/// <summary>
/// Where a node lies, without the snapshot of <see cref="NodeInfo"/>: what the data path needs per
/// frame (a GVA to share from, a length, a descriptor count) at no allocation.
/// </summary>
/// <param name="Gva">The node's first byte.</param>
/// <param name="Length">The node's length in bytes.</param>
/// <param name="ExtentCount">How many physical extents its scatter list holds.</param>
public readonly record struct NodeLocation(Gva Gva, int Length, int ExtentCount);
