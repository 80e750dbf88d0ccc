using Edsos.Driver;
using Edsos.Driver.Wires;
using Edsos.Protocol.Tcp;
using Edsos.Scenarios.Tests.Wires;
using Akka.Actor;

namespace Edsos.Scenarios.Tests;

/// <summary>
/// Large frames on the wire between two real hosts (<see cref="Host.EdsosHostOptions.LargeFrames"/>): TCP's
/// super-segments cross the wire whole instead of as MSS-sized frames, the receiver takes each as one frame, and a
/// lost one is retransmitted (by TCP, at most an MSS at a time) until the stream is whole.
/// </summary>
public sealed class TcpLargeFrameSpec
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Echo200Kb_LargeFrames_SuperSegmentsCrossWholeInFewFramesEveryByteBackNothingLeaked()
    {
        // Arrange
        var (wireA, wireB) = LoopbackWire.CreatePair();
        var watchA = new FrameSizeWire(wireA);
        var watchB = new FrameSizeWire(wireB);
        await using var hosts = await TwoHosts.StartAsync(watchA, watchB, o => o with { LargeFrames = true, ArenaPages = 4096, Tcp = new TcpOptions { ReceiveBuffer = 256 * 1024 } });

        // Act: one 200 KB send, echoed back by B (zero copy both ways).
        const int size = 200_000;
        var (sent, pattern, back) = await TcpTsoSpec.EchoOnceAsync(hosts, size, seed: 17);
        var nicA = await TcpTsoSpec.SettledStatisticsAsync(hosts.A, watchA);
        var nicB = await NicDriver.GetStatisticsAsync(hosts.B.Nic);

        // Assert: super-segments longer than a 1514-byte frame crossed whole; far fewer frames than MSS pieces.
        Assert.True(sent.IsOk, $"send: {sent.Error}");
        Assert.Equal(pattern, back);
        Assert.True(watchA.Longest > 1514, $"A's longest frame on the wire was {watchA.Longest} bytes");
        Assert.True(watchB.Longest > 1514, $"B's longest frame on the wire was {watchB.Longest} bytes");
        Assert.True(nicA.TsoFrames > 0 && nicA.TsoSegments == nicA.TsoFrames, $"{nicA.TsoFrames} super-frames went out as {nicA.TsoSegments} frames");
        int mssPieces = (size + 1459) / 1460;
        Assert.True(nicB.FramesReceived < mssPieces / 2, $"B received {nicB.FramesReceived} frames for {mssPieces} MSS pieces of data");
        Assert.Equal(0, nicA.RxMissed + nicB.RxMissed);
        await hosts.A.StopAsync().WaitAsync(s_wait);
        await hosts.B.StopAsync().WaitAsync(s_wait);
        TcpSockets.AssertNoLeaks(hosts.A.Memory);
        TcpSockets.AssertNoLeaks(hosts.B.Memory);
        Assert.Equal(0, hosts.A.Memory.Counters.PayloadBytesCopied);
        Assert.Equal(0, hosts.B.Memory.Counters.PayloadBytesCopied);
    }

    [Fact]
    public async Task Echo_LargeFramesAndALargeFrameIsLost_RetransmittedEveryByteBackNothingLeaked()
    {
        // Arrange: A's second data frame is lost: with large frames, a whole super-segment.
        var (wireA, wireB) = LoopbackWire.CreatePair();
        var watchA = new FrameSizeWire(wireA, dropTcpDataFrame: 2);
        await using var hosts = await TwoHosts.StartAsync(watchA, wireB, o => o with { LargeFrames = true, ArenaPages = 4096 });

        // Act
        const int size = 100_000;
        var (sent, pattern, back) = await TcpTsoSpec.EchoOnceAsync(hosts, size, seed: 19);
        var tcpA = await hosts.A.Inet.Tcp!.Ask<TcpCounters>(TcpProtocol.GetTcpCounters.Instance, s_wait);

        // Assert
        Assert.True(sent.IsOk, $"send: {sent.Error}");
        Assert.NotNull(watchA.Dropped);
        Assert.True(watchA.Dropped!.Length > 1514, $"the lost frame was {watchA.Dropped.Length} bytes");
        Assert.Equal(pattern, back);
        Assert.True(tcpA.Retransmits >= 1, "the lost segment was never sent again");
        await hosts.A.StopAsync().WaitAsync(s_wait);
        await hosts.B.StopAsync().WaitAsync(s_wait);
        TcpSockets.AssertNoLeaks(hosts.A.Memory);
        TcpSockets.AssertNoLeaks(hosts.B.Memory);
    }
}
