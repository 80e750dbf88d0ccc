using Edsos.Host.Faults;
using Edsos.Protocol;
using Edsos.Driver;
using Edsos.Scheduler.Faults;

namespace Edsos.Host.Tests;

public sealed class FaultCatalogTests
{
    [Theory]
    [InlineData("ts-exit@dma", FaultKind.TsExit, "dma")]
    [InlineData("DRIVER-CRASH@completion", FaultKind.DriverCrash, "completion")]
    [InlineData(" qdisc-full @ qdisc ", FaultKind.QdiscFull, "qdisc")]
    public void TryParse_SupportedPair_Parsed(string text, FaultKind kind, string pointName)
    {
        var point = FaultCatalog.Point(pointName);
        Assert.True(FaultCatalog.TryParse(text, out var parsed, out var error), error);
        Assert.Equal(new FaultSpecName(kind, point), parsed);
    }

    [Theory]
    [InlineData(null, "FAULT@POINT")]
    [InlineData("ts-exit", "FAULT@POINT")]
    [InlineData("meteor@dma", "unknown fault")]
    [InlineData("ts-exit@moon", "unknown injection point")]
    [InlineData("dma-fail@kpn-share", "not supported")]
    public void TryParse_Bad_ClearReason(string? text, string reason)
    {
        Assert.False(FaultCatalog.TryParse(text, out _, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Supported_EveryPairRoundTripsAndIsDescribed()
    {
        Assert.True(FaultCatalog.Supported.Count >= 20);
        foreach (var pair in FaultCatalog.Supported)
        {
            Assert.True(FaultCatalog.TryParse(pair.ToString(), out var parsed, out _));
            Assert.Equal(pair, parsed);
            Assert.False(string.IsNullOrWhiteSpace(pair.Description));
        }

        Assert.Contains("ts-exit@dma", FaultCatalog.Supported.Select(p => p.ToString()));
        Assert.Contains("driver-crash@completion", FaultCatalog.Supported.Select(p => p.ToString()));
    }
}
