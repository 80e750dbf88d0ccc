using System.Text;

namespace Edsos.Memory;

/// <summary>
/// What is still held: live nodes, pages in use and DMA pins. After a complete scenario (every
/// node popped or lifted, every pin released) it is clean.
/// </summary>
/// <param name="Nodes">Live nodes in scope, by node id.</param>
/// <param name="PagesInUse">Pages in use in scope (whole arena, or pages under the scoped nodes).</param>
/// <param name="ActivePins">DMA pins in scope (whole arena, or pins over the scoped pages).</param>
public sealed record LeakReport(IReadOnlyList<LeakedNode> Nodes, int PagesInUse, int ActivePins)
{
    /// <summary>True when nothing is held.</summary>
    public bool IsClean => Nodes.Count == 0 && PagesInUse == 0 && ActivePins == 0;

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
        foreach (var node in Nodes)
        {
            text.AppendLine().Append("  ").Append(node.IsCtrn ? "ctrn " : "node ").Append(node.Path)
                .Append(" (").Append(node.Length).Append(" bytes, owner ").Append(node.OwnerPath).Append(')');
        }

        return text.ToString();
    }
}
