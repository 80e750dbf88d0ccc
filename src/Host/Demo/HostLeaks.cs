using Edsos.Memory;

namespace Edsos.Host.Demo;

/// <summary>What both hosts' leak reports hold after a run: the figures the demo reports and a line per leaked node.</summary>
/// <param name="Pages">Pages still in use, both hosts.</param>
/// <param name="Ctrns">CTRNs still live, both hosts.</param>
/// <param name="Nodes">Nodes still live (CTRNs included), both hosts.</param>
/// <param name="DoubleReleases">Nodes released twice (an ownership bug the manager recorded), both hosts.</param>
/// <param name="Lines">One line per leaked node (host, path, the place that made it) and per double release.</param>
public sealed record HostLeaks(int Pages, int Ctrns, int Nodes, int DoubleReleases, IReadOnlyList<string> Lines)
{
    /// <summary>Reads the leak reports of host A's and (when there is one) host B's memory.</summary>
    public static HostLeaks Read(MemoryManager memoryA, MemoryManager? memoryB)
    {
        // Against the Linux peer there is no host B: its part of the report is empty.
        var leakA = memoryA.GetLeakReport();
        var leakB = memoryB?.GetLeakReport() ?? new LeakReport([], 0, 0);
        var lines = new List<string>();
        int ctrns = 0;
        foreach (var (host, report) in new[] { ("A", leakA), ("B", leakB) })
        {
            foreach (var node in report.Nodes)
            {
                ctrns += node.IsCtrn ? 1 : 0;
                lines.Add($"host {host}: {(node.IsCtrn ? "CTRN" : "node")} {node.Path} ({node.Length} bytes, owner {node.OwnerPath}, made at {node.Place})");
            }

            foreach (var twice in report.DoubleReleases)
            {
                lines.Add($"host {host}: {twice.Node} released twice by {twice.OwnerPath} at {twice.Place}");
            }
        }

        return new HostLeaks(
            leakA.PagesInUse + leakB.PagesInUse,
            ctrns,
            leakA.Nodes.Count + leakB.Nodes.Count,
            leakA.DoubleReleases.Count + leakB.DoubleReleases.Count,
            lines);
    }
}
