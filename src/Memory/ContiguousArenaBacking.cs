namespace Edsos.Memory;

/// <summary>
/// The part every arena shares: one contiguous block of pages at a base pointer, so a physical
/// address is an offset from it and an extent is one span. Subclasses supply the block and release it.
/// Accessing the arena after <see cref="Dispose"/> throws <see cref="ObjectDisposedException"/>.
/// </summary>
public abstract unsafe class ContiguousArenaBacking : IArenaBacking
{
    private readonly long _size;
    private byte* _base;

    /// <summary>Checks the geometry; the subclass then calls <see cref="Attach"/> with the block.</summary>
    protected ContiguousArenaBacking(int pageCount, int pageSize)
    {
        ArenaGeometry.Validate(pageCount, pageSize);
        PageCount = pageCount;
        PageSize = pageSize;
        _size = (long)pageCount * pageSize;
    }

    /// <inheritdoc />
    public int PageSize { get; }

    /// <inheritdoc />
    public int PageCount { get; }

    /// <summary>Bytes in the arena.</summary>
    protected long Size => _size;

    /// <summary>The first byte of the block (null once disposed): the data pages of a manager's arena.</summary>
    internal byte* BasePointer => _base;

    /// <inheritdoc />
    public Span<byte> Page(int pfn)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(pfn);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(pfn, PageCount);
        return Slice((ulong)pfn * (ulong)PageSize, PageSize);
    }

    /// <inheritdoc />
    public Span<byte> Slice(ulong address, int length)
    {
        ObjectDisposedException.ThrowIf(_base == null, this);
        ArenaGeometry.CheckRange(address, length, _size);
        return new Span<byte>(_base + address, length);
    }

    /// <summary>Releases the block once. Idempotent.</summary>
    public void Dispose()
    {
        if (_base != null)
        {
            byte* block = _base;
            _base = null;
            Release(block);
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>Sets the block of <see cref="Size"/> bytes the arena covers.</summary>
    protected void Attach(byte* block) => _base = block;

    /// <summary>Frees the block <see cref="Attach"/> set.</summary>
    protected abstract void Release(byte* block);
}
