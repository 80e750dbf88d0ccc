using System.Globalization;

namespace Edsos.Memory;

/// <summary>
/// A global virtual address: the high 16 bits name the owning TS, the low 48 bits are the offset
/// inside that TS's address space. Plain data; holding a GVA grants nothing, every use goes
/// through a TLB check (<see cref="MemoryManager.Translate"/>).
/// </summary>
/// <param name="Value">The raw 64-bit address.</param>
public readonly record struct Gva(ulong Value)
{
    /// <summary>Mask of the offset part (low 48 bits).</summary>
    public const ulong OffsetMask = (1UL << 48) - 1;

    /// <summary>The TS named by the high 16 bits.</summary>
    public TsId Ts => new((ushort)(Value >> 48));

    /// <summary>The offset inside the TS's address space (low 48 bits).</summary>
    public ulong Offset => Value & OffsetMask;

    /// <summary>
    /// Builds a GVA from a TS and an offset. Throws <see cref="ArgumentOutOfRangeException"/> if the
    /// offset does not fit in 48 bits (a programming error, not an access check).
    /// </summary>
    public static Gva Make(TsId ts, ulong offset)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset, OffsetMask);
        return new Gva(((ulong)ts.Value << 48) | offset);
    }

    /// <summary>
    /// Returns this address moved by <paramref name="delta"/> bytes inside the same TS. The offset
    /// wraps within 48 bits, so the TS part never changes; a wrapped address simply names no node.
    /// </summary>
    public Gva Add(long delta) => new((Value & ~OffsetMask) | ((Offset + (ulong)delta) & OffsetMask));

    /// <summary>Formats as <c>0xTTTT_OOOO_OOOO_OOOO</c> (TS id, then offset, in 16-bit groups).</summary>
    public override string ToString()
    {
        var hex = Value.ToString("X16", CultureInfo.InvariantCulture);
        return $"0x{hex[..4]}_{hex[4..8]}_{hex[8..12]}_{hex[12..]}";
    }
}
