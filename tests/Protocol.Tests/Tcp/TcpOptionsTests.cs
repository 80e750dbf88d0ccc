using Edsos.Protocol.Tcp;

namespace Edsos.Protocol.Tests.Tcp;

public sealed class TcpOptionsTests
{
    [Theory]
    [InlineData(64)]
    [InlineData(1460)]
    [InlineData(TcpOptions.MaxMss)]
    public void Validate_MssUpToTheLargestDatagram_Accepted(int mss)
    {
        new TcpOptions { Mss = mss }.Validate();
    }

    [Theory]
    [InlineData(63)]
    [InlineData(TcpOptions.MaxMss + 1)]
    public void Validate_MssOutsideItsRange_RefusedNamingTheRange(int mss)
    {
        var refused = Assert.Throws<ArgumentException>(() => new TcpOptions { Mss = mss }.Validate());

        Assert.Contains($"64..{65535 - 40}", refused.Message, StringComparison.Ordinal);
    }
}
