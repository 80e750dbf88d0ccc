using System.Runtime.InteropServices;

namespace Edsos.Memory;

/// <summary>
/// An arena in native memory (<see cref="NativeMemory.AlignedAlloc"/>, page aligned, zeroed).
/// Private to this process. Accessing it after <see cref="ContiguousArenaBacking.Dispose"/> throws
/// <see cref="ObjectDisposedException"/>.
/// </summary>
public sealed unsafe class NativeArenaBacking : ContiguousArenaBacking
{
    /// <summary>
    /// Allocates <paramref name="pageCount"/> zeroed pages of <paramref name="pageSize"/> bytes.
    /// Throws <see cref="ArgumentOutOfRangeException"/> unless the count is positive and the size a
    /// power of two of at least 64; <see cref="OutOfMemoryException"/> if the allocation fails.
    /// </summary>
    public NativeArenaBacking(int pageCount, int pageSize = 4096)
        : base(pageCount, pageSize)
    {
        var block = (byte*)NativeMemory.AlignedAlloc((nuint)Size, (nuint)pageSize);
        NativeMemory.Clear(block, (nuint)Size);
        Attach(block);
    }

    /// <inheritdoc />
    protected override void Release(byte* block) => NativeMemory.AlignedFree(block);
}
