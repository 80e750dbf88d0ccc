using System.Runtime.InteropServices;

namespace Edsos.Memory;

/// <summary>
/// An arena in native memory (<see cref="NativeMemory.AlignedAlloc"/>, page aligned, zeroed).
/// Private to this process. Accessing it after <see cref="Dispose"/> throws
/// <see cref="ObjectDisposedException"/>.
/// </summary>
public sealed unsafe class NativeArenaBacking : IArenaBacking
{
    private byte* _base;
    private readonly long _size;

    /// <summary>
    /// Allocates <paramref name="pageCount"/> zeroed pages of <paramref name="pageSize"/> bytes.
    /// Throws <see cref="ArgumentOutOfRangeException"/> unless the count is positive and the size a
    /// power of two of at least 64; <see cref="OutOfMemoryException"/> if the allocation fails.
    /// </summary>
    public NativeArenaBacking(int pageCount, int pageSize = 4096)
    {
        ArenaGeometry.Validate(pageCount, pageSize);
        PageCount = pageCount;
        PageSize = pageSize;
        _size = (long)pageCount * pageSize;
        _base = (byte*)NativeMemory.AlignedAlloc((nuint)_size, (nuint)pageSize);
        NativeMemory.Clear(_base, (nuint)_size);
    }

    /// <inheritdoc />
    public int PageSize { get; }

    /// <inheritdoc />
    public int PageCount { get; }

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

    /// <summary>Frees the native memory. Idempotent.</summary>
    public void Dispose()
    {
        if (_base != null)
        {
            NativeMemory.AlignedFree(_base);
            _base = null;
        }
    }
}
