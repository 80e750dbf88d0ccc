namespace Edsos.Memory;

/// <summary>Argument checks shared by the arena backings.</summary>
internal static class ArenaGeometry
{
    public static void Validate(int pageCount, int pageSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pageCount);
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 64);
        if ((pageSize & (pageSize - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(pageSize), pageSize, "page size must be a power of two");
        }
    }

    public static void CheckRange(ulong address, int length, long size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (address > (ulong)size || (ulong)length > (ulong)size - address)
        {
            throw new ArgumentOutOfRangeException(nameof(address), $"[0x{address:X}+{length}) lies outside the arena of {size} bytes");
        }
    }
}
