using System.Text.Json;
using Xunit.Abstractions;

namespace Edsos.Host.Tests;

/// <summary>
/// <c>edsos bench cluster</c> through the real program: the demo's echo in one process and in both cluster layouts
/// (two and four OS processes), each a child process of the bench, every run's echoes verified by the demo itself.
/// The figures are machine-dependent, so the test checks what the bench must get right whatever the machine: a row per
/// layout from a clean run, steady-state rates that are rates, and the ratios taken against the one-process row.
/// </summary>
[Collection(ProcessTestCollection.Name)]
public sealed class ClusterBenchTests(ITestOutputHelper output)
{
    [Fact]
    public async Task BenchCluster_OneRunPerLayout_RowsRatiosAgainstOneProcess()
    {
        var run = await EdsosProcess.RunAsync(["bench", "cluster", "--sends", "150", "--reps", "1", "--json"], TimeSpan.FromMinutes(6));
        output.WriteLine(run.Stdout + run.Stderr);

        Assert.Equal(ExitCodes.Ok, run.ExitCode);
        using var json = JsonDocument.Parse(run.Stdout);
        var root = json.RootElement;
        Assert.Empty(root.GetProperty("failures").EnumerateArray());
        var rows = root.GetProperty("rows").EnumerateArray().ToDictionary(r => r.GetProperty("layout").GetString()!);
        Assert.Equal(["hosts", "one-process", "roles", "roles-akka"], rows.Keys.Order());
        Assert.Equal(1, rows["one-process"].GetProperty("processes").GetInt32());
        Assert.Equal(2, rows["hosts"].GetProperty("processes").GetInt32());
        Assert.Equal(4, rows["roles"].GetProperty("processes").GetInt32());
        Assert.Equal(4, rows["roles-akka"].GetProperty("processes").GetInt32());
        double baseline = rows["one-process"].GetProperty("steady_rounds_per_s").GetDouble();
        Assert.True(baseline > 0);
        Assert.Equal(1.0, rows["one-process"].GetProperty("vs_one_process").GetDouble(), 6);
        foreach (var row in rows.Values)
        {
            double steady = row.GetProperty("steady_rounds_per_s").GetDouble();
            Assert.Equal(1, row.GetProperty("runs").GetInt32());
            Assert.True(steady > 0 && row.GetProperty("rtt_p50_us").GetDouble() > 0);
            Assert.Equal(steady / baseline, row.GetProperty("vs_one_process").GetDouble(), 6);
            Assert.Equal(steady, row.GetProperty("steady_rounds_per_s_min").GetDouble(), 6);
        }
    }

    [Fact]
    public async Task BenchCluster_BadProto_OneLineExit2()
    {
        var run = await EdsosProcess.RunAsync(["bench", "cluster", "--proto", "sctp"], TimeSpan.FromSeconds(60));

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Contains("--proto must be udp or tcp", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
    }
}
