namespace Edsos.Memory.Shared;

/// <summary>A snapshot of a shared arena, taken under its lock.</summary>
/// <param name="PageCount">Data pages in the arena.</param>
/// <param name="FreePages">Pages on the free stack.</param>
/// <param name="LiveNodes">Live node records.</param>
/// <param name="LivePins">Held pins.</param>
/// <param name="AttachedProcesses">Process records in use (live, or dead and not reaped yet).</param>
/// <param name="Recoveries">Times a process inherited the lock from a dead holder (and rolled its transaction back).</param>
/// <param name="UndoneWrites">Metadata writes rolled back by those recoveries.</param>
/// <param name="FreeExtents">Extent records on the free stack.</param>
/// <param name="DoubleReleases">Double releases seen by every process (see <see cref="SharedArena.Release"/>).</param>
/// <param name="LiveCtrns">Live nodes that are CTRNs (made by ct_share, or divided or merged from one).</param>
public readonly record struct SharedArenaStats(int PageCount, int FreePages, int LiveNodes, int LivePins, int AttachedProcesses, int Recoveries, int UndoneWrites, int FreeExtents, int DoubleReleases, int LiveCtrns);
