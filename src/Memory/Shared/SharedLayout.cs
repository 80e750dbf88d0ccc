namespace Edsos.Memory.Shared;

/// <summary>
/// Byte offsets of the shared arena file: a 4 KiB header (geometry, key, robust lock, counters,
/// undo log), then fixed-size record tables (processes, TSs, pages, the free page stack, nodes,
/// the free node queue, pins, the free pin stack), rounded up to a page, then the data pages.
/// Every field is a naturally aligned 32- or 64-bit word, so a single store is never torn.
/// </summary>
internal sealed class SharedLayout
{
    public const ulong Magic = 0x314D485345445345UL; // "ESDESHM1" little endian
    public const int Version = 1;
    public const int MaxPagesPerNode = 16;

    // Header.
    public const int HMagic = 0;
    public const int HVersion = 8;
    public const int HPageSize = 12;
    public const int HPageCount = 16;
    public const int HMaxNodes = 20;
    public const int HMaxTs = 24;
    public const int HMaxProcesses = 28;
    public const int HMaxPins = 32;
    public const int HMaxPagesPerNode = 36;
    public const int HMetadataBytes = 40;
    public const int HKey0 = 48;
    public const int HKey1 = 56;
    public const int HMutex = 64;            // 64 bytes reserved; glibc's pthread_mutex_t is 40 (x86-64) or 48 (arm64)
    public const int HFreePageCount = 128;
    public const int HNodeQueueHead = 132;
    public const int HNodeQueueCount = 136;
    public const int HNextTs = 140;
    public const int HFreePinCount = 144;
    public const int HRecoveries = 148;       // lock inheritances from a dead holder (EOWNERDEAD)
    public const int HUndoneWrites = 152;     // undo entries rolled back over the arena's life
    public const int HUndoCount = 160;
    public const int HUndoEntries = 256;
    public const int UndoEntrySize = 16;      // offset (top bit: 64-bit word) + old value
    public const int HeaderBytes = 4096;
    public const int UndoCapacity = (HeaderBytes - HUndoEntries) / UndoEntrySize;

    // Process record.
    public const int ProcSize = 32;
    public const int PState = 0;              // 0 free, 1 attached
    public const int PPid = 4;
    public const int PStartTime = 8;          // /proc/PID/stat field 22: tells a reused pid apart

    // TS record.
    public const int TsSize = 16;
    public const int TState = 0;              // 0 never used, 1 live, 2 exited (ids are never reused)
    public const int TKind = 4;
    public const int TOwnerProc = 8;

    // Page record.
    public const int PageRecSize = 16;
    public const int GRefs = 0;
    public const int GPins = 4;
    public const int GFree = 8;

    // Node record.
    public const int NodeSize = 128;
    public const int NGeneration = 0;
    public const int NLiftedGeneration = 4;
    public const int NState = 8;              // 0 free, 1 live, 2 retired
    public const int NOwnerTs = 12;
    public const int NOriginTs = 16;
    public const int NRights = 20;            // the most a capability to this node may grant
    public const int NOffset = 24;            // first byte's offset in the first page
    public const int NLength = 28;
    public const int NPageCount = 32;
    public const int NIsCtrn = 36;
    public const int NPages = 64;             // MaxPagesPerNode page numbers

    // Pin record.
    public const int PinSize = 96;
    public const int QGeneration = 0;
    public const int QState = 4;              // 0 free, 1 held
    public const int QOwnerProc = 8;
    public const int QOffset = 12;
    public const int QLength = 16;
    public const int QPageCount = 20;
    public const int QPages = 32;

    public SharedLayout(SharedArenaOptions o)
    {
        if (o.PageSize < 512 || (o.PageSize & (o.PageSize - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(o), "page size must be a power of two of at least 512");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(o.PageCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(o.MaxNodes, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(o.MaxTs, 2);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(o.MaxTs, ushort.MaxValue);
        ArgumentOutOfRangeException.ThrowIfLessThan(o.MaxProcesses, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(o.MaxPins, 1);

        PageSize = o.PageSize;
        PageCount = o.PageCount;
        MaxNodes = o.MaxNodes;
        MaxTs = o.MaxTs;
        MaxProcesses = o.MaxProcesses;
        MaxPins = o.MaxPins;

        long at = HeaderBytes;
        Procs = at; at += (long)ProcSize * MaxProcesses;
        Ts = at; at += (long)TsSize * MaxTs;
        Pages = at; at += (long)PageRecSize * PageCount;
        FreePageStack = at; at += 4L * PageCount;
        Nodes = at; at += (long)NodeSize * MaxNodes;
        NodeQueue = at; at += 4L * MaxNodes;
        Pins = at; at += (long)PinSize * MaxPins;
        FreePinStack = at; at += 4L * MaxPins;
        MetadataBytes = (at + PageSize - 1) / PageSize * PageSize;
        FileBytes = MetadataBytes + (long)PageSize * PageCount;
    }

    public int PageSize { get; }
    public int PageCount { get; }
    public int MaxNodes { get; }
    public int MaxTs { get; }
    public int MaxProcesses { get; }
    public int MaxPins { get; }
    public long Procs { get; }
    public long Ts { get; }
    public long Pages { get; }
    public long FreePageStack { get; }
    public long Nodes { get; }
    public long NodeQueue { get; }
    public long Pins { get; }
    public long FreePinStack { get; }
    public long MetadataBytes { get; }
    public long FileBytes { get; }

    public long Proc(int slot) => Procs + ((long)slot * ProcSize);
    public long TsRec(int id) => Ts + ((long)id * TsSize);
    public long Page(int pfn) => Pages + ((long)pfn * PageRecSize);
    public long Node(uint id) => Nodes + ((long)id * NodeSize);
    public long Pin(uint id) => Pins + ((long)id * PinSize);
    public long Data(int pfn) => MetadataBytes + ((long)pfn * PageSize);
}
