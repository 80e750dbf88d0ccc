namespace Edsos.Memory;

/// <summary>
/// A physically contiguous run of arena bytes: what a DMA descriptor carries. Plain data; holding
/// one grants nothing (device access needs a pin, see <see cref="MemoryManager.DmaRead"/>).
/// </summary>
/// <param name="Address">Byte offset into the arena.</param>
/// <param name="Length">Length in bytes.</param>
public readonly record struct PhysExtent(ulong Address, int Length)
{
    /// <summary>One past the last byte.</summary>
    public ulong End => Address + (ulong)Length;

    /// <summary>Formats as <c>phys[0x..+len]</c>.</summary>
    public override string ToString() => $"phys[0x{Address:X}+{Length}]";
}
