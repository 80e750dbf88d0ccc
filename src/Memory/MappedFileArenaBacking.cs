using System.IO.MemoryMappedFiles;

namespace Edsos.Memory;

/// <summary>
/// An arena backed by a memory-mapped file, so several instances (in this or other OS processes)
/// opened on the same path see the same bytes: the cluster mode's shared physical memory. The
/// file is created or grown to <c>pageCount * pageSize</c> bytes; existing contents are kept.
/// Accessing it after <see cref="ContiguousArenaBacking.Dispose"/> throws <see cref="ObjectDisposedException"/>.
/// </summary>
public sealed unsafe class MappedFileArenaBacking : ContiguousArenaBacking
{
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;

    /// <summary>
    /// Maps <paramref name="path"/> read-write. Throws <see cref="ArgumentOutOfRangeException"/> for
    /// a bad geometry and the usual I/O exceptions if the file cannot be opened or mapped.
    /// </summary>
    public MappedFileArenaBacking(string path, int pageCount, int pageSize = 4096)
        : base(pageCount, pageSize)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = path;
        long size = Size;

        // FileShare.ReadWrite: the point of this backing is that other instances open the same file.
        var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite);
        try
        {
            if (stream.Length < size)
            {
                stream.SetLength(size);
            }

            _file = MemoryMappedFile.CreateFromFile(stream, null, size, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: false);
        }
        catch
        {
            stream.Dispose();
            throw;
        }

        _view = _file.CreateViewAccessor(0, size, MemoryMappedFileAccess.ReadWrite);
        byte* pointer = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        Attach(pointer + _view.PointerOffset);
    }

    /// <summary>The mapped file's path.</summary>
    public string Path { get; }

    /// <summary>Unmaps the view and closes the file.</summary>
    protected override void Release(byte* block)
    {
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
    }
}
