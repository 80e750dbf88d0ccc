using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Security.Cryptography;
using L = Edsos.Memory.Shared.SharedLayout;

namespace Edsos.Memory.Shared;

/// <summary>
/// The memory model's state in one memory-mapped file that several OS processes of a host open:
/// data pages and, beside them, fixed-size metadata records (processes, TSs, page reference and
/// pin counts, nodes with generations, pins, the capability key). Every process checks and
/// mutates the metadata locally, so no memory operation needs a round trip to another process.
/// Errors are returned as <see cref="MemoryResult"/> values, like <see cref="MemoryManager"/>'s.
/// </summary>
/// <remarks>
/// Crash design (any process may be SIGKILLed at any instant; see src/Memory/README.md):
/// <list type="bullet">
/// <item>One lock word in the header (<see cref="ArenaLock"/>: the holder's pid and start time)
/// guards all metadata. A waiter finding its holder dead takes it over: no lock is held forever.</item>
/// <item>Every store to a primary word inside the lock goes through <see cref="Set32"/>/<see cref="Set64"/>,
/// which first appends (offset, old value) to the undo log in the header. A completed operation
/// clears the log (its commit, one aligned store). The inheritor of a dead holder's lock rolls the
/// log back in reverse order, so a half-made update is undone before anyone reads it; rolling back
/// twice is harmless, so a recoverer may die too. Derived words (the GVA index, counts, free
/// stacks) are stored unlogged and rebuilt from the records after every rollback
/// (<see cref="RebuildDerived"/>).</item>
/// <item>Long operations (lift, reaping a process, a write's copy-on-write) commit after each node,
/// pin or copied piece; a lift and a reap are idempotent, so a successor that finds them half done
/// finishes them.</item>
/// <item>A process record (pid + start time) says who hosts each TS and holds each pin; the
/// survivors find a dead process with <see cref="ReapDeadProcesses"/> and lift its TSs, which
/// returns its pages once no surviving pin holds them.</item>
/// </list>
/// Payload bytes are never logged: they are data, not structure. Read, Write and DmaRead copy
/// under the lock. Linux only.
/// </remarks>
public sealed unsafe partial class SharedArena : IDisposable
{
    private readonly L _layout;
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;

    // The data pages: right after the metadata in the file, or an external block (a manager over
    // its own IArenaBacking). Physical address = byte offset from here.
    private readonly byte* _data;
    private readonly ArenaLock _mutex;

    // This process's share of the lock's sleepers count, in its process record (null before it has
    // a record and after it detached): a reaper takes a dead process's share back.
    private int* _mySleepers;
    private readonly TimeSpan _lockTimeout;
    private readonly bool _hostsAll;
    private readonly ulong _key0;
    private readonly ulong _key1;
    private readonly int _procSlot;

    // log2 of the page size (a power of two, checked by the layout): page numbers by shift, not by
    // a 64-bit division (tens of cycles each, several per operation).
    private readonly int _pageShift;

    // Record tables' places and the GVA index's mask, copied out of the layout: every operation
    // computes record offsets, and a field of this object is one load fewer than one of the layout's.
    private readonly long _nodeBase;
    private readonly long _extentBase;
    private readonly long _pageBase;
    private readonly long _tsBase;
    private readonly long _tsCtrnIndexed;
    private readonly long _gvaBase;
    private readonly long _pinBase;
    private readonly int _gvaMask;
    private readonly int _maxNodes;
    private readonly int _maxTs;

    // Whether capability tags hash the 7-byte message (every node id fits 20 bits; see ComputeTag).
    private readonly bool _shortTags;

    // The undo log's place and size, copied out of the layout for the logged store of every mutation.
    private readonly long _undoLog;
    private readonly int _undoEntries;

    // Genuine tags this process minted or verified, by node id (direct mapped; read and written
    // only under the lock). Saves the SipHash of every check of a capability seen before.
    private const int VerifiedTagSlots = 2048;   // 48 KiB: below the large object heap
    private readonly VerifiedTag[] _verifiedTags = new VerifiedTag[VerifiedTagSlots];
    private bool _disposed;
    private volatile bool _detached;

