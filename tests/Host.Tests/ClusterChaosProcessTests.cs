using System.Text.Json;
using Xunit.Abstractions;

namespace Edsos.Host.Tests;

/// <summary>
/// <c>edsos cluster demo --chaos K</c> through the real program: host A as user, net and driver processes on one arena
/// and host B as a fourth, the echo streaming while the coordinator SIGKILLs K processes one after another, each at a
/// seeded random instant (after 20 to 200 echoes, 0 to 1.5 ms into the round) and of a seeded random kind (the victim
/// user process, net, driver or B, each of the four at least once), each restarted and found again before the next.
/// The run must end with every echo it verified right, at most the rounds in flight at each kill lost, no payload
/// byte copied, and empty leak reports in both arenas. <c>EDSOS_KILL_SEED</c> replays a run.
/// </summary>
[Collection(ProcessTestCollection.Name)]
public sealed class ClusterChaosProcessTests(ITestOutputHelper output)
{
    private const int Kills = 20;
    private static readonly TimeSpan s_runLimit = TimeSpan.FromMinutes(12);

    [Fact]
    public async Task ClusterDemo_Chaos20KillsAtSeededInstantsMidStream_EveryProcessBackNothingLeaked()
    {
        int seed = int.TryParse(Environment.GetEnvironmentVariable("EDSOS_KILL_SEED"), out int given) ? given : Environment.TickCount & 0xFFFF;
        output.WriteLine($"EDSOS_KILL_SEED={seed}");
        var run = await EdsosProcess.RunAsync(["cluster", "demo", "--chaos", $"{Kills}", "--seed", $"{seed}", "--json"], s_runLimit);
        output.WriteLine(run.Stdout + run.Stderr);

        Assert.Equal(ExitCodes.Ok, run.ExitCode);
        using var json = JsonDocument.Parse(run.Stdout);
        var root = json.RootElement;
        Assert.True(root.GetProperty("ok").GetBoolean());
        Assert.Equal(seed, root.GetProperty("chaos_seed").GetInt32());

        var kills = root.GetProperty("kills").EnumerateArray().ToList();
        Assert.Equal(Kills, kills.Count);
        Assert.Equal(["B", "driver", "net", "user"], kills.Select(k => k.GetProperty("target").GetString()!).Distinct().Order());
        Assert.All(kills, k =>
        {
            Assert.Equal(JsonValueKind.Number, k.GetProperty("removed_after_s").ValueKind);
            Assert.Equal(JsonValueKind.Number, k.GetProperty("rejoined_after_s").ValueKind);
            Assert.InRange(k.GetProperty("jitter_us").GetInt32(), 0, 1500);
        });
        var killedPids = kills.Select(k => k.GetProperty("pid").GetInt32()).ToList();
        Assert.Equal(Kills, killedPids.Distinct().Count());

        // Every process the run started: the five first, one successor per kill; the killed ones by SIGKILL, the rest clean.
        var processes = root.GetProperty("processes").EnumerateArray().ToList();
        Assert.Equal(5 + Kills, processes.Count);
        Assert.Equal(processes.Count, processes.Select(p => p.GetProperty("pid").GetInt32()).Distinct().Count());
        Assert.All(processes, p => Assert.Equal(
            killedPids.Contains(p.GetProperty("pid").GetInt32()) ? "SIGKILL (the demo's kill)" : "exit 0",
            p.GetProperty("ended").GetString()));

        // The app's stream went on through every kill: nothing wrong, at most the rounds in flight at each kill lost.
        int attempted = root.GetProperty("attempted").GetInt32();
        Assert.Equal(0, root.GetProperty("echoed_bad").GetInt32());
        Assert.InRange(root.GetProperty("echoed_ok").GetInt32(), attempted - (2 * Kills), attempted);
        Assert.Equal(0, root.GetProperty("payload_bytes_copied").GetInt64());
        Assert.Equal(0, root.GetProperty("leaked_pages").GetInt32());
        Assert.Equal(0, root.GetProperty("leaked_ctrns").GetInt32());
        Assert.Equal(0, root.GetProperty("leaked_nodes").GetInt32());
        Assert.Empty(root.GetProperty("leaks").EnumerateArray());
        Assert.All(root.GetProperty("errors").EnumerateArray(), e => Assert.StartsWith("note:", e.GetString(), StringComparison.Ordinal));
        foreach (int pid in processes.Select(p => p.GetProperty("pid").GetInt32()))
        {
            bool alive = Directory.Exists($"/proc/{pid}") && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal);
            Assert.False(alive, $"process {pid} outlived the run");
        }
    }

    /// <summary>A coordinator SIGKILLed earlier left its arena file in /dev/shm; the next one removes it (and only it).</summary>
    [Fact]
    public async Task ClusterDemo_ArenaLeftByAGoneCoordinator_RemovedByTheNext()
    {
        int gone = Enumerable.Range(3_000_000, 1000).First(pid => !Directory.Exists($"/proc/{pid}"));
        string stale = $"/dev/shm/edsos-demo-{gone}-a.arena";
        string living = $"/dev/shm/edsos-demo-{Environment.ProcessId}-a.arena";
        File.WriteAllBytes(stale, new byte[4096]);
        File.WriteAllBytes(living, new byte[4096]);
        try
        {
            var run = await EdsosProcess.RunAsync(["cluster", "demo", "--sends", "20", "--json"], TimeSpan.FromMinutes(4));
            output.WriteLine(run.Stdout + run.Stderr);

            Assert.Equal(ExitCodes.Ok, run.ExitCode);
            Assert.False(File.Exists(stale), "the arena of a coordinator that is gone was left in /dev/shm");
            Assert.True(File.Exists(living), "the arena named after a live process was removed");
        }
        finally
        {
            File.Delete(stale);
            File.Delete(living);
        }
    }

    public static TheoryData<string[], string> BadChaos => new()
    {
        { ["cluster", "demo", "--chaos", "3", "--kill", "net@5"], "--chaos needs --layout roles and no --kill" },
        { ["cluster", "demo", "--chaos", "3", "--layout", "hosts"], "--chaos needs --layout roles and no --kill" },
        { ["cluster", "demo", "--chaos", "3", "--proto", "tcp"], "--chaos runs over --proto udp" },
        { ["cluster", "demo", "--chaos", "-1"], "--chaos" },
    };

    [Theory]
    [MemberData(nameof(BadChaos))]
    public async Task ClusterDemo_BadChaosOptions_OneLineExit2(string[] args, string expected)
    {
        var run = await EdsosProcess.RunAsync(args, TimeSpan.FromSeconds(60));

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        var line = Assert.Single(run.ErrorLines);
        Assert.Contains(expected, line, StringComparison.Ordinal);
        Assert.Equal(string.Empty, run.Stdout.Trim());
    }
}
