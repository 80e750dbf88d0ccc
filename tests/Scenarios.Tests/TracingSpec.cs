using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Edsos.Host.Telemetry;
using Edsos.Kpn;
using Edsos.Memory;
using Edsos.Protocol;

namespace Edsos.Scenarios.Tests;

/// <summary>
/// The trace of one <c>send()</c> (DESIGN.md section 7): one trace rooted at Libc's syscall span,
/// a span per event a node handles, the CTRN operations as span events with seed 000's node paths,
/// ending with <c>SendRespEvent</c> handled by the KPN; the Jaeger file of it; and no span at all
/// when nothing listens or the sampler drops the syscall.
/// </summary>
[Collection(TracingCollection.Name)]
public sealed class TracingSpec
{
    [Fact]
    public async Task SendTo_OneUdpDatagram_TraceHoldsTheWholeCtrnChain()
    {
        // Arrange
        await using var traced = await TracedHosts.StartAsync(new TelemetryOptions { CollectSpans = true });

        // Act
        await traced.SendOneAsync();
        var trace = traced.LatestSendTrace(HasSendResp);

        // Assert
        AssertChain(SendChain.Udp, trace, traced.NameA);
    }

    [Fact]
    public async Task TraceFile_OneSend_ParsesBackWithTheChain()
    {
        await using var traced = await TracedHosts.StartAsync(new TelemetryOptions { CollectSpans = true });
        await traced.SendOneAsync();
        var trace = traced.LatestSendTrace(HasSendResp);
        string path = Path.Combine(Path.GetTempPath(), $"edsos-trace-{Guid.NewGuid():N}.json");
        try
        {
            JaegerTraceFile.Write(path, traced.Session.Collector!.Spans);

            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            string traceId = trace[0].Span.TraceId.ToHexString();
            var entry = document.RootElement.GetProperty("data").EnumerateArray().Single(t => t.GetProperty("traceID").GetString() == traceId);
            var spans = entry.GetProperty("spans").EnumerateArray().ToList();
            var ids = spans.Select(s => s.GetProperty("spanID").GetString()).ToHashSet();
            var processes = entry.GetProperty("processes");

            // Every span but the root is CHILD_OF a span of the same trace, and names its host's process.
            var roots = spans.Where(s => !s.GetProperty("references").EnumerateArray().Any(r => r.GetProperty("refType").GetString() == "CHILD_OF")).ToList();
            Assert.Equal("sendto", Assert.Single(roots).GetProperty("operationName").GetString());
            foreach (var span in spans)
            {
                foreach (var reference in span.GetProperty("references").EnumerateArray().Where(r => r.GetProperty("refType").GetString() == "CHILD_OF"))
                {
                    Assert.Equal(traceId, reference.GetProperty("traceID").GetString());
                    Assert.Contains(reference.GetProperty("spanID").GetString(), ids);
                }

                Assert.True(processes.TryGetProperty(span.GetProperty("processID").GetString()!, out var process));
                Assert.StartsWith("edsos-host-", process.GetProperty("serviceName").GetString());
                Assert.True(span.GetProperty("startTime").GetInt64() > 1_600_000_000_000_000L, "startTime in µs since the epoch");
                Assert.True(span.GetProperty("duration").GetInt64() >= 0);
            }

            // The chain is there by name, and the CTRN ops are logs with seed 000's node paths, in order.
            var names = spans.Select(s => s.GetProperty("operationName").GetString()).ToList();
            Assert.All(SendChain.Udp.Path, name => Assert.Contains(name, names));
            var logs = spans
                .SelectMany(s => s.GetProperty("logs").EnumerateArray())
                .Select(l => (Time: l.GetProperty("timestamp").GetInt64(), Fields: l.GetProperty("fields").EnumerateArray().ToDictionary(f => f.GetProperty("key").GetString()!, f => f.GetProperty("value").ToString())))
                .OrderBy(l => l.Time)
                .ToList();
            var sendQ = logs.First(l => l.Fields["event"] == "ct_share");
            Assert.Matches(@"^/net/sockets/sock_0x[0-9A-F]+/send_q/\d+$", sendQ.Fields["edsos.node"]);
            Assert.Equal("2", sendQ.Fields["edsos.refcount"]);
            Assert.StartsWith("0x", sendQ.Fields["edsos.gva"]);
            Assert.Contains(logs, l => l.Fields["event"] == "tx_descriptor" && l.Fields.ContainsKey("edsos.phys"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Send_TracingOff_NoSpanIsCreated()
    {
        // Arrange: hosts nobody listens to; every handler and memory op reports what is current.
        string id = Guid.NewGuid().ToString("N")[..10];
        await using var hosts = await TwoHosts.StartAsync(nameA: "a" + id, nameB: "b" + id);
        var receiver = hosts.B.StartProcess("sink");
        await TwoHosts.UdpSocketAsync(receiver, TracedHosts.Port);
        var app = hosts.A.StartProcess("app");
        int fd = await TwoHosts.UdpSocketAsync(app);
        var buffer = app.Alloc(1000);
        int handled = 0;
        int withSpan = 0;
        int ops = 0;
        using var deliveries = hosts.A.System.ObserveDeliveries(_ =>
        {
            Interlocked.Increment(ref handled);
            if (Activity.Current is not null)
            {
                Interlocked.Increment(ref withSpan);
            }
        });
        using var journal = hosts.A.Memory.Observe(_ =>
        {
            Interlocked.Increment(ref ops);
            if (Activity.Current is not null)
            {
                Interlocked.Increment(ref withSpan);
            }
        });

        // Act: two sends (the first resolves ARP).
        for (int i = 0; i < 2; i++)
        {
            var sent = await app.SendToAsync(fd, buffer.Gva, 1000, new Ipv4Endpoint(TwoHosts.AddressB, TracedHosts.Port));
            Assert.True(sent.IsOk, $"sendto: {sent.Error}");
        }

        // Assert
        Assert.False(hosts.A.System.Tracing.IsEnabled);
        Assert.True(handled > 10, $"only {handled} deliveries observed");
        Assert.True(ops > 5, $"only {ops} memory ops observed");
        Assert.Equal(0, Volatile.Read(ref withSpan));
    }

    [Fact]
    public async Task Send_SampleRatioZero_NoSpanIsExported()
    {
        await using var traced = await TracedHosts.StartAsync(new TelemetryOptions { CollectSpans = true, SampleRatio = 0 });

        await traced.SendOneAsync();
        await traced.SendOneAsync();
        traced.Session.Flush();

        Assert.True(traced.Hosts.A.System.Tracing.IsEnabled);
        Assert.Empty(traced.Session.Collector!.Spans);
    }

    private static bool HasSendResp(IReadOnlyList<CollectedSpan> trace) =>
        trace.Any(s => s.Span.DisplayName == "SendRespEvent" && SendChain.IsKpnTs((string?)s.Span.GetTagItem("edsos.ts")))
        && trace.Any(s => s.Span.ParentSpanId == default);

    internal static void AssertChain(SendChain chain, IReadOnlyList<CollectedSpan> trace, string hostA)
    {
        var spans = trace.Select(s => s.Span).ToList();
        var byId = spans.ToDictionary(s => s.SpanId);

        // Parentage: one root, the Libc syscall of the app; every other span's parent is in this trace.
        var root = Assert.Single(spans, s => s.ParentSpanId == default);
        Assert.Equal(chain.Root, root.DisplayName);
        Assert.Equal(ActivityKind.Client, root.Kind);
        Assert.Equal("/user_proc/app", root.GetTagItem("edsos.ts"));
        Assert.All(spans.Where(s => s != root), s => Assert.True(byId.ContainsKey(s.ParentSpanId), $"{s.DisplayName}'s parent is not in the trace"));
        Assert.All(spans, s => Assert.Equal(root.TraceId, s.TraceId));

        // The causal path: each named span descends from the one before (deferred-work spans may sit between).
        var previous = root;
        foreach (string name in chain.Path)
        {
            var next = spans.Where(s => s.DisplayName == name && IsAncestor(byId, previous, s)).OrderBy(s => s.StartTimeUtc).FirstOrDefault();
            Assert.True(next is not null, $"no {name} span below {previous.DisplayName}; spans: {string.Join(", ", spans.Select(s => s.DisplayName))}");
            Assert.NotNull(next!.GetTagItem("edsos.actor"));
            previous = next;
        }

        // The NIC's DMA is in the chain: the doorbell is handled by the device below the driver's span.
        var xmit = spans.Single(s => s.DisplayName == "XmitSkbEvent" && (string?)s.GetTagItem("edsos.host") == hostA);
        Assert.Equal("/drivers/net/eth0", xmit.GetTagItem("edsos.ts"));
        Assert.Contains(spans, s => s.DisplayName == "TxDoorbell" && s.ParentSpanId == xmit.SpanId && (string?)s.GetTagItem("edsos.ts") == "/drivers/net/eth0/hw");

        // CTRN operations as span events on host A, in the order they took effect.
        var events = spans
            .Where(s => (string?)s.GetTagItem("edsos.host") == hostA)
            .SelectMany(s => s.Events)
            .OrderBy(e => e.Timestamp)
            .ToList();
        int at = 0;
        var matched = new List<ActivityEvent>();
        foreach (var (op, node) in chain.Ops)
        {
            while (at < events.Count && !(events[at].Name == op && (node is null || node.IsMatch(Tag(events[at], "edsos.node") ?? ""))))
            {
                at++;
            }

            Assert.True(at < events.Count, $"no {op} {node} after the previous op; events: {string.Join(", ", events.Select(e => $"{e.Name} {Tag(e, "edsos.node")}"))}");
            matched.Add(events[at]);
            at++;
        }

        // Each CTRN event carries op, GVA, length, owning TS, node path and refcount.
        var share = matched[0];
        Assert.Equal("ct_share", Tag(share, "edsos.op"));
        Assert.StartsWith("0x", Tag(share, "edsos.gva"));
        Assert.Equal(1000, share.Tags.Single(t => t.Key == "edsos.len").Value);
        Assert.Equal(2, share.Tags.Single(t => t.Key == "edsos.refcount").Value);
        Assert.Matches(@"^/net/sockets/sock_0x[0-9A-F]+$", Tag(share, "edsos.ts"));
        Assert.StartsWith("0x", Tag(matched.First(e => e.Name == "tx_descriptor"), "edsos.phys"));
        Assert.Contains((int)matched[^1].Tags.Single(t => t.Key == "edsos.refcount").Value!, chain.RefCountsAfterSendQPop);

        // The trace ends with send_resp_event in the KPN: nothing below it, after the last pop.
        var resp = previous;
        Assert.Equal("SendRespEvent", resp.DisplayName);
        Assert.True(SendChain.IsKpnTs((string?)resp.GetTagItem("edsos.ts")), $"SendRespEvent handled in {resp.GetTagItem("edsos.ts")}");
        Assert.DoesNotContain(spans, s => s.ParentSpanId == resp.SpanId);
        Assert.True(resp.StartTimeUtc >= matched[^1].Timestamp.UtcDateTime, "SendRespEvent handled before the send_q CTRN was popped");
        Assert.Equal(0, events.Count(e => e.Name == "edsos.copy" && Tag(e, "edsos.copy.kind") == "payload"));
    }

    private static bool IsAncestor(Dictionary<ActivitySpanId, Activity> byId, Activity ancestor, Activity span)
    {
        var current = span;
        while (current.ParentSpanId != default && byId.TryGetValue(current.ParentSpanId, out var parent))
        {
            if (parent == ancestor)
            {
                return true;
            }

            current = parent;
        }

        return false;
    }

    private static string? Tag(ActivityEvent e, string key)
    {
        foreach (var tag in e.Tags)
        {
            if (tag.Key == key)
            {
                return tag.Value as string;
            }
        }

        return null;
    }
}
