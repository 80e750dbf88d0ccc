using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using Xunit.Abstractions;

namespace Edsos.Host.Tests;

/// <summary>
/// The console cluster through the real program: <c>edsos cluster demo</c> starts a coordinator and two
/// <c>edsos node</c> processes joined in an Akka.Cluster on 127.0.0.1, their NICs on the cross-process UDP wire.
/// Every run is checked from its <c>--json</c>: every echo verified, no payload byte copied, no leak in any arena that
/// survived, distinct pids; the kill runs SIGKILL host B at seeded instants and must end clean and in time. One class,
/// so its process-heavy runs do not compete with one another for the 2 cores.
/// </summary>
[Collection(ProcessTestCollection.Name)]
public sealed partial class ClusterProcessTests(ITestOutputHelper output)
{
    private static readonly TimeSpan s_runLimit = TimeSpan.FromSeconds(150);

    [Theory]
    [InlineData("udp", 300, 1024)]
    [InlineData("tcp", 100, 4096)]
    public async Task ClusterDemo_Echo_EveryEchoVerifiedNoCopyNoLeakTwoPids(string proto, int sends, int size)
    {
        if (!CanSpawn())
        {
            return;
        }

        string traces = Directory.CreateTempSubdirectory("edsos-cluster-traces-").FullName;
        var run = await EdsosProcess.RunAsync(["cluster", "demo", "--layout", "hosts", "--proto", proto, "--sends", $"{sends}", "--size", $"{size}", "--json", "--trace-dir", traces], s_runLimit);
        output.WriteLine(run.Stdout + run.Stderr);

        Assert.Equal(ExitCodes.Ok, run.ExitCode);
        using var json = JsonDocument.Parse(run.Stdout);
        var root = json.RootElement;
        Assert.True(root.GetProperty("ok").GetBoolean());
        Assert.Equal(sends, root.GetProperty("echoed_ok").GetInt32());
        Assert.Equal(0, root.GetProperty("echoed_bad").GetInt32());
        Assert.Equal(0, root.GetProperty("payload_bytes_copied").GetInt64());
        Assert.Equal(0, root.GetProperty("leaked_pages").GetInt32());
        Assert.Equal(0, root.GetProperty("leaked_ctrns").GetInt32());
        Assert.Equal(2, root.GetProperty("arenas_reported").GetInt32());
        var processes = root.GetProperty("processes").EnumerateArray().ToList();
        Assert.Equal(["A", "B"], processes.Select(p => p.GetProperty("host").GetString()).Order());
        Assert.All(processes, p => Assert.Equal("all", p.GetProperty("role").GetString()));
        Assert.All(processes, p => Assert.Equal("exit 0", p.GetProperty("ended").GetString()));
        var pids = processes.Select(p => p.GetProperty("pid").GetInt32()).ToList();
        Assert.Equal(2, pids.Distinct().Count());
        AssertGone(pids);
        AssertTracesCrossProcesses(traces);
        Directory.Delete(traces, recursive: true);
    }

