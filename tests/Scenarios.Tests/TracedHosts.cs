using System.Diagnostics;
using Edsos.Host.Telemetry;
using Edsos.Kpn;
using Edsos.Protocol;

namespace Edsos.Scenarios.Tests;

/// <summary>
/// Two hosts with unique names under a <see cref="TelemetrySession"/> listening to them only, an
/// app on A with a UDP socket and a bound receiver on B, and ARP already resolved (one send made
/// before <see cref="SendOneAsync"/>), so a traced send is the steady-state chain.
/// </summary>
internal sealed class TracedHosts : IAsyncDisposable
{
    public const ushort Port = 9;

    private TracedHosts(TwoHosts hosts, TelemetrySession session, string nameA, Libc app, int fd, UserBuffer buffer)
    {
        Hosts = hosts;
        Session = session;
        NameA = nameA;
        App = app;
        Fd = fd;
        Buffer = buffer;
    }

    public TwoHosts Hosts { get; }

    public TelemetrySession Session { get; }

    public string NameA { get; }

    public Libc App { get; }

    public int Fd { get; }

    public UserBuffer Buffer { get; }

    public static async Task<TracedHosts> StartAsync(TelemetryOptions options)
    {
        string id = Guid.NewGuid().ToString("N")[..10];
        string nameA = "a" + id;
        string nameB = "b" + id;
        var session = TelemetrySession.Start(options, [nameA, nameB]);
        var hosts = await TwoHosts.StartAsync(nameA: nameA, nameB: nameB);
        var receiver = hosts.B.StartProcess("sink");
        await TwoHosts.UdpSocketAsync(receiver, Port);
        var app = hosts.A.StartProcess("app");
        int fd = await TwoHosts.UdpSocketAsync(app);
        var buffer = app.Alloc(1000);
        var warm = await app.SendToAsync(fd, buffer.Gva, 1000, new Ipv4Endpoint(TwoHosts.AddressB, Port));
        Assert.True(warm.IsOk, $"sendto: {warm.Error}");
        return new TracedHosts(hosts, session, nameA, app, fd, buffer);
    }

    /// <summary>Sends one datagram of 1000 bytes from A's app to B; asserts it returns 1000.</summary>
    public async Task SendOneAsync()
    {
        var sent = await App.SendToAsync(Fd, Buffer.Gva, 1000, new Ipv4Endpoint(TwoHosts.AddressB, Port));
        Assert.True(sent.IsOk, $"sendto: {sent.Error}");
        Assert.Equal(1000, sent.Value);
    }

    /// <summary>
    /// The spans of the latest traced <c>sendto</c> of A's app, once <paramref name="complete"/> holds
    /// for them (spans finish on actor threads after the syscall returned); fails after 10 s.
    /// </summary>
    public IReadOnlyList<CollectedSpan> LatestSendTrace(Func<IReadOnlyList<CollectedSpan>, bool> complete)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var spans = Session.Collector!.Spans;
            Activity? root = null;
            foreach (var span in spans)
            {
                if (span.Span.DisplayName == "sendto" && span.Span.ParentSpanId == default
                    && (string?)span.Span.GetTagItem("edsos.ts") == "/user_proc/app"
                    && (string?)span.Span.GetTagItem("edsos.host") == NameA
                    && (root is null || span.Span.StartTimeUtc > root.StartTimeUtc))
                {
                    root = span.Span;
                }
            }

            if (root is not null)
            {
                var trace = spans.Where(s => s.Span.TraceId == root.TraceId).ToList();
                if (complete(trace))
                {
                    return trace;
                }
            }

            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(10), $"no complete send trace within 10 s ({spans.Count} spans collected)");
            Thread.Sleep(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Hosts.DisposeAsync();
        Session.Dispose();
    }
}
