using System.Text.Json;

namespace Edsos.Host.Tests;

public sealed class IdleBenchTests
{
    [Fact]
    public async Task Program_TwoHostsAfterTraffic_ReportTheirIdleCpuAsJson()
    {
        // A process of its own: its CPU time is the idle hosts' alone, not that of the tests running beside this one
        // in the test process.
        var run = await EdsosProcess.RunAsync(["bench", "idle", "--seconds", "2", "--warmup", "3", "--json"], TimeSpan.FromMinutes(2));

        Assert.True(run.ExitCode == 0, run.Stderr);
        using var doc = JsonDocument.Parse(run.Stdout);
        double seconds = doc.RootElement.GetProperty("seconds").GetDouble();
        double percent = doc.RootElement.GetProperty("cpu_percent_of_core").GetDouble();
        Assert.InRange(seconds, 1.9, 10);

        // A thread that spins while nothing is due shows as tens of percent; the bound leaves room for a loaded
        // machine's background JIT and GC, which an idle host still pays once.
        Assert.InRange(percent, 0, 25);
    }

    [Fact]
    public async Task Cli_ZeroSeconds_ExitCode2()
    {
        int code = await EdsosCli.BuildRoot().Parse(["bench", "idle", "--seconds", "0"]).InvokeAsync();

        Assert.Equal(2, code);
    }
}
