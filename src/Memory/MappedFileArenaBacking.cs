using System.IO.MemoryMappedFiles;

namespace Edsos.Memory;

/// <summary>
/// An arena backed by a memory-mapped file, so several instances (in this or other OS processes)
/// opened on the same path see the same bytes: the cluster mode's shared physical memory. The
/// file is created or grown to <c>pageCount * pageSize</c> bytes; existing contents are kept.
/// Accessing it after <see cref="Dispose"/> throws <see cref="ObjectDisposedException"/>.
/// </summary>
public sealed unsafe class MappedFileArenaBacking : IArenaBacking
{
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly long _size;
    private byte* _base;

    /// <summary>
    /// Maps <paramref name="path"/> read-write. Throws <see cref="ArgumentOutOfRangeException"/> for
    /// a bad geometry and the usual I/O exceptions if the file cannot be opened or mapped.
    /// </summary>
    public MappedFileArenaBacking(string path, int pageCount, int pageSize = 4096)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArenaGeometry.Validate(pageCount, pageSize);
        PageCount = pageCount;
        PageSize = pageSize;
        Path = path;
        _size = (long)pageCount * pageSize;

        // FileShare.ReadWrite: the point of this backing is that other instances open the same file.
        var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite);
        try
        {
            if (stream.Length < _size)
            {
                stream.SetLength(_size);
            }

            _file = MemoryMappedFile.CreateFromFile(stream, null, _size, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: false);
        }
        catch
        {
            stream.Dispose();
            throw;
        }

        _view = _file.CreateViewAccessor(0, _size, MemoryMappedFileAccess.ReadWrite);
        byte* pointer = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        _base = pointer + _view.PointerOffset;
    }

    /// <summary>The mapped file's path.</summary>
    public string Path { get; }

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

    /// <summary>Unmaps the view and closes the file. Idempotent.</summary>
    public void Dispose()
    {
        if (_base != null)
        {
            _base = null;
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
            _file.Dispose();
        }
    }
}