    /// <summary>
    /// Host B SIGKILLed at seeded instants (three kills: two without a restart, one with): A's round in flight ends
    /// when the cluster sees B unreachable, the cluster removes B, A's arena (and the restarted B's) leak nothing,
    /// and with a restart every round is sent and the new B echoes the rest. <c>EDSOS_KILL_SEED</c> replays a run.
    /// </summary>
    [Fact]
    public async Task ClusterDemo_KillHostBAtSeededInstants_CleanReportsNoHang()
    {
        if (!CanSpawn())
        {
            return;
        }

        int seed = int.TryParse(Environment.GetEnvironmentVariable("EDSOS_KILL_SEED"), out int given) ? given : Environment.TickCount & 0xFFFF;
        output.WriteLine($"EDSOS_KILL_SEED={seed}");
        var random = new Random(seed);
        foreach (bool restart in new[] { false, true, false })
        {
            int sends = 400;
            int killAt = random.Next(1, 300);
            string[] args = ["cluster", "demo", "--layout", "hosts", "--sends", $"{sends}", "--kill", $"B@{killAt}", "--json", .. restart ? new[] { "--restart" } : []];
            var watch = Stopwatch.StartNew();
            var run = await EdsosProcess.RunAsync(args, s_runLimit);
            output.WriteLine($"{string.Join(' ', args)}: exit {run.ExitCode} in {watch.Elapsed.TotalSeconds:0.0} s");
            output.WriteLine(run.Stdout + run.Stderr);

            Assert.Equal(ExitCodes.Ok, run.ExitCode);
            using var json = JsonDocument.Parse(run.Stdout);
            var root = json.RootElement;
            Assert.True(root.GetProperty("ok").GetBoolean());
            Assert.True(root.GetProperty("echoed_ok").GetInt32() >= killAt);
            Assert.Equal(0, root.GetProperty("echoed_bad").GetInt32());
            Assert.True(root.GetProperty("lost").GetInt32() <= 2, "only the rounds in flight at the kill are lost");
            Assert.Equal(0, root.GetProperty("payload_bytes_copied").GetInt64());
            Assert.Equal(0, root.GetProperty("leaked_pages").GetInt32());
            Assert.Equal(0, root.GetProperty("leaked_ctrns").GetInt32());
            double unreachable = root.GetProperty("unreachable_after_s").GetDouble();
            double removed = root.GetProperty("removed_after_s").GetDouble();
            Assert.InRange(unreachable, 0.5, 10);
            Assert.InRange(removed, unreachable, 20);
            var killed = root.GetProperty("killed");
            Assert.Equal("B", killed.GetProperty("host").GetString());
            var processes = root.GetProperty("processes").EnumerateArray().ToList();
            Assert.Equal(restart ? 3 : 2, processes.Count);
            Assert.Equal(processes.Count, processes.Select(p => p.GetProperty("pid").GetInt32()).Distinct().Count());
            if (restart)
            {
                Assert.Equal(sends, root.GetProperty("attempted").GetInt32());
                Assert.True(root.GetProperty("echoed_after_restart").GetInt32() > 0);
                Assert.Equal(2, root.GetProperty("arenas_reported").GetInt32());
            }
            else
            {
                Assert.Equal(1, root.GetProperty("arenas_reported").GetInt32());
            }

            AssertGone(processes.Select(p => p.GetProperty("pid").GetInt32()));
        }
    }

