using Edsos.Driver.Wires;

namespace Edsos.Driver.Tests.Wires;

public sealed class TapWireTests
{
    [Theory]
    [InlineData("a-name-far-too-long")]
    [InlineData("has/slash")]
    [InlineData("has space")]
    public void TryOpen_BadInterfaceName_NullWithOneLineError(string name)
    {
        Assert.Null(TapWire.TryOpen(name, out string? error));
        Assert.StartsWith("bad interface name", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryOpen_WhereAllowed_InterfaceExistsUntilDisposed()
    {
        // Without root or /dev/net/tun the error says which, on one line; that is the whole contract then.
        using var wire = TapWire.TryOpen("edsostest" + (Environment.ProcessId % 10000), out string? error);
        if (wire is null)
        {
            Assert.False(string.IsNullOrWhiteSpace(error));
            Assert.DoesNotContain('\n', error!);
            return;
        }

        Assert.True(Directory.Exists("/sys/class/net/" + wire.InterfaceName), $"{wire.InterfaceName} is not in /sys/class/net");
        wire.Transmit(new byte[60]); // interface down: the kernel refuses, the wire counts it and does not throw
        Assert.Equal(1, wire.Counters.FramesTransmitted);
        string name = wire.InterfaceName;
        wire.Dispose();
        Assert.False(Directory.Exists("/sys/class/net/" + name), $"{name} outlived its wire");
    }
}
