namespace Edsos.Memory;

/// <summary>The TS tree: creation, lookup, snapshots (the arena's records).</summary>
public sealed partial class MemoryManager
{
    /// <summary>
    /// Creates the TS at <paramref name="path"/> (absolute, <c>/</c>-separated, no empty,
    /// <c>.</c> or <c>..</c> segments), creating missing ancestors as plain TSs of their default
    /// kind. <paramref name="kind"/> defaults to <see cref="TsKind.User"/> at or below
    /// <c>/user_proc</c> and <see cref="TsKind.Kernel"/> elsewhere. Re-creating the path of an
    /// exited TS revives it under the same id (its old nodes stay revoked; its GVA allocator does
    /// not move back, so old GVAs never name new nodes); exited ancestors are revived likewise.
    /// Fails with <see cref="MemoryError.InvalidArgument"/> for a malformed path or the path of a
    /// live TS, <see cref="MemoryError.OutOfMemory"/> when TS ids (65 535) or path bytes run out.
    /// </summary>
    public MemoryResult<TsId> CreateTs(string path, TsKind? kind = null)
    {
        return _disposed ? Disposed() : _arena.CreateTs(path, kind);
    }

    /// <summary>
    /// The TS at <paramref name="path"/>, live or exited. Fails with
    /// <see cref="MemoryError.NoSuchTs"/> if there is none, <see cref="MemoryError.InvalidArgument"/>
    /// for a malformed path, <see cref="MemoryError.Disposed"/> after Dispose.
    /// </summary>
    public MemoryResult<TsId> FindTs(string path)
    {
        return _disposed ? Disposed() : _arena.FindTs(path);
    }

    /// <summary>
    /// A snapshot of TS <paramref name="ts"/>. Throws <see cref="ArgumentException"/> for an id no
    /// TS has (TS ids come from <see cref="CreateTs"/>; an unknown one is a caller bug); use
    /// <see cref="TryGetTs"/> to probe.
    /// </summary>
    public TsInfo GetTs(TsId ts)
    {
        return TryGetTs(ts, out var info) ? info : throw new ArgumentException($"no TS with id {ts.Value}", nameof(ts));
    }

    /// <summary>A snapshot of TS <paramref name="ts"/>, or false if no TS has that id (or the manager is disposed).</summary>
    public bool TryGetTs(TsId ts, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out TsInfo? info)
    {
        info = null;
        return !_disposed && _arena.TryGetTs(ts, out info);
    }

    /// <summary>
    /// True when TS <paramref name="ts"/> exists and is not lifted (false after Dispose): what
    /// <see cref="TryGetTs"/> says in <see cref="TsInfo.Alive"/>, without building the snapshot, so a
    /// syscall's liveness check allocates nothing.
    /// </summary>
    public bool IsTsAlive(TsId ts) => !_disposed && _arena.IsTsAlive(ts);

    /// <summary>
    /// <paramref name="ts"/> and all its descendants in post-order (children before parents), the
    /// order in which a TS exit lifts them. Empty for an unknown id or after Dispose.
    /// </summary>
    public IReadOnlyList<TsId> Subtree(TsId ts)
    {
        return _disposed ? [] : _arena.Subtree(ts);
    }
}
