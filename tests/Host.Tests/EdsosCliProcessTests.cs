using Edsos.Host.Faults;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Edsos.Scheduler.Faults;

namespace Edsos.Host.Tests;

/// <summary>
/// Issue 12's "bad input and signals", each through the real <c>edsos</c> program: exit codes, the
/// one-line messages, no stack trace, and a partial report when a signal stops a run.
/// </summary>
[Collection(ProcessTestCollection.Name)]
public sealed class EdsosCliProcessTests
{
    private const string StackTraceMarker = "   at ";

    public static TheoryData<string[], string> BadUsage => new()
    {
        { ["demo", "--pcap", Path.GetTempPath()], "--pcap names a directory" },
        { ["demo", "--pcap", "/proc/edsos-no-such-dir/x.pcap"], "--pcap names a file that cannot be written" },
        { ["demo", "--pcap", ""], "--pcap needs a file name" },
        { ["demo", "--trace-file", ""], "--trace-file needs a file name" },
        { ["demo", "--otlp", "ftp://localhost:4317"], "--otlp must be an http:// or https:// URI" },
        { ["demo", "--otlp", "file:///tmp/spans"], "--otlp must be an http:// or https:// URI" },
        { ["bench", "tracing", "--otlp", "not-a-url"], "--otlp must be an http:// or https:// URI" },
        { ["bench", "runtime", "--messages", "1"], "--messages must be at least 10" },
        { ["bench", "runtime", "--messages", "9"], "--messages must be at least 10" },
        { ["demo", "--sends", "abc"], "'abc'" },
        { ["demo", "--sends", "0"], "--sends must be at least 1" },
        { ["demo", "--no-such-option"], "--no-such-option" },
        { ["demo", "--fault", "ts-exit@dma", "--sends", "-1"], "--sends must be at least 1" },
        { ["demo", "--fault", "ts-exit@dma", "--loss", "0.3"], "--loss cannot be combined" },
        { ["demo", "--fault", "ts-exit@dma", "--pings", "2"], "--pings cannot be combined" },
        { ["demo", "--fault", "ts-exit@dma", "--proto", "both"], "--proto both cannot be combined" },
        { ["demo", "--fault", "ts-exit@dma", "--proto", "tcp", "--pcap", "/tmp/edsos-tcp-fault.pcap"], "--pcap cannot be combined" },
        { ["demo", "--fault", "ts-exit@dma", "--proto", "tcp", "--sends", "2"], "--sends of at least 4" },
        { ["demo", "--fault", "meteor@dma"], "unknown fault" },
        { ["demo", "--size", "70000"], "--size must be between 8 and 65507" },
    };

    [Theory]
    [MemberData(nameof(BadUsage))]
    public async Task Edsos_BadUsage_OneLineExit2BeforeAnyWork(string[] args, string expected)
    {
        var run = await EdsosProcess.RunAsync(args, TimeSpan.FromSeconds(60));

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        var line = Assert.Single(run.ErrorLines);
        Assert.Contains(expected, line, StringComparison.Ordinal);
        Assert.StartsWith("edsos ", line, StringComparison.Ordinal);
        Assert.DoesNotContain(StackTraceMarker, run.Stderr, StringComparison.Ordinal);
        Assert.Equal(string.Empty, run.Stdout.Trim());
    }

