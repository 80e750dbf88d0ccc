using Edsos.Host.Demo;

namespace Edsos.Host.Tests;

public sealed class OptionChecksTests
{
    [Fact]
    public void CheckWritableFile_NewFileInTemp_NullAndNothingLeftBehind()
    {
        string path = Path.Combine(Path.GetTempPath(), $"edsos-check-{Guid.NewGuid():N}.pcap");

        Assert.Null(OptionChecks.CheckWritableFile(path));
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void CheckWritableFile_ExistingFile_NullAndKept()
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "keep");

            Assert.Null(OptionChecks.CheckWritableFile(path));
            Assert.Equal("keep", File.ReadAllText(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("", "needs a file name")]
    [InlineData("   ", "needs a file name")]
    [InlineData("/nonexistent-edsos-dir/x.pcap", "no directory")]
    public void CheckWritableFile_Unusable_SaysWhy(string path, string expected)
    {
        Assert.Contains(expected, OptionChecks.CheckWritableFile(path), StringComparison.Ordinal);
    }

    [Fact]
    public void CheckWritableFile_Directory_SaysItIsADirectory()
    {
        Assert.Contains("directory", OptionChecks.CheckWritableFile(Path.GetTempPath()), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://localhost:4317")]
    [InlineData("https://collector.example:4318/v1/traces")]
    public void CheckHttpEndpoint_HttpAndHttps_Accepted(string endpoint)
    {
        Assert.Null(OptionChecks.CheckHttpEndpoint(endpoint));
    }

    [Theory]
    [InlineData("not-a-url")]
    [InlineData("ftp://localhost:4317")]
    [InlineData("file:///tmp/x")]
    [InlineData("localhost:4317")]
    public void CheckHttpEndpoint_Other_Refused(string endpoint)
    {
        Assert.Contains("http:// or https://", OptionChecks.CheckHttpEndpoint(endpoint), StringComparison.Ordinal);
    }

    [Fact]
    public void FaultValidate_SizeAboveMtuAndFewSends_Accepted()
    {
        Assert.Null(FaultDemo.Validate("dma-fail@dma", new DemoOptions { Size = 8192, Sends = 2 }, []));
    }

    [Theory]
    [InlineData("--pings")]
    [InlineData("--tso")]
    [InlineData("--rcvbuf")]
    public void FaultValidate_EchoRunOptionGiven_Refused(string option)
    {
        Assert.Contains(option, FaultDemo.Validate("dma-fail@dma", new DemoOptions(), [option]), StringComparison.Ordinal);
    }

    [Fact]
    public void TelemetryValidate_FtpEndpoint_Refused()
    {
        Assert.Contains("--otlp", new Telemetry.TelemetryOptions { OtlpEndpoint = "ftp://x" }.Validate(), StringComparison.Ordinal);
    }
}
