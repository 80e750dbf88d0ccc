using System.Diagnostics;
using System.Globalization;
using Edsos.Host.Telemetry;

namespace Edsos.Host.Demo;

/// <summary>
/// <c>edsos demo --show-chain</c>: the CTRN chain of one send as a tree in the console, for a reader
/// without Jaeger at hand. Each span is a node handling an event (its actor, TS and time spent), each
/// line under it one memory operation (GVA, length, node path, refcount), descriptor or copy.
/// </summary>
public static class ChainPrinter
{
    /// <summary>
    /// The spans of the send to show: the second traced <c>sendto</c>/<c>send</c> (the first one also
    /// resolves the peer's MAC by ARP), or the first when there is only one; null when none was traced.
    /// </summary>
    public static IReadOnlyList<CollectedSpan>? FindSendTrace(IReadOnlyList<CollectedSpan> spans)
    {
        ArgumentNullException.ThrowIfNull(spans);
        var roots = new List<CollectedSpan>();
        foreach (var span in spans)
        {
            if (span.Span.ParentSpanId == default && span.Span.DisplayName is "sendto" or "send")
            {
                roots.Add(span);
            }
        }

        if (roots.Count == 0)
        {
            return null;
        }

        // The client's sends (the service of the first one), not the echo's answers.
        roots.Sort(ByStart);
        string client = roots[0].ServiceName;
        roots.RemoveAll(r => r.ServiceName != client);
        var traceId = roots[Math.Min(1, roots.Count - 1)].Span.TraceId;
        var trace = new List<CollectedSpan>();
        foreach (var span in spans)
        {
            if (span.Span.TraceId == traceId)
            {
                trace.Add(span);
            }
        }

        return trace;
    }

    /// <summary>Writes the spans of one trace as a tree, children in start order.</summary>
    public static void Write(TextWriter writer, IReadOnlyList<CollectedSpan> trace)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(trace);
        var children = new Dictionary<ActivitySpanId, List<CollectedSpan>>();
        var ids = new HashSet<ActivitySpanId>();
        foreach (var span in trace)
        {
            ids.Add(span.Span.SpanId);
        }

        var roots = new List<CollectedSpan>();
        foreach (var span in trace)
        {
            var parent = span.Span.ParentSpanId;
            if (parent == default || !ids.Contains(parent))
            {
                roots.Add(span);
                continue;
            }

            if (!children.TryGetValue(parent, out var list))
            {
                children[parent] = list = [];
            }

            list.Add(span);
        }

        writer.WriteLine($"CTRN chain of one send (trace {trace[0].Span.TraceId.ToHexString()}, {trace.Count} spans)");
        roots.Sort(ByStart);
        foreach (var root in roots)
        {
            WriteSpan(writer, root, children, "", "");
        }
    }

    private static void WriteSpan(TextWriter writer, CollectedSpan node, Dictionary<ActivitySpanId, List<CollectedSpan>> children, string lead, string indent)
    {
        var span = node.Span;
        string where = Tag(span, "edsos.actor") is { } actor ? $"{actor}  TS {Tag(span, "edsos.ts")}" : $"TS {Tag(span, "edsos.ts") ?? "?"}";
        string linked = span.Links.Any() ? "  (deferred, linked to its trigger)" : string.Empty;
        writer.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"{lead}{span.DisplayName}  [{node.ServiceName}]  {where}  {span.Duration.TotalMicroseconds:0.0} µs{linked}"));

        var kids = children.TryGetValue(span.SpanId, out var list) ? list : [];
        kids.Sort(ByStart);
        string eventIndent = indent + (kids.Count > 0 ? "│   " : "    ");
        foreach (var e in span.Events)
        {
            writer.WriteLine($"{eventIndent}· {Describe(e)}");
        }

        for (int i = 0; i < kids.Count; i++)
        {
            bool last = i == kids.Count - 1;
            WriteSpan(writer, kids[i], children, indent + (last ? "└─ " : "├─ "), indent + (last ? "   " : "│  "));
        }
    }

    private static string Describe(ActivityEvent e)
    {
        var tags = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var tag in e.Tags)
        {
            tags[tag.Key] = tag.Value;
        }

        string Get(string key) => tags.TryGetValue(key, out var value) ? Convert.ToString(value, CultureInfo.InvariantCulture) ?? "" : "";
        return e.Name switch
        {
            "tx_descriptor" => $"tx_descriptor #{Get("edsos.desc.index")}  phys {Get("edsos.phys")}  len {Get("edsos.len")}{(Get("edsos.desc.eop") == "True" ? "  EOP" : "")}",
            "edsos.copy" => $"copy {Get("edsos.copy.kind")} {Get("edsos.copy.bytes")} bytes",
            _ => $"{e.Name,-8} {Get("edsos.node")}  gva {Get("edsos.gva")}  len {Get("edsos.len")}  refcount {Get("edsos.refcount")}",
        };
    }

    private static string? Tag(Activity span, string key) => span.GetTagItem(key) as string;

    private static int ByStart(CollectedSpan a, CollectedSpan b) => a.Span.StartTimeUtc.CompareTo(b.Span.StartTimeUtc);
}
