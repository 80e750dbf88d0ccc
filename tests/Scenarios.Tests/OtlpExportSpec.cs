using System.Net;
using System.Net.Sockets;
using System.Text;
using Edsos.Host.Telemetry;

namespace Edsos.Scenarios.Tests;

/// <summary>
/// The OTLP exporter really sends: a minimal OTLP/HTTP collector on 127.0.0.1 receives the run's
/// spans as protobuf (the OpenTelemetry SDK's own exporter, nothing faked).
/// </summary>
[Collection(TracingCollection.Name)]
public sealed class OtlpExportSpec
{
    [Fact]
    public async Task OtlpHttp_OneSend_CollectorReceivesProtobufSpans()
    {
        // Arrange: a collector on a free loopback port answering every POST with 200.
        int port = FreePort();
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        var received = new List<(string Path, string? ContentType, byte[] Body)>();
        var serving = ServeAsync(listener, received);

        // Act: one traced send, then the session shuts down (flushing the batch exporter).
        var options = new TelemetryOptions { OtlpEndpoint = $"http://127.0.0.1:{port}", OtlpProtocol = "http/protobuf", CollectSpans = true };
        string service;
        await using (var traced = await TracedHosts.StartAsync(options))
        {
            await traced.SendOneAsync();
            traced.LatestSendTrace(t => t.Any(s => s.Span.DisplayName == "SendRespEvent"));
            service = TelemetrySession.ServiceNameFor("edsos", traced.NameA);
            Assert.True(traced.Session.Flush(), "the OTLP exporter did not flush");
        }

        // Assert
        (string Path, string? ContentType, byte[] Body)[] traces;
        lock (received)
        {
            traces = received.Where(r => r.Path == "/v1/traces").ToArray();
        }

        Assert.NotEmpty(traces);
        Assert.All(traces, r => Assert.Equal("application/x-protobuf", r.ContentType));
        byte[] all = traces.SelectMany(r => r.Body).ToArray();
        foreach (string text in new[] { "sendto", "SendReqEvent", "XmitSkbEvent", "SendRespEvent", "ct_share", "edsos.node", service })
        {
            Assert.True(Contains(all, Encoding.UTF8.GetBytes(text)), $"'{text}' not in the exported protobuf");
        }

        listener.Stop();
        await serving;
    }

    private static async Task ServeAsync(HttpListener listener, List<(string, string?, byte[])> received)
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            lock (received)
            {
                received.Add((context.Request.Url!.AbsolutePath, context.Request.ContentType, body.ToArray()));
            }

            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/x-protobuf";
            context.Response.Close();
        }
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;
}
