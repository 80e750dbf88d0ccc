namespace Edsos.Memory;

/// <summary>
/// The EDSOS memory model (seed 000): TS tree, nodes, capabilities, CTRN sharing, lift, DMA pins
/// and copy accounting over one physical arena. Stub surface; implementation follows.
/// </summary>
public sealed class MemoryManager : IDisposable
{
    private const string NotYet = "not implemented yet";

    /// <summary>Creates a manager over <paramref name="backing"/>; the manager takes ownership and disposes it.</summary>
    public MemoryManager(IArenaBacking backing)
    {
        Backing = backing;
    }

    /// <summary>Creates a manager over a private native arena of <paramref name="pageCount"/> 4 KiB pages.</summary>
    public MemoryManager(int pageCount = 4096)
        : this(new NativeArenaBacking(pageCount))
    {
    }

    /// <summary>The physical arena.</summary>
    public IArenaBacking Backing { get; }

    /// <summary>The root TS ("/").</summary>
    public TsId Root => new(1);

    /// <summary>Accounting snapshot.</summary>
    public MemoryCounters Counters => new(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

    /// <summary>Creates a TS.</summary>
    public MemoryResult<TsId> CreateTs(string path, TsKind? kind = null) => MemoryResult<TsId>.Fail(MemoryError.InvalidArgument, NotYet);

    /// <summary>Finds a TS by path.</summary>
    public MemoryResult<TsId> FindTs(string path) => MemoryResult<TsId>.Fail(MemoryError.InvalidArgument, NotYet);

    /// <summary>Snapshot of a TS.</summary>
    public TsInfo GetTs(TsId ts) => throw new NotImplementedException();

    /// <summary>Post-order subtree.</summary>
    public IReadOnlyList<TsId> Subtree(TsId ts) => [];

    /// <summary>Push.</summary>
    public MemoryResult<Capability> Push(TsId caller, string name, int length, Rights rights = Rights.All) => MemoryResult<Capability>.Fail(MemoryError.InvalidArgument, NotYet);

    /// <summary>CtShare.</summary>
    public MemoryResult<Capability> CtShare(TsId caller, Capability source, Gva gva, int length, TsId target, string name, Rights rights) => MemoryResult<Capability>.Fail(MemoryError.InvalidArgument, NotYet);

    /// <summary>Divide.</summary>
    public MemoryResult<(Capability Head, Capability Tail)> Divide(TsId caller, Capability node, int offset) => MemoryResult<(Capability, Capability)>.Fail(MemoryError.InvalidArgument, NotYet);

    /// <summary>Merge.</summary>
    public MemoryResult<Capability> Merge(TsId caller, Capability a, Capability b, string name) => MemoryResult<Capability>.Fail(MemoryError.InvalidArgument, NotYet);

    /// <summary>Pop.</summary>
    public MemoryResult Pop(TsId caller, Capability node) => MemoryResult.Fail(MemoryError.InvalidArgument, NotYet);

    /// <summary>Grant.</summary>
    public MemoryResult<Capability> Grant(TsId caller, Capability node, TsId target, string name, Rights rights) => MemoryResult<Capability>.Fail(MemoryError.InvalidArgument, NotYet);

    /// <summary>Restrict.</summary>
    public MemoryResult<Capability> Restrict(TsId caller, Capability cap, Rights rights) => MemoryResult<Capability>.Fail(MemoryError.InvalidArgument, NotYet);

    /// <summary>Revoke.</summary>
    public MemoryResult<Capability> Revoke(TsId caller, Capability cap) => MemoryResult<Capability>.Fail(MemoryError.InvalidArgument, NotYet);

    /// <summary>Lift.</summary>
    public LiftReport Lift(TsId ts) => new(0, 0, 0, 0);

    /// <summary>Translate.</summary>
    public MemoryResult<GvaHit> Translate(TsId caller, Gva gva, int length, Rights needed) => MemoryResult<GvaHit>.Fail(MemoryError.InvalidArgument, NotYet);

    /// <summary>Inspect.</summary>
    public MemoryResult<NodeInfo> Inspect(TsId caller, Capability cap) => MemoryResult<NodeInfo>.Fail(MemoryError.InvalidArgument, NotYet);

    /// <summary>Read.</summary>
    public MemoryResult Read(TsId caller, Capability cap, int offset, Span<byte> destination, CopyKind kind) => MemoryResult.Fail(MemoryError.InvalidArgument, NotYet);

    /// <summary>Write.</summary>
    public MemoryResult Write(TsId caller, Capability cap, int offset, ReadOnlySpan<byte> source, CopyKind kind) => MemoryResult.Fail(MemoryError.InvalidArgument, NotYet);

    /// <summary>Visit.</summary>
    public MemoryResult Visit<TState>(TsId caller, Capability cap, int offset, int length, ref TState state, SegmentVisitor<TState> visitor) => MemoryResult.Fail(MemoryError.InvalidArgument, NotYet);

    /// <summary>Pin.</summary>
    public MemoryResult<DmaPin> Pin(TsId caller, Capability cap) => MemoryResult<DmaPin>.Fail(MemoryError.InvalidArgument, NotYet);

    /// <summary>Unpin.</summary>
    public MemoryResult Unpin(ulong pinId) => MemoryResult.Fail(MemoryError.InvalidArgument, NotYet);

    /// <summary>DmaRead.</summary>
    public MemoryResult DmaRead(PhysExtent extent, Span<byte> destination) => MemoryResult.Fail(MemoryError.InvalidArgument, NotYet);

    /// <summary>DmaWrite.</summary>
    public MemoryResult DmaWrite(PhysExtent extent, ReadOnlySpan<byte> source) => MemoryResult.Fail(MemoryError.InvalidArgument, NotYet);

    /// <summary>Leak report.</summary>
    public LeakReport GetLeakReport() => new([], 0, 0);

    /// <summary>Leak report for a subtree.</summary>
    public LeakReport GetLeakReport(TsId ts) => new([], 0, 0);

    /// <summary>Disposes.</summary>
    public void Dispose() => Backing.Dispose();
}