    private SharedArena(L layout, MemoryMappedFile file, MemoryMappedViewAccessor view, byte* pointer, byte* data, TimeSpan lockTimeout, bool hostsAll)
    {
        _layout = layout;
        _file = file;
        _view = view;
        _base = pointer;
        _data = data == null ? pointer + layout.MetadataBytes : data;
        _mutex = new ArenaLock(_base + L.HMutex, _base + L.HLockSleepers);
        _lockTimeout = lockTimeout;
        _hostsAll = hostsAll;
        _pageShift = System.Numerics.BitOperations.Log2((uint)layout.PageSize);
        _nodeBase = layout.Nodes;
        _extentBase = layout.Extents;
        _pageBase = layout.Pages;
        _tsBase = layout.Ts;
        _tsCtrnIndexed = layout.TsCtrnIndexed;
        _gvaBase = layout.GvaHash;
        _pinBase = layout.Pins;
        _gvaMask = layout.GvaHashSize - 1;
        _maxNodes = layout.MaxNodes;
        _maxTs = layout.MaxTs;
        _shortTags = (uint)layout.MaxNodes <= SipHash.ShortNodeIds;
        _undoLog = layout.UndoEntry(0);
        _undoEntries = layout.UndoEntries;
        _key0 = (ulong)I64(L.HKey0);
        _key1 = (ulong)I64(L.HKey1);

        // No record yet: Attach's reap must not skip slot 0 as "ours".
        _procSlot = -1;
        _procSlot = Attach();
        _mySleepers = (int*)(_base + layout.Proc(_procSlot) + L.PLockSleepers);
    }

    // Per thread: tests running in parallel use arenas too (every MemoryManager), and a crash a
    // test injects must hit only the operations of the thread that armed it.
    [ThreadStatic]
    private static Action<string>? t_testHook;

    /// <summary>Test hook called inside a transaction at named points (the lock is held, the update half made), on the thread that set it.</summary>
    internal static Action<string>? TestHook
    {
        get => t_testHook;
        set
        {
            t_testHook = value;
            s_anyTestHook |= value is not null;
        }
    }

    // Whether any thread ever set a hook: until then the hook points skip the thread-static read.
    private static volatile bool s_anyTestHook;

    /// <summary>Bytes per page.</summary>
    public int PageSize => _layout.PageSize;

    /// <summary>Data pages.</summary>
    public int PageCount => _layout.PageCount;

    /// <summary>This process's record index in the file's process table.</summary>
    public int ProcessSlot => _procSlot;

    /// <summary>
    /// Opens <paramref name="path"/>, creating and initialising it first if it does not exist, and
    /// attaches this process (reaping dead processes on the way). Creation is atomic: the file is
    /// built under a private name and hard-linked into place, so no process ever maps a half
    /// initialised file. Throws <see cref="InvalidDataException"/> if an existing file has another
    /// magic, version or geometry, <see cref="TimeoutException"/> if a live process holds the lock
    /// beyond the options' timeout, and the usual I/O exceptions.
    /// </summary>
    public static SharedArena Open(string path, SharedArenaOptions? options = null) => Open(path, options, null);

    /// <summary>
    /// <see cref="Open(string, SharedArenaOptions?)"/> with the data pages in <paramref name="data"/>
    /// (PageCount × PageSize bytes that outlive the arena) instead of the file: one process only,
    /// for a <see cref="MemoryManager"/> over its own backing.
    /// </summary>
    internal static SharedArena Open(string path, SharedArenaOptions? options, byte* data)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new SharedArenaOptions();
        var layout = new L(options);
        if (!File.Exists(path))
        {
            Create(path, layout);
        }

        var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        MemoryMappedFile file;
        try
        {
            if (stream.Length < layout.FileBytes)
            {
                throw new InvalidDataException($"{path} holds {stream.Length} bytes, its geometry needs {layout.FileBytes}");
            }

            file = MemoryMappedFile.CreateFromFile(stream, null, layout.FileBytes, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: false);
        }
        catch
        {
            stream.Dispose();
            throw;
        }

