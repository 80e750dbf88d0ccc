namespace Edsos.Memory.Shared;

/// <summary>
/// Geometry and limits of a shared arena file. Every process opening one file must pass the same
/// geometry (the file's header records it; a mismatch refuses the open).
/// </summary>
public sealed record SharedArenaOptions
{
    /// <summary>Bytes per page (a power of two, at least 512).</summary>
    public int PageSize { get; init; } = 4096;

    /// <summary>Data pages in the arena.</summary>
    public int PageCount { get; init; } = 4096;

    /// <summary>Node records (node ids 1 .. MaxNodes − 1; id 0 is never valid).</summary>
    public int MaxNodes { get; init; } = 8192;

    /// <summary>TS records (ids 1 .. MaxTs − 1; id 1 is the root "/"). TS ids are never reused.</summary>
    public int MaxTs { get; init; } = 4096;

    /// <summary>Process records: processes attached at once.</summary>
    public int MaxProcesses { get; init; } = 64;

    /// <summary>Pin records in use at once.</summary>
    public int MaxPins { get; init; } = 1024;

    /// <summary>
    /// Extent records (ids 1 .. MaxExtents − 1): every node and every pin holds its scatter list as a
    /// chain of them, one per physically contiguous run.
    /// </summary>
    public int MaxExtents { get; init; } = 16384;

    /// <summary>Origin spill records: a node with more than 4 origins holds one (up to 16 more).</summary>
    public int MaxOriginSpills { get; init; } = 1024;

    /// <summary>Bytes of the TS path string table (paths are never freed: TS ids are never reused).</summary>
    public int PathBytes { get; init; } = 256 * 1024;

    /// <summary>
    /// Undo log entries (16 bytes each). They bound one transaction, and so the page references one
    /// node may hold: (UndoEntries − 512) / 4 (1 920 by default, 7.5 MiB of 4 KiB pages).
    /// </summary>
    public int UndoEntries { get; init; } = 8192;

    /// <summary>
    /// This process hosts every TS it creates, the ancestors <see cref="SharedArena.CreateTs(string, TsKind?)"/>
    /// makes on the way included, and adopts the root if no process hosts it: the single-process
    /// mode, in which any code of the process may act as any TS (as with <see cref="MemoryManager"/>).
    /// Not geometry: processes of one file may differ. Off by default (a cluster role hosts only
    /// the TSs it creates explicitly, so its death lifts nothing shared).
    /// </summary>
    public bool HostAllTs { get; init; }

    /// <summary>
    /// How long a process waits for the metadata lock before it gives up with
    /// <see cref="TimeoutException"/>. A dead holder makes a waiter wait about 10 ms (until it checks the holder in /proc);
    /// this bounds only a live holder that is stopped or stuck.
    /// </summary>
    public TimeSpan LockTimeout { get; init; } = TimeSpan.FromSeconds(20);
}
