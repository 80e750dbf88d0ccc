namespace Edsos.Memory;

/// <summary>
/// Physical memory: <see cref="PageCount"/> pages of <see cref="PageSize"/> bytes, laid out
/// contiguously, so a physical address is a byte offset into the arena. Implementations are not
/// synchronised; the <see cref="MemoryManager"/> decides who may touch which bytes.
/// </summary>
public interface IArenaBacking : IDisposable
{
    /// <summary>Bytes per page (a power of two).</summary>
    int PageSize { get; }

    /// <summary>Number of pages.</summary>
    int PageCount { get; }

    /// <summary>The bytes of page <paramref name="pfn"/>. Throws <see cref="ArgumentOutOfRangeException"/> for a page outside the arena.</summary>
    Span<byte> Page(int pfn);

    /// <summary>
    /// The bytes at physical <paramref name="address"/>, <paramref name="length"/> long; may span
    /// pages. Throws <see cref="ArgumentOutOfRangeException"/> for a range outside the arena.
    /// </summary>
    Span<byte> Slice(ulong address, int length);
}
