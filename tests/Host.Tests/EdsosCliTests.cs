namespace Edsos.Host.Tests;

public sealed class EdsosCliTests
{
    [Fact]
    public void Parse_DemoWithAllOptions_NoErrors()
    {
        var result = EdsosCli.BuildRoot().Parse(["demo", "--proto", "udp", "--sends", "5", "--size", "65507", "--mode", "copy", "--pcap", "x.pcap", "--json"]);
        Assert.Empty(result.Errors);
    }

    [Theory]
    [InlineData("on")]
    [InlineData("off")]
    public void Parse_DemoWithTso_NoErrors(string tso)
    {
        var result = EdsosCli.BuildRoot().Parse(["demo", "--proto", "tcp", "--tso", tso, "--json"]);
        Assert.Empty(result.Errors);
    }

    [Fact]
    public void Parse_TsoNeitherOnNorOff_Error()
    {
        var result = EdsosCli.BuildRoot().Parse(["demo", "--tso", "yes"]);
        Assert.NotEmpty(result.Errors);
    }

    [Fact]
    public void Parse_UnknownMode_Error()
    {
        var result = EdsosCli.BuildRoot().Parse(["demo", "--mode", "fast"]);
        Assert.NotEmpty(result.Errors);
    }

    [Fact]
    public void Parse_NonNumericSends_Error()
    {
        var result = EdsosCli.BuildRoot().Parse(["demo", "--sends", "many"]);
        Assert.NotEmpty(result.Errors);
    }

    [Fact]
    public void Parse_BenchRuntime_NoErrors()
    {
        var result = EdsosCli.BuildRoot().Parse(["bench", "runtime", "--messages", "10", "--cycles", "10"]);
        Assert.Empty(result.Errors);
    }

    [Theory]
    [InlineData("udp")]
    [InlineData("tcp")]
    public void Parse_BenchDatapathWithProto_NoErrors(string proto)
    {
        var result = EdsosCli.BuildRoot().Parse(["bench", "datapath", "--proto", proto, "--rounds", "10", "--size", "4096", "--rcvbuf", "262144", "--reps", "5", "--seconds", "0.5", "--json"]);
        Assert.Empty(result.Errors);
    }

    [Theory]
    [InlineData("datapath")]
    [InlineData("stream")]
    public void Parse_BenchWithModes_NoErrors(string bench)
    {
        var result = EdsosCli.BuildRoot().Parse(["bench", bench, "--proto", "udp", "--modes", "zerocopy,linux"]);
        Assert.Empty(result.Errors);
    }

    [Theory]
    [InlineData("datapath")]
    [InlineData("stream")]
    public async Task Invoke_BenchWithAnUnknownMode_ExitCode2BeforeAnyRun(string bench)
    {
        var result = EdsosCli.BuildRoot().Parse(["bench", bench, "--proto", "udp", "--modes", "fast"]);

        int code = await result.InvokeAsync();

        Assert.Equal(2, code);
    }

    [Theory]
    [InlineData("100")]
    [InlineData("2000000000")]
    public async Task Invoke_BenchDatapathWithAReceiveBufferOutOfRange_ExitCode2BeforeAnyRun(string rcvbuf)
    {
        // Before: the bench started, warmed up and failed on TCP's own check with exit code 1.
        var result = EdsosCli.BuildRoot().Parse(["bench", "datapath", "--proto", "tcp", "--rcvbuf", rcvbuf]);

        int code = await result.InvokeAsync();

        Assert.Equal(2, code);
    }

    [Fact]
    public void Parse_DemoWithFault_NoErrors()
    {
        var result = EdsosCli.BuildRoot().Parse(["demo", "--fault", "ts-exit@dma", "--json"]);
        Assert.Empty(result.Errors);
    }
}
