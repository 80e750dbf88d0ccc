using System.Text.Json;
using Edsos.Host.Bench;

namespace Edsos.Host.Tests;

public sealed class IdleBenchTests
{
    [Fact]
    public async Task RunAsync_TwoHostsAfterTraffic_ReportTheirIdleCpuAsJson()
    {
        var output = new StringWriter();

        int code = await IdleBench.RunAsync(seconds: 2, warmupSeconds: 3, json: true, output);

        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(output.ToString());
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
