using System.Diagnostics;
using Edsos.Host.Telemetry;
using Edsos.Protocol;

namespace Edsos.Scenarios.Tests;

/// <summary>The trace of one TCP <c>send()</c>: rooted at Libc's span, down the TCP worker to the NIC and back to the KPN.</summary>
[Collection(TracingCollection.Name)]
public sealed class TcpTracingSpec
{
    [Fact]
    public async Task Send_OneTcpWrite_TraceHoldsTheWholeCtrnChain()
    {
        string id = Guid.NewGuid().ToString("N")[..10];
        string nameA = "a" + id;
        using var session = TelemetrySession.Start(new TelemetryOptions { CollectSpans = true }, [nameA, "b" + id]);
        await using var hosts = await TwoHosts.StartAsync(nameA: nameA, nameB: "b" + id);
        var server = hosts.B.StartProcess("server");
        int listener = await TcpSockets.ListenAsync(server, 7);
        var app = hosts.A.StartProcess("app");
        int fd = await TcpSockets.SocketAsync(app);
        var accepting = server.AcceptAsync(listener).AsTask();
        Assert.True((await app.ConnectAsync(fd, new Ipv4Endpoint(TwoHosts.AddressB, 7))).IsOk);
        int accepted = (int)(await accepting.WaitAsync(TimeSpan.FromSeconds(10))).Value;
        var buffer = app.Alloc(1000);
        Assert.Equal(1000, (await app.SendAsync(fd, buffer.Gva, 1000)).Value);
        await TcpSockets.ReadExactlyAsync(server, accepted, 1000);

        // A buffer of its own: TCP may still hold the first one's pages until they are acknowledged.
        var second = app.Alloc(1000);
        var sent = await app.SendAsync(fd, second.Gva, 1000);
        Assert.Equal(1000, sent.Value);
        await TcpSockets.ReadExactlyAsync(server, accepted, 1000);

        var trace = Latest(session, nameA);

        TracingSpec.AssertChain(SendChain.Tcp, trace, nameA);
    }

    private static List<CollectedSpan> Latest(TelemetrySession session, string host)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var spans = session.Collector!.Spans;
            var root = spans.Where(s => s.Span.DisplayName == "send" && s.Span.ParentSpanId == default && (string?)s.Span.GetTagItem("edsos.host") == host)
                .OrderBy(s => s.Span.StartTimeUtc).LastOrDefault();
            if (root is not null)
            {
                var trace = spans.Where(s => s.Span.TraceId == root.Span.TraceId).ToList();
                if (trace.Any(s => s.Span.DisplayName == "SendRespEvent"))
                {
                    return trace;
                }
            }

            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(10), "no complete send trace within 10 s");
            Thread.Sleep(20);
        }
    }
}