    [Fact]
    public async Task Edsos_PcapInUnwritableDirectory_RefusedWithoutStackTrace()
    {
        // /sys refuses new files even to root (the case); elsewhere there is nothing to test.
        if (!Directory.Exists("/sys/kernel"))
        {
            return;
        }

        var run = await EdsosProcess.RunAsync(["demo", "--pcap", "/sys/x.pcap"], TimeSpan.FromSeconds(60));

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Contains("--pcap names a file that cannot be written: /sys/x.pcap", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
        Assert.DoesNotContain(StackTraceMarker, run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Edsos_FaultHelpJson_IsTheCatalogueAsJson()
    {
        var run = await EdsosProcess.RunAsync(["demo", "--fault", "help", "--json"]);

        Assert.Equal(ExitCodes.Ok, run.ExitCode);
        using var json = JsonDocument.Parse(run.Stdout);
        var entries = json.RootElement.EnumerateArray().ToList();
        Assert.Equal(FaultCatalog.Supported.Count, entries.Count);
        Assert.Contains(entries, e => e.GetProperty("fault").GetString() == "ts-exit@dma" && e.GetProperty("point").GetString() == "dma");
        Assert.All(entries, e => Assert.False(string.IsNullOrEmpty(e.GetProperty("description").GetString())));
    }

    [Fact]
    public async Task Edsos_FaultWithSize8192SendsAndPcap_HonoursEveryOption()
    {
        string pcap = Path.Combine(Path.GetTempPath(), $"edsos-fault-{Guid.NewGuid():N}.pcap");
        try
        {
            var run = await EdsosProcess.RunAsync(["demo", "--fault", "ts-exit@dma", "--size", "8192", "--sends", "7", "--pcap", pcap, "--json"]);

            Assert.Equal(ExitCodes.Ok, run.ExitCode);
            using var json = JsonDocument.Parse(run.Stdout);
            var root = json.RootElement;
            Assert.Equal(8192, root.GetProperty("size").GetInt32());
            Assert.Equal(7, root.GetProperty("sends").GetInt32());
            Assert.True(root.GetProperty("fault_fired").GetBoolean());
            Assert.Equal(0, root.GetProperty("frames_from_lifted_pages").GetInt64());
            Assert.Equal(0, root.GetProperty("leaked_pages").GetInt32());
            Assert.True(root.GetProperty("ok").GetBoolean());

            // 8192 bytes are six fragments per datagram: more frames than datagrams reached the file.
            long frames = root.GetProperty("pcap_frames").GetInt64();
            Assert.True(frames > 7 + 6, $"{frames} frames in the pcap");
            Assert.True(new FileInfo(pcap).Length > 8192 * 3, "the pcap holds the fragments' bytes");
        }
        finally
        {
            File.Delete(pcap);
        }
    }

    [Fact]
    public async Task Edsos_OtlpEndpointNobodyListensOn_SaysTheExportFailedExit1()
    {
        int port = FreePort();

        var run = await EdsosProcess.RunAsync(["demo", "--sends", "20", "--pings", "0", "--otlp", $"http://127.0.0.1:{port}", "--otlp-protocol", "http/protobuf"]);

        Assert.Equal(ExitCodes.Failed, run.ExitCode);
        Assert.Contains(run.ErrorLines, l => l.Contains("warning", StringComparison.Ordinal) && l.Contains("refused", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(run.ErrorLines, l => l.Contains("export", StringComparison.Ordinal) && l.Contains("failed", StringComparison.Ordinal) && l.Contains("refused", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain("did not finish", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(StackTraceMarker, run.Stderr, StringComparison.Ordinal);
        Assert.Contains("echoed ok          20/20", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Edsos_BenchTracingUnreachableOtlp_WarnsAndExit1()
    {
        int port = FreePort();

        var run = await EdsosProcess.RunAsync(["bench", "tracing", "--sends", "50", "--rounds", "1", "--otlp", $"http://127.0.0.1:{port}"]);

        Assert.Equal(ExitCodes.Failed, run.ExitCode);
        Assert.Contains(run.ErrorLines, l => l.StartsWith("edsos bench tracing: warning:", StringComparison.Ordinal));
        Assert.Contains(run.ErrorLines, l => l.Contains("failed", StringComparison.Ordinal));
        Assert.Contains("100 %", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Edsos_SigtermOnAMillionRoundDemoUnderSmallHeap_PartialJsonReportExit143()
    {
        // A billion sends: the statistics must not preallocate per send (a 256 MiB GC heap would not hold them).
        var run = await EdsosProcess.RunAsync(
            ["demo", "--sends", "1000000000", "--json"],
            signal: EdsosProcess.SIGTERM,

            // Late enough that the echo has begun even on a loaded machine (at a load average of 30 or more, 3 s was not).
            signalAfter: TimeSpan.FromSeconds(8),
            environment: new Dictionary<string, string> { ["DOTNET_GCHeapHardLimit"] = "0x10000000" });

        Assert.Equal(ExitCodes.Terminated, run.ExitCode);
        Assert.True(run.StopTime < TimeSpan.FromSeconds(5), $"stopped {run.StopTime} after the signal");
        Assert.DoesNotContain(StackTraceMarker, run.Stderr, StringComparison.Ordinal);
        Assert.Contains(run.ErrorLines, l => l.Contains("SIGTERM", StringComparison.Ordinal));
        using var json = JsonDocument.Parse(run.Stdout);
        var root = json.RootElement;
        Assert.True(root.GetProperty("interrupted").GetBoolean());
        int attempted = root.GetProperty("attempted").GetInt32();
        Assert.True(attempted > 0);
        Assert.Equal(attempted, root.GetProperty("echoed_ok").GetInt32());
        Assert.Equal(0, root.GetProperty("lost").GetInt32());
        Assert.Equal(0, root.GetProperty("leaked_pages").GetInt32());
        Assert.True(root.GetProperty("send_p50_us").GetDouble() > 0);
    }

    [Fact]
    public async Task Edsos_SigintOnATcpDemo_PartialReportExit130()
    {
        // A shell's background job ignores SIGINT, and a child inherits that: then only SIGTERM can be tested.
        int signal = EdsosProcess.SigintIgnored ? EdsosProcess.SIGTERM : EdsosProcess.SIGINT;

        var run = await EdsosProcess.RunAsync(["demo", "--proto", "tcp", "--sends", "1000000", "--size", "65536"], signal: signal);

        Assert.Equal(signal == EdsosProcess.SIGINT ? ExitCodes.Interrupted : ExitCodes.Terminated, run.ExitCode);
        Assert.True(run.StopTime < TimeSpan.FromSeconds(5), $"stopped {run.StopTime} after the signal");
        Assert.DoesNotContain(StackTraceMarker, run.Stderr, StringComparison.Ordinal);
        Assert.Contains("interrupted        by a signal after", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("leaks after close  0 pages, 0 CTRNs, 0 nodes", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Edsos_SigtermOnBenchTracing_StopsWithoutACrash()
    {
        var run = await EdsosProcess.RunAsync(["bench", "tracing", "--sends", "1000000"], signal: EdsosProcess.SIGTERM, signalAfter: TimeSpan.FromSeconds(2));

        Assert.Equal(ExitCodes.Terminated, run.ExitCode);
        Assert.True(run.StopTime < TimeSpan.FromSeconds(5), $"stopped {run.StopTime} after the signal");
        Assert.DoesNotContain(StackTraceMarker, run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("interrupted", run.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(400)]
    [InlineData(900)]
    [InlineData(1400)]
    [InlineData(1900)]
    public async Task Edsos_SigtermRacingTheEndOfARun_NeverCrashes(int milliseconds)
    {
        // The issue saw 3 crashes in 40 tries inside System.CommandLine's termination handler when the
        // signal met the run's end; a short bench and signals spread over its life hit that window.
        var run = await EdsosProcess.RunAsync(
            ["bench", "tracing", "--sends", "100", "--rounds", "1"],
            signal: EdsosProcess.SIGTERM,
            signalAfter: TimeSpan.FromMilliseconds(milliseconds),
            mayEndBeforeSignal: true);

        Assert.Contains(run.ExitCode, new[] { ExitCodes.Ok, ExitCodes.Terminated });
        Assert.DoesNotContain(StackTraceMarker, run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Edsos_SigtermDeliveredTwiceAtOnce_StillStopsWithTheReport()
    {
        // timeout(1) signals its child, then the child's process group: edsos sees SIGTERM twice.
        var run = await EdsosProcess.RunAsync(
            ["demo", "--sends", "1000000000", "--json"],
            signal: EdsosProcess.SIGTERM,
            repeatSignalAfter: TimeSpan.FromMilliseconds(20));

        Assert.Equal(ExitCodes.Terminated, run.ExitCode);
        Assert.DoesNotContain("without a report", run.Stderr, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(run.Stdout);
        Assert.True(json.RootElement.GetProperty("interrupted").GetBoolean());
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
