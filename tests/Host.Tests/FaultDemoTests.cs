using Edsos.Host.Faults;
using System.Diagnostics;
using System.Text.Json;
using Edsos.Host.Demo;
using Edsos.Scheduler.Faults;

namespace Edsos.Host.Tests;

public sealed class FaultDemoTests
{
    [Fact]
    public async Task RunAsync_Help_OneLinePerSupportedPair()
    {
        var output = new StringWriter();

        var code = await FaultDemo.RunAsync("help", new DemoOptions(), json: false, output, new StringWriter());

        Assert.Equal(0, code);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(FaultCatalog.Supported.Count, lines.Length);
        Assert.Contains(lines, l => l.StartsWith("ts-exit@dma ", StringComparison.Ordinal));
        Assert.All(lines, l => Assert.Matches(@"^[a-z-]+@[a-z-]+\s{2,}\S", l));
    }

    [Fact]
    public async Task RunAsync_UnknownFault_ExitCode2WithReason()
    {
        var error = new StringWriter();

        var code = await FaultDemo.RunAsync("meteor@dma", new DemoOptions(), json: false, new StringWriter(), error);

        Assert.Equal(2, code);
        Assert.Contains("unknown fault", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_TsExitAtDmaJson_NoLeakAndNamesTheLiftedCtrns()
    {
        var output = new StringWriter();

        var code = await FaultDemo.RunAsync("ts-exit@dma", new DemoOptions { Sends = 10, Size = 512 }, json: true, output, new StringWriter());

        Assert.Equal(0, code);
        using var json = JsonDocument.Parse(output.ToString());
        var root = json.RootElement;
        Assert.Equal("ts-exit@dma", root.GetProperty("fault").GetString());
        Assert.True(root.GetProperty("fault_fired").GetBoolean());
        Assert.Equal(0, root.GetProperty("leaked_pages").GetInt32());
        Assert.Equal(0, root.GetProperty("leaked_ctrns").GetInt32());
        Assert.Equal(0, root.GetProperty("frames_from_lifted_pages").GetInt64());
        Assert.NotEmpty(root.GetProperty("lifted_ctrns").EnumerateArray());
        Assert.True(root.GetProperty("ok").GetBoolean());
    }

    [Fact]
    public async Task Main_DemoTcpTsExitAtDmaJson_ExitCode0FiredNoLeak()
    {
        // The built CLI itself, as a user runs it: a process of its own, its stdout parsed.
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "exec", Path.Combine(AppContext.BaseDirectory, "edsos.dll"), "demo", "--proto", "tcp", "--fault", "ts-exit@dma", "--json", "--sends", "8", "--size", "4096" })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));

        Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}: {await stderr}");
        using var json = JsonDocument.Parse(await stdout);
        var root = json.RootElement;
        Assert.Equal("tcp", root.GetProperty("proto").GetString());
        Assert.Equal("ts-exit@dma", root.GetProperty("fault").GetString());
        Assert.True(root.GetProperty("fault_fired").GetBoolean());
        Assert.Equal("client", root.GetProperty("victim").GetString());
        Assert.NotEmpty(root.GetProperty("lifted_ctrns").EnumerateArray());
        Assert.Equal(0, root.GetProperty("frames_from_lifted_pages").GetInt64());
        Assert.Equal(0, root.GetProperty("leaked_pages").GetInt32());
        Assert.Equal(0, root.GetProperty("leaked_ctrns").GetInt32());
        Assert.Equal(0, root.GetProperty("leaked_nodes").GetInt32());
        Assert.Equal(0, root.GetProperty("leaked_pins").GetInt32());
        Assert.True(root.GetProperty("bytes_delivered").GetInt64() < root.GetProperty("stream_bytes").GetInt64());
        Assert.True(root.GetProperty("ok").GetBoolean());
    }

    [Fact]
    public async Task RunAsync_FaultWithProtoBoth_ExitCode2WithReason()
    {
        var error = new StringWriter();

        var code = await FaultDemo.RunAsync("ts-exit@dma", new DemoOptions { Proto = "both" }, json: false, new StringWriter(), error);

        Assert.Equal(2, code);
        Assert.Contains("use udp or tcp", error.ToString(), StringComparison.Ordinal);
    }
}
