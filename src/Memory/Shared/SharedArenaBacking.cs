namespace Edsos.Memory.Shared;

/// <summary>
/// The data pages of a <see cref="SharedArena"/> as an <see cref="IArenaBacking"/>: what a
/// <see cref="MemoryManager"/> running on the arena hands devices that lay out rings in physical
/// memory. A view only: the arena owns the mapping, and disposing this does nothing.
/// </summary>
public sealed class SharedArenaBacking : IArenaBacking
{
    private readonly SharedArena _arena;

    /// <summary>A view over <paramref name="arena"/>'s data pages. Throws <see cref="ArgumentNullException"/> for null.</summary>
    public SharedArenaBacking(SharedArena arena)
    {
        ArgumentNullException.ThrowIfNull(arena);
        _arena = arena;
    }

    /// <inheritdoc />
    public int PageSize => _arena.PageSize;

    /// <inheritdoc />
    public int PageCount => _arena.PageCount;

    /// <inheritdoc />
    public Span<byte> Page(int pfn)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(pfn);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(pfn, _arena.PageCount);
        return _arena.Slice(new PhysExtent((ulong)pfn * (ulong)_arena.PageSize, _arena.PageSize));
    }

    /// <inheritdoc />
    public Span<byte> Slice(ulong address, int length) => _arena.Slice(new PhysExtent(address, length));

    /// <summary>Does nothing: the arena owns the mapping.</summary>
    public void Dispose()
    {
    }
}
