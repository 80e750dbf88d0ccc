using Edsos.Host.Demo;
using Edsos.SocketService;

namespace Edsos.Scenarios.Tests;

/// <summary>The demo end to end: two hosts, the real stack on both, a real virtual wire between them.</summary>
public sealed class DemoScenarioTests
{
    [Fact]
    public async Task Demo_ZeroCopyFragmentedEcho_EveryByteEchoedNoPayloadCopiedNothingLeaked()
    {
        var report = await DemoRunner.RunAsync(new DemoOptions { Sends = 60, Size = 4096, Pings = 2 });

        Assert.Empty(report.Errors);
        Assert.Equal(60, report.EchoedOk);
        Assert.Equal(2, report.PingsOk);
        Assert.Equal(0, report.PayloadBytesCopied);
        Assert.Equal(0, report.CowBytesCopied);
        Assert.Equal(0, report.LeakedPages);
        Assert.Equal(0, report.LeakedCtrns);
        Assert.Equal(0, report.LeakedNodes);
        // 4096 + 8 bytes of UDP over a 1500 MTU is 3 fragments, each way, plus ARP and ICMP.
        Assert.True(report.FramesTx >= 60 * 3 * 2 + 4, $"only {report.FramesTx} frames");
        // The NICs moved at least every payload byte twice each way (DMA read on TX, write on RX).
        Assert.True(report.DmaBytes >= 60L * 4096 * 4, $"only {report.DmaBytes} DMA bytes");
    }

    [Fact]
    public async Task Demo_CopyMode_CountsTheFourLinuxCopiesPerRoundTrip()
    {
        var report = await DemoRunner.RunAsync(new DemoOptions { Sends = 40, Size = 1000, Mode = DataPathMode.Copy, Pings = 0 });

        Assert.Empty(report.Errors);
        Assert.Equal(40, report.EchoedOk);
        // Send on A, recv on B, send on B, recv on A: one CPU copy of the payload each.
        Assert.Equal(40L * 1000 * 4, report.PayloadBytesCopied);
        Assert.Equal(0, report.LeakedNodes);
        Assert.Equal(0, report.LeakedPages);
    }

    [Fact]
    public async Task Demo_LargestDatagram_FragmentedAndReassembledExactly()
    {
        var report = await DemoRunner.RunAsync(new DemoOptions { Sends = 3, Size = DemoOptions.MaxUdpPayload, Pings = 0 });

        Assert.Empty(report.Errors);
        Assert.Equal(3, report.EchoedOk);
        Assert.Equal(0, report.PayloadBytesCopied);
        // 65515 bytes of UDP datagram in 1480-byte fragments: 45 frames per datagram per direction.
        Assert.True(report.FramesTx >= 3 * 45 * 2, $"only {report.FramesTx} frames");
        Assert.Equal(0, report.LeakedNodes);
    }
}
