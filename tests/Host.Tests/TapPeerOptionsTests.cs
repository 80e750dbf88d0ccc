using Edsos.Host.Peer;
using Edsos.Protocol.Wire;

namespace Edsos.Host.Tests;

public sealed class TapPeerOptionsTests
{
    [Fact]
    public void Validate_Defaults_Null()
    {
        Assert.Null(new TapPeerOptions().Validate());
    }

    [Theory]
    [InlineData("10.0.0.2/24", "198.18.0.1/24", "benchmarking range")]
    [InlineData("198.18.0.2/24", "198.18.1.1/24", "not on one subnet")]
    [InlineData("198.18.0.1/24", "198.18.0.1/24", "both")]
    [InlineData("198.18.0.0/24", "198.18.0.1/24", "network or broadcast")]
    [InlineData("198.18.0.2/8", "198.18.0.1/8", "prefix")]
    public void Validate_BadAddresses_NamesTheProblem(string edsos, string linux, string expected)
    {
        var options = new TapPeerOptions { EdsosAddress = Ipv4Cidr.Parse(edsos), LinuxAddress = Ipv4Cidr.Parse(linux) };
        Assert.Contains(expected, options.Validate(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a/b")]
    [InlineData("two words")]
    [InlineData(".hidden")]
    public void Validate_BadNetnsName_Error(string name)
    {
        Assert.StartsWith("--netns", new TapPeerOptions { Netns = name }.Validate(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(0.5)]
    public void Validate_LossOutOfRange_Error(double loss)
    {
        Assert.StartsWith("--loss", new TapPeerOptions { Loss = loss }.Validate(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("198.18.0.2", "198.18.0.1/24", "--address")]
    [InlineData("198.18.0.2/24", "not-an-address", "--peer-address")]
    public void ParsePeerOptions_NotACidr_OneLineErrorNamingTheOption(string address, string peer, string option)
    {
        Assert.Null(EdsosCli.ParsePeerOptions(null, address, peer, out string? error));
        Assert.StartsWith(option, error, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error!);
    }

    [Fact]
    public void ParsePeerOptions_Good_Parsed()
    {
        var options = EdsosCli.ParsePeerOptions("lab", "198.18.0.20/24", "198.18.0.10/24", out string? error);
        Assert.Null(error);
        Assert.Equal("lab", options!.Netns);
        Assert.Equal(Ipv4Address.Parse("198.18.0.20"), options.EdsosAddress.Address);
        Assert.Equal(Ipv4Address.Parse("198.18.0.10"), options.LinuxAddress.Address);
    }

    [Fact]
    public void Parse_ServeTapWithEveryOption_NoErrors()
    {
        var result = EdsosCli.BuildRoot().Parse(["serve", "--tap", "--netns", "lab", "--address", "198.18.0.2/24", "--peer-address", "198.18.0.1/24", "--pcap", "x.pcap", "--mode", "copy"]);
        Assert.Empty(result.Errors);
    }

    [Fact]
    public void Parse_DemoPeerLinux_NoErrors()
    {
        var result = EdsosCli.BuildRoot().Parse(["demo", "--peer", "linux", "--proto", "both", "--json"]);
        Assert.Empty(result.Errors);
    }

    [Fact]
    public void Parse_DemoPeerUnknown_Error()
    {
        Assert.NotEmpty(EdsosCli.BuildRoot().Parse(["demo", "--peer", "windows"]).Errors);
    }

    [Fact]
    public void Parse_BenchTap_NoErrors()
    {
        Assert.Empty(EdsosCli.BuildRoot().Parse(["bench", "tap", "--mib", "8", "--rounds", "1", "--tso", "off"]).Errors);
    }
}
