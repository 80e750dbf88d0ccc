using System.Text;

namespace Edsos.Memory;

/// <summary>
/// What is still held: live nodes, pages in use and DMA pins. After a complete scenario (every
/// node popped or lifted, every pin released) it is clean.
/// </summary>
/// <param name="Nodes">Live nodes in scope, by node id.</param>
/// <param name="PagesInUse">Pages in use in scope (whole arena, or pages under the scoped nodes).</param>
/// <param name="ActivePins">DMA pins in scope (whole arena, or pins over the scoped pages).</param>
/// <param name="DoubleReleases">Releases of a node already released, by a TS in scope (see <see cref="MemoryManager.Release"/>).</param>
public sealed record LeakReport(IReadOnlyList<LeakedNode> Nodes, int PagesInUse, int ActivePins, IReadOnlyList<DoubleRelease> DoubleReleases)
{
    /// <summary>A report of what is held, with no double release.</summary>
    public LeakReport(IReadOnlyList<LeakedNode> nodes, int pagesInUse, int activePins)
        : this(nodes, pagesInUse, activePins, [])
    {
    }

    /// <summary>True when nothing is held and nothing was released twice.</summary>
    public bool IsClean => Nodes.Count == 0 && PagesInUse == 0 && ActivePins == 0 && DoubleReleases.Count == 0;

    /// <summary>A readable multi-line report, one line per node.</summary>
    public override string ToString()
    {
        if (IsClean)
        {
            return "leak report: clean";
        }

        var text = new StringBuilder();
        text.Append("leak report: ").Append(Nodes.Count).Append(" live node(s), ")
            .Append(PagesInUse).Append(" page(s) in use, ")
            .Append(ActivePins).Append(" active pin(s)");
        if (DoubleReleases.Count > 0)
        {
            text.Append(", ").Append(DoubleReleases.Count).Append(" double release(s)");
        }

        foreach (var node in Nodes)
        {
            text.AppendLine().Append("  ").Append(node.IsCtrn ? "ctrn " : "node ").Append(node.Path)
                .Append(" (").Append(node.Length).Append(" bytes, owner ").Append(node.OwnerPath).Append(", made at ").Append(node.Place).Append(')');
        }

        foreach (var twice in DoubleReleases)
        {
            text.AppendLine().Append("  released twice: ").Append(twice.Node).Append(" by ").Append(twice.OwnerPath)
                .Append(" at ").Append(twice.Place);
        }

        return text.ToString();
    }
}
