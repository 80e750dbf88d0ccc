namespace Edsos.Memory.Shared;

/// <summary>
/// Byte offsets of the shared arena file: a 4 KiB header (geometry, key, the lock word, counters),
/// then fixed-size record tables (processes, TSs, pages, the free page stack, nodes, the free node
/// queue, pins, the free pin stack, extents, the free extent stack, origin spills, the free spill
/// stack, the TS path hash, the path string table, the GVA hash, the undo log), rounded up to a
/// page, then the data pages. Every field is a naturally aligned 32- or 64-bit word, so a single
/// store is never torn.
/// </summary>
internal sealed class SharedLayout
{
    public const ulong Magic = 0x324D485345445345UL; // "ESDESHM2" little endian
    public const int Version = 6;   // 5: the lock is an ArenaLock word (was a glibc robust mutex); 6: its sleepers count (unlock by plain store), CTRNs indexed by GVA per TS on demand

    /// <summary>Undo entries kept free for an operation's fixed part; the rest bounds a node's page spans.</summary>
    public const int UndoReserve = 512;

    /// <summary>Undo entries one page span may cost in the largest per-span operation (pop: reference, free flag, stack slot, stack count).</summary>
    public const int UndoPerSpan = 4;

    public const int MaxNameBytes = 64;
    public const int MaxPathBytes = 1024;
    public const int InlineOrigins = 4;
    public const int SpillOrigins = 16;
    public const int MaxOrigins = InlineOrigins + SpillOrigins;
    public const ulong FirstGva = 0x10000;

    // Header.
    public const int HMagic = 0;
    public const int HVersion = 8;
    public const int HPageSize = 12;
    public const int HPageCount = 16;
    public const int HMaxNodes = 20;
    public const int HMaxTs = 24;
    public const int HMaxProcesses = 28;
    public const int HMaxPins = 32;
    public const int HMaxExtents = 36;
    public const int HMetadataBytes = 40;
    public const int HKey0 = 48;
    public const int HKey1 = 56;
    public const int HMutex = 64;            // the ArenaLock word (8 bytes) in 64 reserved bytes
    public const int HLockSleepers = 72;     // threads of any process sleeping or about to sleep on it (ArenaLock)
    public const int HFreePageCount = 128;
    public const int HNodeQueueHead = 132;
    public const int HNodeQueueCount = 136;
    public const int HNextTs = 140;
    public const int HFreePinCount = 144;
    public const int HRecoveries = 148;       // lock inheritances from a dead holder
    public const int HUndoneWrites = 152;     // undo entries rolled back over the arena's life
    public const int HUndoCount = 156;
    public const int HFreeExtentCount = 160;
    public const int HFreeSpillCount = 164;
    public const int HPathBytesUsed = 168;
    public const int HUndoEntries = 172;
    public const int HMaxSpills = 176;
    public const int HPathBytes = 180;
    public const int HDoubleReleases = 184;   // double releases seen (statistic, logged like the rest)
    public const int HLiveNodes = 188;        // live node records, CTRNs included
    public const int HLiveCtrns = 192;
    public const int HLivePins = 196;
    public const int HNextNode = 200;         // node ids from here up were never used (taken before the free queue runs dry)
    public const int HeaderBytes = 4096;
    public const int UndoEntrySize = 16;      // offset (top bit: 64-bit word) + old value

    // Process record.
    public const int ProcSize = 32;
    public const int PState = 0;              // 0 free, 1 attached
    public const int PPid = 4;
    public const int PStartTime = 8;          // /proc/PID/stat field 22: tells a reused pid apart
    public const int PLockSleepers = 16;      // this process's share of HLockSleepers (a reaper takes a dead process's back)