    [Fact]
    public async Task Node_AloneUntilSigterm_PrintsReadyThenClosesClean()
    {
        if (!CanSpawn())
        {
            return;
        }

        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in new[] { EdsosProcess.ProgramPath, "node", "--host", "A", "--role", "all", "--port", "0" })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        try
        {
            var stderr = process.StandardError.ReadToEndAsync();
            string? ready = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.NotNull(ready);
            Assert.Matches(@"^edsos node: host A role all pid \d+ member akka\.tcp://edsos@127\.0\.0\.1:\d+ wire null: ready$", ready);
            Assert.Equal(0, Kill(process.Id, EdsosProcess.SIGTERM));
            string rest = await process.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));

            Assert.Equal(ExitCodes.Terminated, process.ExitCode);
            Assert.Contains("closed (a signal): leaks 0 pages, 0 CTRNs, 0 nodes", rest, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", await stderr, StringComparison.Ordinal);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    public static TheoryData<string[], string> BadUsage => new()
    {
        { ["node", "--host", "A", "--role", "user"], "--role user needs --arena FILE" },
        { ["node", "--host", "A", "--role", "driver"], "--role driver needs --arena FILE" },
        { ["node", "--host", "A", "--role", "all", "--arena", "/dev/shm/x"], "--arena is for --role user, net or driver" },
        { ["node", "--host", "A", "--role", "net", "--arena", "/dev/shm/x", "--wire", "udp:1:2"], "--wire is the NIC's: give it to the driver process" },
        { ["node", "--host", "C"], "--host must be A or B, not 'C'" },
        { ["node", "--host", "A", "--role", "kernel"], "--role must be all, user, net or driver" },
        { ["node", "--host", "A", "--wire", "tcp:1:2"], "--wire must be null or udp:LOCALPORT:PEERPORT" },
        { ["node", "--host", "A", "--seed", "localhost"], "--seed must be HOST:PORT" },
        { ["cluster", "demo", "--kill", "A@3"], "--kill A@N is not supported" },
        { ["cluster", "demo", "--kill", "kernel@3"], "--kill names host B or one of host A's roles" },
        { ["cluster", "demo", "--kill", "B@0"], "--kill must be B@N, user@N, net@N or driver@N" },
        { ["cluster", "demo", "--proto", "tcp", "--layout", "hosts", "--kill", "driver@3"], "needs host A's roles as processes" },
        { ["cluster", "demo", "--restart"], "--restart needs --kill" },
        { ["cluster", "demo", "--layout", "hosts", "--kill", "net@3"], "needs host A's roles as processes" },
        { ["cluster", "demo", "--layout", "threads"], "--layout" },
        { ["cluster", "demo", "--proto", "tcp", "--sends", "5", "--kill", "user@5"], "needs --sends above 5" },
        { ["cluster", "demo", "--sends", "10", "--kill", "B@10"], "needs --sends above 10" },
        { ["cluster", "demo", "--size", "4"], "--size must be between 8" },
    };

    [Theory]
    [MemberData(nameof(BadUsage))]
    public async Task Cluster_BadUsage_OneLineExit2BeforeAnyWork(string[] args, string expected)
    {
        var run = await EdsosProcess.RunAsync(args, TimeSpan.FromSeconds(60));

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        var line = Assert.Single(run.ErrorLines);
        Assert.Contains(expected, line, StringComparison.Ordinal);
        Assert.StartsWith("edsos ", line, StringComparison.Ordinal);
        Assert.Equal(string.Empty, run.Stdout.Trim());
    }

    [Fact]
    public async Task SerializerBench_EverySerializerRoundTripsTheClusterMessages()
    {
        var rows = await Bench.SerializerBench.RunAsync(messages: 2000, repetitions: 1);

        Assert.Equal(3, rows.Count);
        Assert.All(rows, r => Assert.True(r.RoundTripOk, r.Name));
        Assert.All(rows, r => Assert.True(r.RoundTripsPerSecond > 0 && r.BytesPerMessage > 0, r.Name));
    }

    /// <summary>Whether this environment lets a test start processes; prints why not when it does not.</summary>
    private bool CanSpawn()
    {
        try
        {
            using var probe = Process.Start(new ProcessStartInfo("dotnet", "--version") { RedirectStandardOutput = true, UseShellExecute = false });
            probe?.WaitForExit(30_000);
            return probe is not null;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            output.WriteLine($"skipped: this environment cannot start processes ({e.Message})");
            return false;
        }
    }

    /// <summary>
    /// One service per process; the coordinator's RunEcho span is the parent of host A's handling of it (the Traced
    /// carrier over Akka.Remote); and a sendto trace holds spans of both hosts' processes (the context over the wire).
    /// </summary>
    private static void AssertTracesCrossProcesses(string directory)
    {
        var spans = new List<(string Service, string Operation, string Trace, string Span, string? Parent)>();
        foreach (string file in Directory.GetFiles(directory, "*.json"))
        {
            using var json = JsonDocument.Parse(File.ReadAllText(file));
            foreach (var trace in json.RootElement.GetProperty("data").EnumerateArray())
            {
                var processes = trace.GetProperty("processes");
                foreach (var span in trace.GetProperty("spans").EnumerateArray())
                {
                    string service = processes.GetProperty(span.GetProperty("processID").GetString()!).GetProperty("serviceName").GetString()!;
                    string? parent = span.TryGetProperty("references", out var refs) && refs.GetArrayLength() > 0 ? refs[0].GetProperty("spanID").GetString() : null;
                    spans.Add((service, span.GetProperty("operationName").GetString()!, span.GetProperty("traceID").GetString()!, span.GetProperty("spanID").GetString()!, parent));
                }
            }
        }

        Assert.Equal(["edsos-host-a", "edsos-host-b", "edsos-host-coordinator"], spans.Select(s => s.Service).Distinct().Order());
        var root = Assert.Single(spans, s => s.Operation == "cluster demo");
        var handled = Assert.Single(spans, s => s.Operation == "RunEcho");
        Assert.Equal("edsos-host-a", handled.Service);
        Assert.Equal(root.Trace, handled.Trace);
        Assert.Equal(root.Span, handled.Parent);
        Assert.Contains(
            spans.Where(s => s.Operation is "sendto" or "send").Select(s => s.Trace),
            trace => spans.Where(s => s.Trace == trace).Select(s => s.Service).Distinct().Count() == 2);
    }

    /// <summary>No process of the run outlives it (the coordinator kills what it started on every path).</summary>
    private static void AssertGone(IEnumerable<int> pids)
    {
        foreach (int pid in pids)
        {
            bool alive = Directory.Exists($"/proc/{pid}") && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal);
            Assert.False(alive, $"process {pid} outlived the run");
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
