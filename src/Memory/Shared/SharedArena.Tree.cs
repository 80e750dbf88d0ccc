using System.Text;
using L = Edsos.Memory.Shared.SharedLayout;

namespace Edsos.Memory.Shared;

/// <summary>The TS tree: paths in a string table, a path hash for lookups, parent links, lift.</summary>
public sealed unsafe partial class SharedArena
{
    /// <summary>The root TS, path "/", kernel kind, hosted by no process; it always exists.</summary>
    public static TsId Root => new(RootTs);

    /// <summary>
    /// Creates the TS at <paramref name="path"/> (the manager's path syntax), hosted by this process,
    /// creating missing ancestors as TSs of their default kind hosted by no process (a process's
    /// death never lifts them). <paramref name="kind"/> defaults to <see cref="TsKind.User"/> at or
    /// below <c>/user_proc</c> and <see cref="TsKind.Kernel"/> elsewhere. Re-creating the path of an
    /// exited TS revives it under the same id (its old nodes stay revoked, its GVA bump pointer does
    /// not move back); creating the path of a live TS hosted by no process adopts it (this process
    /// hosts it from now on). With <see cref="SharedArenaOptions.HostAllTs"/> this process hosts the
    /// ancestors it makes too. Fails with <see cref="MemoryError.InvalidArgument"/> for a malformed
    /// path or the path of a live hosted TS, <see cref="MemoryError.OutOfMemory"/> when TS ids or
    /// path bytes run out (nothing created).
    /// </summary>
    public MemoryResult<TsId> CreateTs(string path, TsKind? kind = null)
    {
        if (!SharedNames.TryParsePath(path, out var segments) || segments.Length == 0)
        {
            return MemoryResult<TsId>.Fail(MemoryError.InvalidArgument, $"malformed TS path '{path}'");
        }

        Enter();
        try
        {
            return CreateTsLocked(path, segments, kind);
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>
    /// Creates an anonymous TS of <paramref name="kind"/> hosted by this process, at path
    /// <c>/anon/N</c>. Fails with <see cref="MemoryError.OutOfMemory"/> when TS ids run out.
    /// </summary>
    public MemoryResult<TsId> CreateTs(TsKind kind)
    {
        Enter();
        try
        {
            string path = $"/anon/{I32(L.HNextTs)}";
            return CreateTsLocked(path, path[1..].Split('/'), kind);
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>The TS at <paramref name="path"/>, live or exited. <see cref="MemoryError.NoSuchTs"/> if none, <see cref="MemoryError.InvalidArgument"/> for a malformed path.</summary>
    public MemoryResult<TsId> FindTs(string path)
    {
        if (!SharedNames.TryParsePath(path, out _))
        {
            return MemoryResult<TsId>.Fail(MemoryError.InvalidArgument, $"malformed TS path '{path}'");
        }

        byte[] utf8 = Encoding.UTF8.GetBytes(path);
        Enter();
        try
        {
            int id = FindPath(utf8, SharedNames.Hash(utf8));
            return id != 0 ? MemoryResult<TsId>.Ok(new TsId((ushort)id)) : MemoryResult<TsId>.Fail(MemoryError.NoSuchTs, $"no TS at '{path}'");
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>A snapshot of TS <paramref name="ts"/> (path, kind, parent, alive, children in creation order), or false if no TS has that id.</summary>
    public bool TryGetTs(TsId ts, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out TsInfo? info)
    {
        info = null;
        Enter();
        try
        {
            if (!TsExists(ts.Value))
            {
                return false;
            }

            long rec = TsRec(ts.Value);
            var children = new List<TsId>();
            for (int id = ts.Value + 1; id < I32(L.HNextTs); id++)
            {
                if (I32(TsRec(id) + L.TParent) == ts.Value)
                {
                    children.Add(new TsId((ushort)id));
                }
            }

            info = new TsInfo(ts, TsPath(ts.Value), (TsKind)I32(rec + L.TKind), new TsId((ushort)I32(rec + L.TParent)), I32(rec + L.TState) == TsLive, children);
            return true;
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>True when TS <paramref name="ts"/> exists and is not lifted: <see cref="TryGetTs"/>'s <c>Alive</c> without the snapshot (allocates nothing).</summary>
    public bool IsTsAlive(TsId ts)
    {
        Enter();
        try
        {
            return TsExists(ts.Value) && I32(_layout.TsRec(ts.Value) + L.TState) == TsLive;
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>
    /// <paramref name="ts"/> and its descendants in post-order (children before parents, siblings in
    /// creation order), the order in which a TS exit lifts them. Empty for an unknown id.
    /// </summary>
    public IReadOnlyList<TsId> Subtree(TsId ts)
    {
        Enter();
        try
        {
            var result = new List<TsId>();
            if (!TsExists(ts.Value))
            {
                return result;
            }

            // One scan builds child lists (a child's id is always above its parent's).
            int count = I32(L.HNextTs);
            var children = new List<int>?[count];
            for (int id = RootTs + 1; id < count; id++)
            {
                int parent = I32(TsRec(id) + L.TParent);
                (children[parent] ??= []).Add(id);
            }

            AppendPostOrder(ts.Value, children, result);
            return result;
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>
    /// TS exit of any TS of the arena, whichever process hosts it: marks it exited and revokes every
    /// node it owns and every node with it among its origins; their capabilities then report
    /// <see cref="MemoryError.InvalidGva"/>. Commits after each node, so a SIGKILL midway leaves the
    /// TS <em>lifting</em> and the next <see cref="ReapDeadProcesses"/> (in any process) finishes it.
    /// Lifts only this TS, not its descendants (walk <see cref="Subtree"/>). Idempotent; an unknown
    /// or exited TS yields an empty report.
    /// </summary>
    public LiftReport Lift(TsId ts)
    {
        Enter();
        try
        {
            if (!TsExists(ts.Value) || I32(TsRec(ts.Value) + L.TState) == TsExited)
            {
                return new LiftReport(0, 0, 0, 0);
            }

            return LiftLocked(ts.Value);
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>
    /// Exits <paramref name="ts"/> (hosted by this process) like <see cref="Lift"/>. Returns the nodes
    /// revoked. Fails like any caller check.
    /// </summary>
    public MemoryResult<int> ExitTs(TsId ts)
    {
        Enter();
        try
        {
            var check = CheckCaller(ts);
            if (!check.IsOk)
            {
                return check;
            }

            return MemoryResult<int>.Ok(LiftLocked(ts.Value).NodesRevoked);
        }
        finally
        {
            Leave();
        }
    }

    private MemoryResult<TsId> CreateTsLocked(string path, string[] segments, TsKind? kind)
    {
        byte[] whole = Encoding.UTF8.GetBytes(path);
        int existing = FindPath(whole, SharedNames.Hash(whole));
        if (existing != 0 && I32(TsRec(existing) + L.TState) == TsLive)
        {
            long rec = TsRec(existing);
            if (I32(rec + L.TOwnerProc) != NoProcess)
            {
                return MemoryResult<TsId>.Fail(MemoryError.InvalidArgument, $"TS '{path}' already exists");
            }

            Set32(rec + L.TOwnerProc, _procSlot);
            if (kind is { } adopted)
            {
                Set32(rec + L.TKind, (int)adopted);
            }

            Commit();
            return MemoryResult<TsId>.Ok(new TsId((ushort)existing));
        }

        // A TS on the path still lifting (its lifter died) is finished first, before this
        // transaction writes anything: the lift commits per node, and a revive must not meet its
        // old nodes.
        var prefix = new StringBuilder();
        foreach (string segment in segments)
        {
            prefix.Append('/').Append(segment);
            byte[] utf8 = Encoding.UTF8.GetBytes(prefix.ToString());
            int id = FindPath(utf8, SharedNames.Hash(utf8));
            if (id != 0 && I32(TsRec(id) + L.TState) == TsLifting)
            {
                LiftLocked(id);
            }
        }

        int parent = RootTs;
        prefix.Clear();
        for (int i = 0; i < segments.Length; i++)
        {
            prefix.Append('/').Append(segments[i]);
            bool last = i == segments.Length - 1;
            byte[] utf8 = Encoding.UTF8.GetBytes(prefix.ToString());
            int hash = SharedNames.Hash(utf8);
            int id = FindPath(utf8, hash);
            if (id != 0)
            {
                long rec = TsRec(id);
                if (I32(rec + L.TState) != TsLive)
                {
                    Set32(rec + L.TOwnerProc, last || _hostsAll ? _procSlot : NoProcess);
                    if (last && kind is { } revivedKind)
                    {
                        Set32(rec + L.TKind, (int)revivedKind);
                    }

                    Set32(rec + L.TState, TsLive);
                }

                parent = id;
                continue;
            }

            id = I32(L.HNextTs);
            int used = I32(L.HPathBytesUsed);
            if (id >= _layout.MaxTs || used + utf8.Length > _layout.PathBytes)
            {
                // Leave rolls back the ancestors made so far.
                return MemoryResult<TsId>.Fail(MemoryError.OutOfMemory, id >= _layout.MaxTs ? $"TS ids exhausted ({_layout.MaxTs})" : "TS path table full");
            }

            // Bytes past the used mark and a never-used TS record are free space: no undo needed.
            utf8.CopyTo(new Span<byte>(_base + _layout.PathTable + used, utf8.Length));
            long created = TsRec(id);
            Init32(created + L.TKind, (int)(last && kind is { } given ? given : SharedNames.DefaultKind(prefix.ToString())));
            Init32(created + L.TOwnerProc, last || _hostsAll ? _procSlot : NoProcess);
            Init32(created + L.TParent, parent);
            Init32(created + L.TPathOffset, used);
            Init32(created + L.TPathLength, utf8.Length);
            Init64(created + L.TNextGva, (long)L.FirstGva);
            Set32(L.HPathBytesUsed, used + utf8.Length);
            InsertPath(id, hash);
            Set32(created + L.TState, TsLive);
            Set32(L.HNextTs, id + 1);
            Hook("createts");
            parent = id;
        }

        Commit();
        return MemoryResult<TsId>.Ok(new TsId((ushort)parent));
    }

    private int FindPath(ReadOnlySpan<byte> utf8, int hash)
    {
        int mask = _layout.TsHashSize - 1;
        for (int i = hash & mask; ; i = (i + 1) & mask)
        {
            long entry = _layout.TsHashEntry(i);
            int id = I32(entry + L.PTs);
            if (id == 0)
            {
                return 0;
            }

            if (I32(entry + L.PHash) == hash && PathBytes(id).SequenceEqual(utf8))
            {
                return id;
            }
        }
    }

    /// <summary>Paths are never removed (TS ids are never reused), so plain linear probing suffices; the table is at most half full.</summary>
    private void InsertPath(int id, int hash)
    {
        int mask = _layout.TsHashSize - 1;
        int i = hash & mask;
        while (I32(_layout.TsHashEntry(i) + L.PTs) != 0)
        {
            i = (i + 1) & mask;
        }

        Set32(_layout.TsHashEntry(i) + L.PHash, hash);
        Set32(_layout.TsHashEntry(i) + L.PTs, id);
    }

    private ReadOnlySpan<byte> PathBytes(int ts)
    {
        long rec = TsRec(ts);
        return new ReadOnlySpan<byte>(_base + _layout.PathTable + I32(rec + L.TPathOffset), I32(rec + L.TPathLength));
    }

    private string TsPath(int ts) => Encoding.UTF8.GetString(PathBytes(ts));

    private bool TsExists(int ts) => ts > 0 && ts < I32(L.HNextTs) && I32(TsRec(ts) + L.TState) != TsUnused;

    private void AppendPostOrder(int ts, List<int>?[] children, List<TsId> result)
    {
        if (children[ts] is { } list)
        {
            foreach (int child in list)
            {
                AppendPostOrder(child, children, result);
            }
        }

        result.Add(new TsId((ushort)ts));
    }
}