    // TS record.
    public const int TsSize = 32;
    public const int TState = 0;              // 0 never used, 1 live, 2 exited, 3 lifting (ids are never reused)
    public const int TKind = 4;
    public const int TOwnerProc = 8;          // hosting process record; -1: hosted by none (an implicit ancestor, the root)
    public const int TParent = 12;
    public const int TPathOffset = 16;        // into the path string table
    public const int TPathLength = 20;
    public const int TNextGva = 24;           // 64 bit: the GVA bump pointer, never moves back

    // Page record.
    public const int PageRecSize = 16;
    public const int GRefs = 0;
    public const int GPins = 4;
    public const int GFree = 8;
    public const int GTemp = 12;              // temporary pins of byte accesses in flight (not DMA pins)

    // Node record.
    public const int NodeSize = 160;
    public const int NGeneration = 0;
    public const int NLiftedGeneration = 4;
    public const int NState = 8;              // 0 free, 1 live, 2 retired
    public const int NOwnerTs = 12;
    public const int NRights = 16;            // the most a capability to this node may grant
    public const int NLength = 20;
    public const int NFlags = 24;             // FlagCtrn | FlagDivided
    public const int NReleasedGeneration = 28; // the generation its owner last ended by pop, divide, merge or grant
    public const int NGvaBase = 32;           // 64 bit: offset part of the first GVA
    public const int NRootStart = 40;         // 64 bit: offset inside the node it was divided from
    public const int NExtentHead = 48;        // first extent record of the scatter list
    public const int NExtentCount = 52;
    public const int NSpans = 56;             // page references held: the sum over extents of pages spanned
    public const int NGvaNext = 60;           // next node starting in the same GVA page (the GVA bucket list)
    public const int NOriginCount = 64;
    public const int NOrigins = 68;           // InlineOrigins TS ids
    public const int NOriginSpill = 84;       // spill record with up to SpillOrigins more, 0 when none
    public const int NNameLength = 88;
    public const int NName = 96;              // MaxNameBytes of UTF-8
    public const int FlagCtrn = 1;
    public const int FlagDivided = 2;

    // Pin record.
    public const int PinSize = 32;
    public const int QGeneration = 0;
    public const int QState = 4;              // 0 free, 1 held
    public const int QOwnerProc = 8;
    public const int QLength = 12;
    public const int QExtentHead = 16;        // the pin's own copy of the node's scatter list
    public const int QExtentCount = 20;
    public const int QTemp = 24;              // 1: a byte access's temporary pin (counts in GTemp, not GPins)

    // Extent record: a physically contiguous run, chained in node byte order.
    public const int ExtentSize = 16;
    public const int EAddress = 0;            // 64 bit: byte offset into the data pages
    public const int ELength = 8;
    public const int ENext = 12;              // 0 ends the chain

    // Origin spill record: SpillOrigins TS ids.
    public const int SpillSize = 4 * SpillOrigins;

    // GVA hash entry: (TS id << 48 | GVA page) → the first node of the bucket (nodes starting in that page).
    public const int GvaEntrySize = 16;
    public const int VKey = 0;                // 64 bit, 0 = empty
    public const int VNode = 8;

    // TS path hash entry: TS id (0 = empty) and the path's hash.
    public const int PathEntrySize = 8;
    public const int PTs = 0;
    public const int PHash = 4;

