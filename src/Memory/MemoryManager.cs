using Edsos.Memory.Shared;

namespace Edsos.Memory;

/// <summary>
/// The EDSOS memory model (seed 000, DESIGN.md section 3): a tree of TSs, nodes with GVA ranges
/// and scatter lists over one physical arena, unforgeable capabilities, CTRN sharing, lift on TS
/// exit, DMA pins and an accounted copy routine. Every failed check returns a
/// <see cref="MemoryResult"/> error; the manager never throws for a bad capability, GVA or range,
/// and never hands out memory on a failed check.
/// </summary>
/// <remarks>
/// The state lives in a <see cref="SharedArena"/>: fixed-size records in a memory-mapped file,
/// guarded by a process-shared lock that survives its holder's death, with an undo log (src/Memory/README.md). A manager made
/// with a constructor owns a private arena file in <c>/dev/shm</c>, unlinked right after it is
/// opened (nothing is left behind, even by a crash), and acts as every TS. A manager made with
/// <see cref="OpenShared"/> attaches to a cluster host's arena file: capabilities minted by any
/// process of the host are checked here, and it acts only as the TSs it creates.
/// <list type="bullet">
/// <item>Every operation validates and mutates under the arena's lock, so checks and effects are
/// atomic: a capability checked live cannot be lifted before the operation takes effect.</item>
/// <item>Byte traffic above 4 KiB (Read, Write) and Visit copy outside the lock under a temporary
/// pin that keeps the pages allocated if a concurrent Lift or Pop drops the last reference, and a
/// visitor may call back into the manager.</item>
/// <item>What stays per process, outside the arena: byte counters (updated with
/// <see cref="Interlocked"/>), the place that made each node, recorded double releases and the
/// journal's observers.</item>
/// </list>
/// Dispose only when no operation is in flight; one racing with it fails with an error value.
/// </remarks>
public sealed partial class MemoryManager : IDisposable
{
    /// <summary>How long a disposed manager's arena stays mapped, so an operation racing with Dispose never touches unmapped memory.</summary>
    private static readonly TimeSpan UnmapGrace = TimeSpan.FromSeconds(2);

    private readonly SharedArena _arena;
    private readonly IArenaBacking _backing;
    private readonly IArenaBacking? _externalBacking;
    private readonly int _pageSize;

    // The place that made each node, by node id: per process (a place is a string of this
    // process). A slot is written by the operation that made the node and read by the leak report.
    private readonly CodePlace[] _places;
    private volatile bool _disposed;

    private long _payloadBytes;
    private long _headerBytes;
    private long _metadataBytes;
    private long _applicationBytes;
    private long _dmaBytesRead;
    private long _dmaBytesWritten;

    /// <summary>
    /// Creates a manager whose data pages are <paramref name="backing"/>'s (a
    /// <see cref="NativeArenaBacking"/> or <see cref="MappedFileArenaBacking"/>), with its metadata
    /// in a private arena file and a fresh random 128-bit capability key. The manager takes
    /// ownership of the backing and disposes it. Throws <see cref="ArgumentNullException"/> for a
    /// null backing, <see cref="ArgumentException"/> for a backing that is not one contiguous block
    /// or has pages under 512 bytes.
    /// </summary>
    public unsafe MemoryManager(IArenaBacking backing)
    {
        ArgumentNullException.ThrowIfNull(backing);
        if (backing is not ContiguousArenaBacking contiguous || backing.PageSize < 512)
        {
            throw new ArgumentException("the manager needs a contiguous backing with pages of at least 512 bytes", nameof(backing));
        }

        _externalBacking = backing;
        _backing = backing;
        _pageSize = backing.PageSize;
        var options = PrivateOptions(backing.PageCount, backing.PageSize);
        _arena = OpenPrivate(options, contiguous.BasePointer);
        _places = new CodePlace[options.MaxNodes];
    }

