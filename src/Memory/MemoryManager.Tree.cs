namespace Edsos.Memory;

/// <summary>The TS tree: creation, lookup, snapshots.</summary>
public sealed partial class MemoryManager
{
    private const string UserRoot = "/user_proc";

    /// <summary>
    /// Creates the TS at <paramref name="path"/> (absolute, <c>/</c>-separated, no empty,
    /// <c>.</c> or <c>..</c> segments), creating missing ancestors as plain TSs of their default
    /// kind. <paramref name="kind"/> defaults to <see cref="TsKind.User"/> at or below
    /// <c>/user_proc</c> and <see cref="TsKind.Kernel"/> elsewhere. Re-creating the path of an
    /// exited TS revives it under the same id (its old nodes stay revoked; its GVA allocator does
    /// not move back, so old GVAs never name new nodes); exited ancestors are revived likewise.
    /// Fails with <see cref="MemoryError.InvalidArgument"/> for a malformed path or the path of a
    /// live TS, <see cref="MemoryError.OutOfMemory"/> when TS ids run out.
    /// </summary>
    public MemoryResult<TsId> CreateTs(string path, TsKind? kind = null)
    {
        if (!TryParsePath(path, out var segments))
        {
            return MemoryResult<TsId>.Fail(MemoryError.InvalidArgument, $"malformed TS path '{path}'");
        }

        lock (_gate)
        {
            if (_disposed)
            {
                return MemoryResult<TsId>.Fail(MemoryError.Disposed, "memory manager disposed");
            }

            if (_tsByPath.TryGetValue(path, out var existing) && Ts(existing).Alive)
            {
                return MemoryResult<TsId>.Fail(MemoryError.InvalidArgument, $"TS '{path}' already exists");
            }

            // Count the ids we need first so exhaustion leaves the tree untouched.
            int missing = 0;
            string prefix = string.Empty;
            foreach (var segment in segments)
            {
                prefix += "/" + segment;
                if (!_tsByPath.ContainsKey(prefix))
                {
                    missing++;
                }
            }

            if (_ts.Count - 1 + missing > ushort.MaxValue)
            {
                return MemoryResult<TsId>.Fail(MemoryError.OutOfMemory, "TS ids exhausted");
            }

            var parent = Ts(Root);
            prefix = string.Empty;
            for (int i = 0; i < segments.Length; i++)
            {
                prefix += "/" + segments[i];
                bool last = i == segments.Length - 1;
                TsKind segmentKind = last && kind is { } given ? given : DefaultKind(prefix);
                if (_tsByPath.TryGetValue(prefix, out var id))
                {
                    var record = Ts(id);
                    if (!record.Alive)
                    {
                        record.Alive = true;
                        if (last && kind is { } revivedKind)
                        {
                            record.Kind = revivedKind;
                        }
                    }

                    parent = record;
                    continue;
                }

                var created = new TsRecord
                {
                    Id = new TsId((ushort)_ts.Count),
                    Path = prefix,
                    Kind = segmentKind,
                    Parent = parent.Id,
                    NextGva = FirstGva,
                };
                _ts.Add(created);
                _tsByPath[prefix] = created.Id;
                parent.Children.Add(created.Id);
                parent = created;
            }

            return MemoryResult<TsId>.Ok(parent.Id);
        }
    }

    /// <summary>
    /// The TS at <paramref name="path"/>, live or exited. Fails with
    /// <see cref="MemoryError.NoSuchTs"/> if there is none, <see cref="MemoryError.InvalidArgument"/>
    /// for a malformed path.
    /// </summary>
    public MemoryResult<TsId> FindTs(string path)
    {
        if (!TryParsePath(path, out _))
        {
            return MemoryResult<TsId>.Fail(MemoryError.InvalidArgument, $"malformed TS path '{path}'");
        }

        lock (_gate)
        {
            return _tsByPath.TryGetValue(path, out var id)
                ? MemoryResult<TsId>.Ok(id)
                : MemoryResult<TsId>.Fail(MemoryError.NoSuchTs, $"no TS at '{path}'");
        }
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

    /// <summary>A snapshot of TS <paramref name="ts"/>, or false if no TS has that id.</summary>
    public bool TryGetTs(TsId ts, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out TsInfo? info)
    {
        lock (_gate)
        {
            var record = TryTs(ts);
            info = record is null ? null : new TsInfo(record.Id, record.Path, record.Kind, record.Parent, record.Alive, record.Children.ToArray());
            return info is not null;
        }
    }

    /// <summary>
    /// <paramref name="ts"/> and all its descendants in post-order (children before parents), the
    /// order in which a TS exit lifts them. Empty for an unknown id.
    /// </summary>
    public IReadOnlyList<TsId> Subtree(TsId ts)
    {
        lock (_gate)
        {
            var result = new List<TsId>();
            if (TryTs(ts) is { } record)
            {
                AppendPostOrder(record, result);
            }

            return result;
        }
    }

    private void AppendPostOrder(TsRecord record, List<TsId> result)
    {
        foreach (var child in record.Children)
        {
            AppendPostOrder(Ts(child), result);
        }

        result.Add(record.Id);
    }

    private TsRecord? TryTs(TsId id) => id.Value != 0 && id.Value < _ts.Count ? _ts[id.Value] : null;

    private TsRecord Ts(TsId id) => _ts[id.Value]!;

    private static TsKind DefaultKind(string path)
    {
        return path == UserRoot || path.StartsWith(UserRoot + "/", StringComparison.Ordinal) ? TsKind.User : TsKind.Kernel;
    }

    private static bool TryParsePath(string? path, out string[] segments)
    {
        segments = [];
        if (string.IsNullOrEmpty(path) || path[0] != '/')
        {
            return false;
        }

        if (path == "/")
        {
            return true;
        }

        segments = path[1..].Split('/');
        foreach (var segment in segments)
        {
            if (!IsValidSegment(segment))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A node name: one or more valid segments separated by '/', no leading or trailing '/'.</summary>
    private static bool IsValidName(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return false;
        }

        foreach (var segment in name.Split('/'))
        {
            if (!IsValidSegment(segment))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsValidSegment(string segment)
    {
        if (segment.Length == 0 || segment == "." || segment == "..")
        {
            return false;
        }

        foreach (char c in segment)
        {
            if (char.IsControl(c) || char.IsWhiteSpace(c))
            {
                return false;
            }
        }

        return true;
    }
}
