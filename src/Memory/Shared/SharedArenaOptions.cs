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

    /// <summary>TS records (ids 1 .. MaxTs − 1). TS ids are never reused.</summary>
    public int MaxTs { get; init; } = 4096;

    /// <summary>Process records: processes attached at once.</summary>
    public int MaxProcesses { get; init; } = 64;

    /// <summary>Pin records in use at once.</summary>
    public int MaxPins { get; init; } = 1024;

    /// <summary>
    /// How long a process waits for the metadata lock before it gives up with
    /// <see cref="TimeoutException"/>. A dead holder never makes anyone wait (the lock is robust);
    /// this bounds only a live holder that is stopped or stuck.
    /// </summary>
    public TimeSpan LockTimeout { get; init; } = TimeSpan.FromSeconds(20);
}