    public SharedLayout(SharedArenaOptions o)
    {
        if (o.PageSize < 512 || (o.PageSize & (o.PageSize - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(o), "page size must be a power of two of at least 512");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(o.PageCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(o.MaxNodes, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(o.MaxTs, 3);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(o.MaxTs, ushort.MaxValue + 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(o.MaxProcesses, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(o.MaxPins, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(o.MaxExtents, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(o.MaxOriginSpills, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(o.PathBytes, 4096);
        ArgumentOutOfRangeException.ThrowIfLessThan(o.UndoEntries, UndoReserve + (16 * UndoPerSpan));

        PageSize = o.PageSize;
        PageCount = o.PageCount;
        MaxNodes = o.MaxNodes;
        MaxTs = o.MaxTs;
        MaxProcesses = o.MaxProcesses;
        MaxPins = o.MaxPins;
        MaxExtents = o.MaxExtents;
        MaxSpills = o.MaxOriginSpills;
        PathBytes = o.PathBytes;
        UndoEntries = o.UndoEntries;
        TsHashSize = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)(2 * MaxTs));
        GvaHashSize = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)(2 * MaxNodes));
        MaxSpansPerNode = (UndoEntries - UndoReserve) / UndoPerSpan;

        long at = HeaderBytes;
        Procs = at; at += (long)ProcSize * MaxProcesses;
        Ts = at; at += (long)TsSize * MaxTs;
        TsCtrnIndexed = at; at += 4L * MaxTs;
        Pages = at; at += (long)PageRecSize * PageCount;
        FreePageStack = at; at += 4L * PageCount;
        Nodes = at; at += (long)NodeSize * MaxNodes;
        NodeQueue = at; at += 4L * MaxNodes;
        Pins = at; at += (long)PinSize * MaxPins;
        FreePinStack = at; at += 4L * MaxPins;
        Extents = at; at += (long)ExtentSize * MaxExtents;
        FreeExtentStack = at; at += 4L * MaxExtents;
        Spills = at; at += (long)SpillSize * MaxSpills;
        FreeSpillStack = at; at += 4L * MaxSpills;
        TsHash = at; at += (long)PathEntrySize * TsHashSize;
        GvaHash = at; at += (long)GvaEntrySize * GvaHashSize;
        Undo = at; at += (long)UndoEntrySize * UndoEntries;
        PathTable = at; at += PathBytes;
        MetadataBytes = (at + PageSize - 1) / PageSize * PageSize;
        FileBytes = MetadataBytes + (long)PageSize * PageCount;
    }

    public int PageSize { get; }
    public int PageCount { get; }
    public int MaxNodes { get; }
    public int MaxTs { get; }
    public int MaxProcesses { get; }
    public int MaxPins { get; }
    public int MaxExtents { get; }
    public int MaxSpills { get; }
    public int PathBytes { get; }
    public int UndoEntries { get; }
    public int TsHashSize { get; }
    public int GvaHashSize { get; }

    /// <summary>Page references one node may hold: its pop must fit in the undo log.</summary>
    public int MaxSpansPerNode { get; }
    public long Procs { get; }
    public long Ts { get; }

    /// <summary>Per TS, 1 once a <c>Translate</c> ran in it: its CTRNs are in the GVA index from then on (see SharedArena.Gva).</summary>
    public long TsCtrnIndexed { get; }
    public long Pages { get; }
    public long FreePageStack { get; }
    public long Nodes { get; }
    public long NodeQueue { get; }
    public long Pins { get; }
    public long FreePinStack { get; }
    public long Extents { get; }
    public long FreeExtentStack { get; }
    public long Spills { get; }
    public long FreeSpillStack { get; }
    public long TsHash { get; }
    public long GvaHash { get; }
    public long Undo { get; }
    public long PathTable { get; }
    public long MetadataBytes { get; }
    public long FileBytes { get; }

    public long Proc(int slot) => Procs + ((long)slot * ProcSize);
    public long TsRec(int id) => Ts + ((long)id * TsSize);
    public long Page(int pfn) => Pages + ((long)pfn * PageRecSize);
    public long Node(uint id) => Nodes + ((long)id * NodeSize);
    public long Pin(uint id) => Pins + ((long)id * PinSize);
    public long Extent(int id) => Extents + ((long)id * ExtentSize);
    public long Spill(int id) => Spills + ((long)id * SpillSize);
    public long TsHashEntry(int index) => TsHash + ((long)index * PathEntrySize);
    public long GvaEntry(int index) => GvaHash + ((long)index * GvaEntrySize);
    public long UndoEntry(int index) => Undo + ((long)index * UndoEntrySize);
    public long Data(int pfn) => MetadataBytes + ((long)pfn * PageSize);
}
