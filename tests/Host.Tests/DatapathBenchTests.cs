using System.Text.Json;
using Edsos.Host.Bench;

namespace Edsos.Host.Tests;

public sealed class DatapathBenchTests
{
    [Theory]
    [InlineData("sctp")]
    [InlineData("both")]
    public void CasesFor_ProtoNeitherUdpTcpNorAll_NamesTheOption(string proto)
    {
        Assert.Null(DatapathBenchOptions.CasesFor(proto, null, out string? error));
        Assert.Equal($"--proto must be udp, tcp or all, not '{proto}'", error);
    }

    [Fact]
    public void CasesFor_All_TheStandardSizesOfBothProtocols()
    {
        var cases = DatapathBenchOptions.CasesFor("all", null, out _);

        Assert.Equal([("udp", 1024), ("udp", 4096), ("udp", 65507), ("tcp", 4096), ("tcp", 65536)], cases);
    }

    [Fact]
    public void CasesFor_UdpSizeAboveItsLimit_Refused()
    {
        Assert.Null(DatapathBenchOptions.CasesFor("udp", 65508, out string? error));
        Assert.Contains("--size", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_TinyUdpAndTcpRuns_ThreeModesEachWithRatesAndCosts()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var options = new DatapathBenchOptions { Cases = [("udp", 1024), ("tcp", 4096)], Repetitions = 2, Rounds = 5 };

        int code = await DatapathBench.RunAsync(options, json: true, output, error);

        Assert.True(code == 0, error.ToString());
        using var doc = JsonDocument.Parse(output.ToString());
        var rows = doc.RootElement.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(6, rows.Count);
        foreach (var row in rows)
        {
            string mode = row.GetProperty("mode").GetString()!;
            Assert.Contains(mode, DatapathBench.Modes);
            double rate = row.GetProperty("rounds_per_s").GetDouble();
            Assert.True(rate > 0, $"{mode}: no rounds per second");
            Assert.InRange(rate, row.GetProperty("rounds_per_s_min").GetDouble(), row.GetProperty("rounds_per_s_max").GetDouble());
            Assert.True(row.GetProperty("cpu_us_per_round").GetDouble() > 0, $"{mode}: no CPU time measured");
            Assert.Equal(2, row.GetProperty("repetitions").GetInt32());
            Assert.Equal(5, row.GetProperty("rounds_per_repetition").GetInt32());
        }

        Assert.Equal(["udp", "udp", "udp", "tcp", "tcp", "tcp"], rows.Select(r => r.GetProperty("proto").GetString()));
    }

    [Theory]
    [InlineData("zerocopy", new[] { "zerocopy" })]
    [InlineData("linux,zerocopy", new[] { "zerocopy", "linux" })]
    [InlineData(" copy , linux ", new[] { "copy", "linux" })]
    [InlineData(null, new[] { "zerocopy", "copy", "linux" })]
    public void ModesFor_AList_TheNamedModesInTheBenchOrder(string? list, string[] expected)
    {
        Assert.Equal(expected, DatapathBench.ModesFor(list, out string? error));
        Assert.Null(error);
    }

    [Fact]
    public void ModesFor_AnUnknownMode_NamesIt()
    {
        Assert.Null(DatapathBench.ModesFor("zerocopy,kernel", out string? error));
        Assert.Equal("--modes takes zerocopy, copy, linux, not 'kernel'", error);
    }

    [Fact]
    public async Task RunAsync_OneMode_OnlyItsRows()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var options = new DatapathBenchOptions { Cases = [("udp", 1024)], Repetitions = 1, Rounds = 5, Modes = ["zerocopy"] };

        int code = await DatapathBench.RunAsync(options, json: true, output, error);

        Assert.True(code == 0, error.ToString());
        using var doc = JsonDocument.Parse(output.ToString());
        var modes = doc.RootElement.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("mode").GetString()).ToList();
        Assert.Equal(["zerocopy"], modes);
    }

    [Fact]
    public async Task RunAsync_NoRepetition_ExitCode2()
    {
        var error = new StringWriter();

        int code = await DatapathBench.RunAsync(new DatapathBenchOptions { Cases = [("udp", 1024)], Repetitions = 0 }, false, new StringWriter(), error);

        Assert.Equal(2, code);
        Assert.Contains("repetition", error.ToString(), StringComparison.Ordinal);
    }
}
