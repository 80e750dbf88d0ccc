using System.Runtime.CompilerServices;

namespace Edsos.Memory;

/// <summary>
/// The ownership discipline over pop: <see cref="Release"/> and <see cref="Own"/>. The rule, for
/// every service: a capability has one owner TS; it moves only explicitly (a CTRN made for another
/// TS, a grant, a message that says it carries ownership); its owner releases it exactly once on
/// every path. A second release of the same node is recorded with its place (in the releasing
/// process) and makes the leak report unclean; a node never released stays in the report with
/// the place that made it.
/// </summary>
public sealed partial class MemoryManager
{
    /// <summary>Double releases kept for the leak report (the count keeps growing past it).</summary>
    private const int MaxRecordedDoubleReleases = 64;
    private const int UnpinChunk = 64;

    /// <summary>Double releases this process saw so far, recorded or not (see <see cref="LeakReport.DoubleReleases"/>).</summary>
    public long DoubleReleaseCount => _arena.RecordedDoubleReleaseCount;

    /// <summary>
    /// Pops <paramref name="node"/> as its owner <paramref name="owner"/>, the one way services give a
    /// node back. <c>default</c> is a no-op that returns Ok (nothing was held). A node its owner had
    /// already popped, or consumed by divide, merge or grant, at this generation is a double release:
    /// recorded with the caller's place (it makes the leak report unclean) and answered
    /// <see cref="MemoryError.Stale"/>. A node revoked by a lift answers
    /// <see cref="MemoryError.InvalidGva"/> and is not a double release (its TS exited under it).
    /// Other failures are the capability errors of <see cref="Pop"/>.
    /// </summary>
    public MemoryResult Release(TsId owner, Capability node, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        if (node == default)
        {
            return MemoryResult.Ok;
        }

        if (_disposed)
        {
            return Disposed();
        }

        if (_observers.Length == 0)
        {
            return _arena.Release(owner, node, file, line);
        }

        var observed = Before(MemoryOp.Pop, owner, node, out ulong address);
        var released = _arena.Release(owner, node, file, line);
        if (released.IsOk)
        {
            After(observed, address);
        }

        return released;
    }

    /// <summary>
    /// <see cref="Release"/> of every node of <paramref name="nodes"/> by <paramref name="owner"/>, in order, taking the
    /// arena's lock once for the batch instead of once per node (a driver's TX interrupt completes tens of frames).
    /// Each entry succeeds or fails on its own exactly as <see cref="Release"/>: a forged, foreign or lifted entry
    /// fails and is left as it was, a node already released is recorded as a double release with this call's place
    /// (the leak report shows it), the others are popped. <c>default</c> entries are skipped. Returns how many
    /// nodes were popped; the caller gives up ownership of every entry either way, as with <see cref="Release"/>.
    /// </summary>
    public int ReleaseAll(TsId owner, ReadOnlySpan<Capability> nodes, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        if (_disposed)
        {
            return 0;
        }

        if (_observers.Length == 0)
        {
            return _arena.ReleaseAll(owner, nodes, file, line);
        }

        // Observed: one by one, so every pop is journalled as Release journals it.
        int released = 0;
        foreach (var node in nodes)
        {
            if (node != default && Release(owner, node, file, line).IsOk)
            {
                released++;
            }
        }

        return released;
    }

    /// <summary>
    /// Takes ownership of the node in <paramref name="slot"/> for the caller's scope: the returned
    /// <see cref="Owned"/>, used with <c>using</c>, releases it at scope exit unless
    /// <see cref="Owned.Transfer"/> cleared the slot first. Checks nothing now (the release does).
    /// </summary>
    public Owned Own(TsId owner, ref Capability slot, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
        => new(this, owner, ref slot, new CodePlace(file, line));

    /// <summary>The recorded double releases by a TS in <paramref name="scope"/> (all when null), at most <see cref="MaxRecordedDoubleReleases"/>.</summary>
    private List<DoubleRelease> DoubleReleasesIn(HashSet<TsId>? scope)
    {
        var found = new List<DoubleRelease>();
        foreach (var record in _arena.DoubleReleases)
        {
            if (found.Count == MaxRecordedDoubleReleases)
            {
                break;
            }

            if (scope is null || scope.Contains(record.Owner))
            {
                found.Add(record);
            }
        }

        return found;
    }
}
