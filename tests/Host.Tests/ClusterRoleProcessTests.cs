using System.Diagnostics;
using System.Text.Json;
using Xunit.Abstractions;

namespace Edsos.Host.Tests;

/// <summary>
/// Host A's roles as separate processes through the real program: <c>edsos cluster demo --roles</c> starts host B as one
/// <c>edsos node --role all</c> and host A as three, <c>--role driver</c>, <c>net</c> and <c>user</c>, on one arena file,
/// the NICs on the cross-process UDP wire. The echo crosses user → net → driver → wire → B and back with every byte
/// checked, no payload byte copied by a CPU and the NIC DMA-reading the app's pages; then each role is SIGKILLed at a
/// seeded instant and the survivors must reap it within 5 s, fail what needs failing with ENETDOWN, re-attach a restarted
/// process and leak nothing. Each run is checked from its <c>--json</c>.
/// </summary>
[Collection(ProcessTestCollection.Name)]
public sealed class ClusterRoleProcessTests(ITestOutputHelper output)
{
    private static readonly TimeSpan s_runLimit = TimeSpan.FromSeconds(240);

    [Theory]
    [InlineData("udp", 200, 1024)]
    [InlineData("tcp", 50, 4096)]
    public async Task ClusterDemo_RolesAsProcesses_EchoVerifiedZeroCopyNoLeakOneTraceAcrossThree(string proto, int sends, int size)
    {
        string traces = Directory.CreateTempSubdirectory("edsos-roles-traces-").FullName;
        var run = await EdsosProcess.RunAsync(["cluster", "demo", "--roles", "--proto", proto, "--sends", $"{sends}", "--size", $"{size}", "--json", "--trace-dir", traces], s_runLimit);
        output.WriteLine(run.Stdout + run.Stderr);

        Assert.Equal(ExitCodes.Ok, run.ExitCode);
        using var json = JsonDocument.Parse(run.Stdout);
        var root = json.RootElement;
        Assert.True(root.GetProperty("ok").GetBoolean());
        Assert.Equal(sends, root.GetProperty("echoed_ok").GetInt32());
        Assert.Equal(0, root.GetProperty("echoed_bad").GetInt32());
        Assert.Equal(0, root.GetProperty("payload_bytes_copied").GetInt64());

        // The payload moved only by DMA: A's NIC read what A's app wrote and wrote the echo, B's NIC the same.
        Assert.True(root.GetProperty("dma_bytes").GetInt64() >= 4L * sends * size, "every payload byte was DMA-read and DMA-written on both hosts");
        Assert.Equal(0, root.GetProperty("leaked_pages").GetInt32());
        Assert.Equal(0, root.GetProperty("leaked_ctrns").GetInt32());
        Assert.Equal(0, root.GetProperty("leaked_nodes").GetInt32());
        Assert.Equal(2, root.GetProperty("arenas_reported").GetInt32());
        var processes = root.GetProperty("processes").EnumerateArray().ToList();
        Assert.Equal(["all", "driver", "net", "user"], processes.Select(p => p.GetProperty("role").GetString()).Order());
        Assert.All(processes, p => Assert.Equal("exit 0", p.GetProperty("ended").GetString()));
        var pids = processes.Select(p => p.GetProperty("pid").GetInt32()).ToList();
        Assert.Equal(4, pids.Distinct().Count());
        AssertGone(pids);
        AssertSendtoTraceSpansHostAsThreeProcesses(traces);
        Directory.Delete(traces, recursive: true);
    }

