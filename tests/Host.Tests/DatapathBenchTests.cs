using Edsos.Host.Bench;
using Edsos.Host.Demo;

namespace Edsos.Host.Tests;

public sealed class DatapathBenchTests
{
    [Theory]
    [InlineData("sctp")]
    [InlineData("both")]
    public async Task RunAsync_ProtoNeitherUdpNorTcp_ExitCode2NamingTheOption(string proto)
    {
        var error = new StringWriter();

        int code = await DatapathBench.RunAsync(new DemoOptions { Proto = proto }, new StringWriter(), error);

        Assert.Equal(2, code);
        Assert.Contains($"--proto must be udp or tcp, not '{proto}'", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_InvalidSize_ExitCode2()
    {
        var error = new StringWriter();

        int code = await DatapathBench.RunAsync(new DemoOptions { Proto = "tcp", Size = 0 }, new StringWriter(), error);

        Assert.Equal(2, code);
        Assert.Contains("--size", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_TinyTcpRun_EveryModeEchoedAndBothRatiosPrinted()
    {
        var output = new StringWriter();

        int code = await DatapathBench.RunAsync(new DemoOptions { Proto = "tcp", Sends = 4, Size = 4096 }, output, new StringWriter());

        Assert.Equal(0, code);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal("TCP echo, 4 writes of 4096 bytes, two hosts in one process", lines[0]);
        Assert.StartsWith("mode", lines[1], StringComparison.Ordinal);
        Assert.Matches(@"^zerocopy\s+4\s+0\s", lines[2]);
        Assert.Matches(@"^copy\s+4\s+[1-9]", lines[3]); // copy mode copies payload; the figure is culture-formatted
        Assert.Matches(@"^zerocopy, TSO off\s+4\s+0\s", lines[4]);
        Assert.StartsWith("zero copy / copy: ", lines[5], StringComparison.Ordinal);
        Assert.StartsWith("TSO on / off (zero copy): ", lines[6], StringComparison.Ordinal);
        Assert.Equal(7, lines.Length);
    }
}