        var view = file.CreateViewAccessor(0, layout.FileBytes, MemoryMappedFileAccess.ReadWrite);
        byte* pointer = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        pointer += view.PointerOffset;
        try
        {
            Validate(pointer, layout, path);
            return new SharedArena(layout, file, view, pointer, data, options.LockTimeout, options.HostAllTs);
        }
        catch
        {
            view.SafeMemoryMappedViewHandle.ReleasePointer();
            view.Dispose();
            file.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Detaches: every TS this process hosts exits (its nodes and the CTRNs originating in it are
    /// lifted), its pins are released, its process record freed, and the file unmapped. Idempotent.
    /// Call it when no operation of this instance is in flight; later calls throw
    /// <see cref="ObjectDisposedException"/> (they cannot return an error value safely: the
    /// records they would read are unmapped).
    /// </summary>
    public void Dispose()
    {
        try
        {
            Detach();
        }
        finally
        {
            Unmap();
        }
    }

    /// <summary>
    /// The first half of <see cref="Dispose"/>: the TS exit of this process and its record freed;
    /// the file stays mapped, so an operation racing with it fails with an error value
    /// (<see cref="MemoryError.TsExited"/>, <see cref="MemoryError.NotPinned"/>) or
    /// <see cref="ObjectDisposedException"/> instead of touching unmapped memory. Idempotent.
    /// </summary>
    internal void Detach()
    {
        if (_detached)
        {
            return;
        }

        Enter();
        try
        {
            if (!_detached)
            {
                ReleaseProcess(_procSlot);
                _detached = true;

                // The record may go to another process now: a late wait must not count itself there.
                _mySleepers = null;
            }
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>The second half of <see cref="Dispose"/>: unmaps the file. Idempotent.</summary>
    internal void Unmap()
    {
        lock (_doubleReleases)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
    }

    private static void Create(string path, L layout)
    {
        string temporary = $"{path}.init.{Environment.ProcessId}.{Guid.NewGuid():N}";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None))
            {
                stream.SetLength(layout.FileBytes);
                using var file = MemoryMappedFile.CreateFromFile(stream, null, layout.FileBytes, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: true);
                using var view = file.CreateViewAccessor(0, layout.MetadataBytes, MemoryMappedFileAccess.ReadWrite);
                byte* pointer = null;
                view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
                try
                {
                    Initialise(pointer + view.PointerOffset, layout);
                }
                finally
                {
                    view.SafeMemoryMappedViewHandle.ReleasePointer();
                }

                view.Flush();
            }

            // link(2) fails with EEXIST if another process published first: then we use theirs.
            LibC.Link(temporary, path);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    private static void Initialise(byte* b, L l)
    {
        *(int*)(b + L.HVersion) = L.Version;
        *(int*)(b + L.HPageSize) = l.PageSize;
        *(int*)(b + L.HPageCount) = l.PageCount;
        *(int*)(b + L.HMaxNodes) = l.MaxNodes;
        *(int*)(b + L.HMaxTs) = l.MaxTs;
        *(int*)(b + L.HMaxProcesses) = l.MaxProcesses;
        *(int*)(b + L.HMaxPins) = l.MaxPins;
        *(int*)(b + L.HMaxExtents) = l.MaxExtents;
        *(int*)(b + L.HMaxSpills) = l.MaxSpills;
        *(int*)(b + L.HPathBytes) = l.PathBytes;
        *(int*)(b + L.HUndoEntries) = l.UndoEntries;
        *(long*)(b + L.HMetadataBytes) = l.MetadataBytes;

        Span<byte> key = stackalloc byte[16];
        RandomNumberGenerator.Fill(key);
        *(ulong*)(b + L.HKey0) = BinaryPrimitives.ReadUInt64LittleEndian(key);
        *(ulong*)(b + L.HKey1) = BinaryPrimitives.ReadUInt64LittleEndian(key[8..]);
        CryptographicOperations.ZeroMemory(key);
        new ArenaLock(b + L.HMutex, b + L.HLockSleepers).Initialise();

        // Free pages stacked in descending order so a fresh arena hands out 0, 1, 2, ...
        for (int i = 0; i < l.PageCount; i++)
        {
            int pfn = l.PageCount - 1 - i;
            *(int*)(b + l.FreePageStack + (4L * i)) = pfn;
            *(int*)(b + l.Page(pfn) + L.GFree) = 1;
        }

        *(int*)(b + L.HFreePageCount) = l.PageCount;

        // Node ids are taken from 1 up as needed, then reused from the free queue (FIFO).
        *(int*)(b + L.HNodeQueueHead) = 0;
        *(int*)(b + L.HNodeQueueCount) = 0;
        *(int*)(b + L.HNextNode) = 1;

        for (int i = 0; i < l.MaxPins - 1; i++)
        {
            uint id = (uint)(l.MaxPins - 1 - i);
            *(int*)(b + l.FreePinStack + (4L * i)) = (int)id;
            *(uint*)(b + l.Pin(id) + L.QGeneration) = 1;
        }

        *(int*)(b + L.HFreePinCount) = l.MaxPins - 1;
        for (int i = 0; i < l.MaxExtents - 1; i++)
        {
            *(int*)(b + l.FreeExtentStack + (4L * i)) = l.MaxExtents - 1 - i;
        }

        *(int*)(b + L.HFreeExtentCount) = l.MaxExtents - 1;
        for (int i = 0; i < l.MaxSpills - 1; i++)
        {
            *(int*)(b + l.FreeSpillStack + (4L * i)) = l.MaxSpills - 1 - i;
        }

        *(int*)(b + L.HFreeSpillCount) = l.MaxSpills - 1;

        // The root TS "/": id 1, kernel, hosted by no process (it never exits with one).
        long root = l.TsRec(RootTs);
        *(int*)(b + root + L.TState) = TsLive;
        *(int*)(b + root + L.TKind) = (int)TsKind.Kernel;
        *(int*)(b + root + L.TOwnerProc) = NoProcess;
        *(int*)(b + root + L.TPathOffset) = 0;
        *(int*)(b + root + L.TPathLength) = 1;
        *(long*)(b + root + L.TNextGva) = (long)L.FirstGva;
        *(b + l.PathTable) = (byte)'/';
        *(int*)(b + L.HPathBytesUsed) = 1;
        int hash = SharedNames.Hash("/"u8);
        long entry = l.TsHashEntry(hash & (l.TsHashSize - 1));
        *(int*)(b + entry + L.PTs) = RootTs;
        *(int*)(b + entry + L.PHash) = hash;
        *(int*)(b + L.HNextTs) = RootTs + 1;

        // The magic goes last: a file with it is complete.
        Volatile.Write(ref *(ulong*)(b + L.HMagic), L.Magic);
    }

    private static void Validate(byte* b, L l, string path)
    {
        bool ok = *(ulong*)(b + L.HMagic) == L.Magic
            && *(int*)(b + L.HVersion) == L.Version
            && *(int*)(b + L.HPageSize) == l.PageSize
            && *(int*)(b + L.HPageCount) == l.PageCount
            && *(int*)(b + L.HMaxNodes) == l.MaxNodes
            && *(int*)(b + L.HMaxTs) == l.MaxTs
            && *(int*)(b + L.HMaxProcesses) == l.MaxProcesses
            && *(int*)(b + L.HMaxPins) == l.MaxPins
            && *(int*)(b + L.HMaxExtents) == l.MaxExtents
            && *(int*)(b + L.HMaxSpills) == l.MaxSpills
            && *(int*)(b + L.HPathBytes) == l.PathBytes
            && *(int*)(b + L.HUndoEntries) == l.UndoEntries
            && *(long*)(b + L.HMetadataBytes) == l.MetadataBytes;
        if (!ok)
        {
            throw new InvalidDataException($"{path} is not a shared arena of this version and geometry");
        }
    }

    private int Attach()
    {
        Enter();
        try
        {
            ReapLocked();
            int pid = Environment.ProcessId;
            long start = ProcessLiveness.StartTime(pid);
            for (int slot = 0; slot < _layout.MaxProcesses; slot++)
            {
                long rec = _layout.Proc(slot);
                if (I32(rec + L.PState) == 0)
                {
                    ForgetLockSleepers(slot);
                    Set32(rec + L.PPid, pid);
                    Set64(rec + L.PStartTime, start);
                    Set32(rec + L.PState, 1);
                    if (_hostsAll && I32(TsRec(RootTs) + L.TOwnerProc) == NoProcess)
                    {
                        Set32(TsRec(RootTs) + L.TOwnerProc, slot);
                    }

                    Commit();
                    return slot;
                }
            }

            throw new InvalidOperationException($"shared arena process table full ({_layout.MaxProcesses} processes attached)");
        }
        finally
        {
            Leave();
        }
    }

    private long NodeRec(uint id) => _nodeBase + ((long)id * L.NodeSize);

    private long ExtentRec(int id) => _extentBase + ((long)id * L.ExtentSize);

    private long PageRec(int pfn) => _pageBase + ((long)pfn * L.PageRecSize);

    private long TsRec(int id) => _tsBase + ((long)id * L.TsSize);

    private long GvaEntry(int index) => _gvaBase + ((long)index * L.GvaEntrySize);

    private long PinRec(uint id) => _pinBase + ((long)id * L.PinSize);

    private ref int I32(long offset) => ref *(int*)(_base + offset);

    private ref long I64(long offset) => ref *(long*)(_base + offset);

    private uint U32(long offset) => *(uint*)(_base + offset);

    private Span<byte> PageBytes(int pfn) => new(_data + ((long)pfn * _layout.PageSize), _layout.PageSize);
}