    /// <summary>
    /// Each role of host A SIGKILLed once at a seeded instant of the echo: the victim user process (the app's echo
    /// goes on untouched, net closes the victim's sockets), the driver (sends fail ENETDOWN, a restarted driver is
    /// re-attached, the echo resumes) and net (syscalls fail ENETDOWN, new sockets work on the restarted net).
    /// <c>EDSOS_KILL_SEED</c> replays a run.
    /// </summary>
    [Fact]
    public async Task ClusterDemo_KillEachRoleAtSeededInstants_ReapedWithin5sCleanNoHang()
    {
        int seed = int.TryParse(Environment.GetEnvironmentVariable("EDSOS_KILL_SEED"), out int given) ? given : Environment.TickCount & 0xFFFF;
        output.WriteLine($"EDSOS_KILL_SEED={seed}");
        var random = new Random(seed);
        foreach (var (role, restart) in new[] { ("user", false), ("driver", true), ("net", true) })
        {
            const int sends = 150;
            int killAt = random.Next(10, 120);
            string[] args = ["cluster", "demo", "--sends", $"{sends}", "--kill", $"{role}@{killAt}", "--json", .. restart ? new[] { "--restart" } : []];
            var watch = Stopwatch.StartNew();
            var run = await EdsosProcess.RunAsync(args, s_runLimit);
            output.WriteLine($"{string.Join(' ', args)}: exit {run.ExitCode} in {watch.Elapsed.TotalSeconds:0.0} s");
            output.WriteLine(run.Stdout + run.Stderr);

            Assert.Equal(ExitCodes.Ok, run.ExitCode);
            using var json = JsonDocument.Parse(run.Stdout);
            var root = json.RootElement;
            Assert.True(root.GetProperty("ok").GetBoolean());
            Assert.Equal(0, root.GetProperty("echoed_bad").GetInt32());
            Assert.Equal(0, root.GetProperty("payload_bytes_copied").GetInt64());
            Assert.Equal(0, root.GetProperty("leaked_pages").GetInt32());
            Assert.Equal(0, root.GetProperty("leaked_ctrns").GetInt32());
            Assert.Equal(0, root.GetProperty("leaked_nodes").GetInt32());
            var killed = root.GetProperty("killed");
            Assert.Equal(role, killed.GetProperty("role").GetString());
            Assert.Equal("SIGKILL (the demo's kill)", killed.GetProperty("ended").GetString());
            Assert.True(root.GetProperty("reaped_processes").GetInt32() >= 1);
            Assert.InRange(root.GetProperty("reaped_after_s").GetDouble(), 0, 5);
            var notes = root.GetProperty("errors").EnumerateArray().Select(e => e.GetString()!).ToList();
            Assert.All(notes, n => Assert.StartsWith("note:", n, StringComparison.Ordinal));
            var processes = root.GetProperty("processes").EnumerateArray().ToList();
            Assert.Equal(processes.Count, processes.Select(p => p.GetProperty("pid").GetInt32()).Distinct().Count());
            if (role == "user")
            {
                // The bystander app's echo never noticed; the victim's socket was closed by net after the reap.
                Assert.Equal(sends, root.GetProperty("echoed_ok").GetInt32());
                Assert.True(root.GetProperty("lifted_nodes").GetInt32() >= 1);
                Assert.Contains(notes, n => n.Contains("net: closed ", StringComparison.Ordinal) && !n.Contains("closed 0 ", StringComparison.Ordinal));
            }
            else
            {
                Assert.Contains(notes, n => n.Contains("ENETDOWN", StringComparison.Ordinal));
                Assert.Contains(notes, n => n.Contains("found again", StringComparison.Ordinal));
                Assert.Equal(sends, root.GetProperty("attempted").GetInt32());
                Assert.True(root.GetProperty("echoed_ok").GetInt32() >= sends - 2, "only the rounds in flight at the kill are lost");
                Assert.True(root.TryGetProperty("rejoined_after_s", out var rejoined) && rejoined.ValueKind == JsonValueKind.Number);
            }

            AssertGone(processes.Select(p => p.GetProperty("pid").GetInt32()));
        }
    }

    /// <summary>One service per role process, and a sendto trace holding spans of host A's user, net and driver processes.</summary>
    private static void AssertSendtoTraceSpansHostAsThreeProcesses(string directory)
    {
        var spans = new List<(string Service, string Operation, string Trace)>();
        foreach (string file in Directory.GetFiles(directory, "*.json"))
        {
            using var json = JsonDocument.Parse(File.ReadAllText(file));
            foreach (var trace in json.RootElement.GetProperty("data").EnumerateArray())
            {
                var processes = trace.GetProperty("processes");
                foreach (var span in trace.GetProperty("spans").EnumerateArray())
                {
                    string service = processes.GetProperty(span.GetProperty("processID").GetString()!).GetProperty("serviceName").GetString()!;
                    spans.Add((service, span.GetProperty("operationName").GetString()!, span.GetProperty("traceID").GetString()!));
                }
            }
        }

        Assert.Equal(
            ["edsos-host-a-driver", "edsos-host-a-net", "edsos-host-a-user", "edsos-host-b", "edsos-host-coordinator"],
            spans.Select(s => s.Service).Distinct().Order());
        string[] hostA = ["edsos-host-a-driver", "edsos-host-a-net", "edsos-host-a-user"];
        Assert.Contains(
            spans.Where(s => s.Operation is "sendto" or "send" && s.Service == "edsos-host-a-user").Select(s => s.Trace),
            trace => hostA.All(service => spans.Any(s => s.Trace == trace && s.Service == service)));
    }

    private static void AssertGone(IEnumerable<int> pids)
    {
        foreach (int pid in pids)
        {
            bool alive = Directory.Exists($"/proc/{pid}") && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal);
            Assert.False(alive, $"process {pid} outlived the run");
        }
    }
}
