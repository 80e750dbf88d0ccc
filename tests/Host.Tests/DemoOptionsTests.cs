using Edsos.Host.Demo;

namespace Edsos.Host.Tests;

public sealed class DemoOptionsTests
{
    [Fact]
    public void Validate_Defaults_Valid()
    {
        Assert.Null(new DemoOptions().Validate());
    }

    [Theory]
    [InlineData(7, "--size")]
    [InlineData(65508, "65507")]
    public void Validate_SizeOutOfRange_NamesTheOption(int size, string expected)
    {
        string? error = new DemoOptions { Size = size }.Validate();
        Assert.NotNull(error);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_LargestUdpPayload_Valid()
    {
        Assert.Null(new DemoOptions { Size = DemoOptions.MaxUdpPayload }.Validate());
    }

    [Fact]
    public void Validate_ZeroSends_Rejected()
    {
        Assert.Contains("--sends", new DemoOptions { Sends = 0 }.Validate(), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_TcpWithSeveralMiBWritesAndLoss_Valid()
    {
        Assert.Null(new DemoOptions { Proto = "tcp", Size = 4 * 1024 * 1024, Loss = 0.02 }.Validate());
    }

    [Fact]
    public void Validate_LossOnUdp_Rejected()
    {
        Assert.Contains("--loss", new DemoOptions { Proto = "udp", Loss = 0.02 }.Validate(), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_UnknownProto_Rejected()
    {
        Assert.Contains("'sctp'", new DemoOptions { Proto = "sctp" }.Validate(), StringComparison.Ordinal);
    }
}
