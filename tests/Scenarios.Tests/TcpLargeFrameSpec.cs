using Edsos.Driver;
using Edsos.Driver.Wires;
using Edsos.Kpn;
using Edsos.Protocol;
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

    [Fact]
    public async Task StreamOf64KiBWrites_LargeFrames_SegmentsSpanTheWritesAboutOneFramePerWriteEverySendAnsweredOnce()
    {
        // Arrange: A's wire end watched; every write in flight at once on one ring, each from its own buffer.
        var (wireA, wireB) = LoopbackWire.CreatePair();
        var watchA = new FrameSizeWire(wireA);
        await using var hosts = await TwoHosts.StartAsync(watchA, wireB, o => o with { LargeFrames = true, ArenaPages = 8192, Tcp = new TcpOptions { ReceiveBuffer = 256 * 1024 } });
        var server = hosts.B.StartProcess("server");
        int listener = await TcpSockets.ListenAsync(server, 7);
        var client = hosts.A.StartProcess("client");
        int fd = await TcpSockets.SocketAsync(client);
        var accept = server.AcceptAsync(listener).AsTask();
        Assert.True((await client.ConnectAsync(fd, new Ipv4Endpoint(TwoHosts.AddressB, 7)).AsTask().WaitAsync(s_wait)).IsOk);
        var accepted = await accept.WaitAsync(s_wait);
        Assert.True(accepted.IsOk, $"accept: {accepted.Error}");
        const int write = 65536;
        const int writes = 64;
        var pattern = TcpSockets.Pattern(write * writes, 23);
        var reader = Task.Run(() => TcpSockets.ReadExactlyAsync(server, (int)accepted.Value, write * writes));
        Assert.Equal(Errno.None, client.TryCreateRing(writes, out var ring));
        var buffers = TcpSockets.PrepareSends(client, ring!, fd, pattern, write, writes);

        // Act
        Assert.Equal(SysResult.Ok(writes), ring!.Submit());
        var answers = await TcpSockets.ReapAsync(ring, writes, s_wait);

        var back = await reader.WaitAsync(s_wait);
        var tcpA = await TcpSockets.CountersAsync(hosts.A);

        // Assert: the stream whole and in order; every send answered once, with all its bytes.
        Assert.Equal(pattern, back);
        Assert.Equal(Enumerable.Range(0, writes).Select(i => (ulong)i), answers.Select(a => a.UserData).Order());
        Assert.All(answers, a => Assert.Equal((long)write, a.Result));
        Assert.False(ring.TryReap(out var extra), $"a send answered twice: {extra}");

        // Segments ran across the writes: whole MSS pieces up to the stream's end, where before every write ended in
        // a remainder of its own (measured before the change: 64 of 195 frames not whole MSS pieces; after: 1 of 92).
        // Most frames beyond one per write are slow start's ramp: segments cut by cwnd while it grows (one MSS per
        // ACK) from 3 MSS to a super-segment's worth, about 40 of them.
        var payloads = watchA.DataPayloads.ToArray();
        Assert.Equal((long)write * writes, payloads.Sum(p => (long)p));
        // A write's tail still goes alone where the connection had sent everything queued before the socket handed it
        // the next write (the receive side drains fast enough for that since the driver recycles its RX pages: up to 10
        // of about 100 frames in the runs seen on this machine); Linux's autocorking would hold such a tail while the previous
        // segment is still in the local transmit path. Every write ending in its own runt would be 64 of them.
        int ragged = payloads.Count(p => p % 1460 != 0);
        Assert.True(ragged <= writes / 4, $"{ragged} of {payloads.Length} data frames were not whole MSS pieces: {string.Join(",", payloads)}");
        Assert.True(payloads.Length <= writes * 2, $"{payloads.Length} data frames for {writes} writes: {string.Join(",", payloads)}");
        Assert.Equal(payloads.Length, tcpA.TsoSends + payloads.Count(p => p <= 1460));
        Assert.Equal(0, tcpA.Retransmits);

        ring.Dispose();
        Assert.True((await client.CloseAsync(fd)).IsOk);
        Assert.True((await server.CloseAsync((int)accepted.Value)).IsOk);
        foreach (var buffer in buffers)
        {
            Assert.Equal(Errno.None, client.Free(buffer));
        }

        await TcpSockets.StopAndAssertNoLeaksAsync(hosts, s_wait);
        Assert.Equal(0, hosts.A.Memory.Counters.PayloadBytesCopied);
    }
}