    /// <summary>Creates a manager over a private arena of <paramref name="pageCount"/> 4 KiB pages.</summary>
    public MemoryManager(int pageCount = 4096)
    {
        var options = PrivateOptions(pageCount, 4096);
        _pageSize = options.PageSize;
        unsafe
        {
            _arena = OpenPrivate(options, null);
        }

        _backing = new SharedArenaBacking(_arena);
        _places = new CodePlace[options.MaxNodes];
    }

    private MemoryManager(SharedArena arena, SharedArenaOptions options)
    {
        _arena = arena;
        _pageSize = options.PageSize;
        _backing = new SharedArenaBacking(arena);
        _places = new CodePlace[options.MaxNodes];
    }

    /// <summary>The physical arena (for devices that lay out rings in it, and for tests).</summary>
    public IArenaBacking Backing => _backing;

    /// <summary>Bytes per page.</summary>
    public int PageSize => _pageSize;

    /// <summary>The root TS, path "/", kernel kind; it always exists.</summary>
    public TsId Root => SharedArena.Root;

    /// <summary>
    /// Opens (creating it if missing) the shared arena file at <paramref name="path"/> of a cluster
    /// host and attaches this process to it. The manager acts only as the TSs it creates; a
    /// capability minted by another process of the host is checked, shared and DMA-read here like
    /// one of its own. Every process of the host must pass the same geometry (default:
    /// <see cref="SharedOptions"/>). Dispose is this process's TS exit. Throws like
    /// <see cref="SharedArena.Open(string, SharedArenaOptions?)"/>.
    /// </summary>
    public static MemoryManager OpenShared(string path, SharedArenaOptions? options = null)
    {
        options ??= SharedOptions();
        return new MemoryManager(SharedArena.Open(path, options), options);
    }

    /// <summary>
    /// The geometry of a cluster host's arena: <paramref name="pageCount"/> 4 KiB pages, 65 535 TS
    /// ids, node, extent and pin records sized to the pages. Not hosting every TS.
    /// </summary>
    public static SharedArenaOptions SharedOptions(int pageCount = 4096) => PrivateOptions(pageCount, 4096) with { HostAllTs = false };

    /// <summary>Detaches from the arena. Later operations fail with <see cref="MemoryError.Disposed"/>. Idempotent.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            _arena.Detach();
        }
        finally
        {
            // Unmap after a grace period: an operation that passed the disposed check just before
            // finishes on mapped memory (its TS has exited, so it fails with an error value).
            var arena = _arena;
            var backing = _externalBacking;
            _ = Task.Delay(UnmapGrace).ContinueWith(
                _ =>
                {
                    arena.Unmap();
                    backing?.Dispose();
                },
                TaskScheduler.Default);
        }
    }

    private static SharedArenaOptions PrivateOptions(int pageCount, int pageSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pageCount);
        int maxNodes = Math.Max(8192, 4 * pageCount);
        return new SharedArenaOptions
        {
            PageSize = pageSize,
            PageCount = pageCount,
            MaxNodes = maxNodes,
            MaxTs = ushort.MaxValue + 1,
            MaxPins = Math.Max(4096, pageCount),
            MaxExtents = 2 * maxNodes,
            MaxOriginSpills = 1024,
            PathBytes = 4 << 20,
            UndoEntries = Math.Max(8192, (4 * pageCount) + 1024),
            HostAllTs = true,
        };
    }

    /// <summary>A private arena: a file in /dev/shm (the temp directory without it), unlinked once mapped.</summary>
    private static unsafe SharedArena OpenPrivate(SharedArenaOptions options, byte* data)
    {
        string directory = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        string path = Path.Combine(directory, $"edsos-mm-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            return SharedArena.Open(path, options, data);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private MemoryResult Disposed() => MemoryResult.Fail(MemoryError.Disposed, "memory manager disposed");

    private void Place(Capability cap, string file, int line)
    {
        if (cap.NodeId < (uint)_places.Length)
        {
            // A node id is mostly reused by the same call site: skip the store (and its GC write barrier) then.
            ref var place = ref _places[cap.NodeId];
            if (place.Line != line || !ReferenceEquals(place.File, file))
            {
                place = new CodePlace(file, line);
            }
        }
    }
}
