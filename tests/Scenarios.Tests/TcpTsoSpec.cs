using Edsos.Driver;
using Edsos.Driver.Wires;
using Edsos.Host;
using Edsos.Host.Demo;
using Edsos.Kpn;
using Edsos.Protocol;
using Edsos.Protocol.Tcp;
using Edsos.Protocol.Wire;
using Edsos.Scenarios.Tests.Wires;
using Akka.Actor;
using Edsos.Scheduler;

namespace Edsos.Scenarios.Tests;

/// <summary>
/// TCP segmentation offload end to end: the same 200 KB echo between two real hosts with the NICs cutting the
/// segments (TSO on) and with <c>tcp_tx_worker</c> cutting them (TSO off), the wire watched for what went on it.
/// </summary>
public sealed class TcpTsoSpec
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Echo200Kb_TsoOnOrOff_EveryByteBackFramesWithinTheMtuNothingCopiedNothingLeaked(bool tso)
    {
        // Arrange: both wire ends watched, so every frame either NIC put on the wire is seen.
        var (wireA, wireB) = LoopbackWire.CreatePair();
        var watchA = new FrameSizeWire(wireA);
        var watchB = new FrameSizeWire(wireB);
        await using var hosts = await TwoHosts.StartAsync(watchA, watchB, o => o with { Tso = tso, ArenaPages = 2048 });

        // Act: one 200 KB send, echoed back by B (zero copy both ways).
        const int size = 200_000;
        var (sent, pattern, back) = await EchoOnceAsync(hosts, size, seed: 11);
        var nicA = await SettledStatisticsAsync(hosts.A, watchA);
        var nicB = await SettledStatisticsAsync(hosts.B, watchB);
        var tcpA = await hosts.A.Inet.Tcp!.Ask<TcpCounters>(TcpProtocol.GetTcpCounters.Instance, s_wait);

        // Assert
        Assert.True(sent.IsOk, $"send: {sent.Error}");
        Assert.Equal(size, sent.Value);
        Assert.Equal(pattern, back);
        Assert.True(watchA.Longest <= 1514, $"A put a {watchA.Longest}-byte frame on the wire");
        Assert.True(watchB.Longest <= 1514, $"B put a {watchB.Longest}-byte frame on the wire");
        Assert.True(watchA.Frames > size / 1460, $"only {watchA.Frames} frames from A for {size} bytes");
        if (tso)
        {
            Assert.True(nicA.TsoSegments > 0, "A's NIC cut no TSO segment");
            Assert.True(tcpA.TsoSends > 0, "A's TCP sent no super-segment");
            Assert.True(nicA.TsoSegments > nicA.TsoFrames, "super-segments of one segment only");
        }
        else
        {
            Assert.Equal(0, nicA.TsoSegments + nicB.TsoSegments);
            Assert.Equal(0, tcpA.TsoSends);
        }

        await hosts.A.StopAsync().WaitAsync(s_wait);
        await hosts.B.StopAsync().WaitAsync(s_wait);
        TcpSockets.AssertNoLeaks(hosts.A.Memory);
        TcpSockets.AssertNoLeaks(hosts.B.Memory);
        Assert.Equal(0, hosts.A.Memory.Counters.PayloadBytesCopied);
        Assert.Equal(0, hosts.B.Memory.Counters.PayloadBytesCopied);
    }

    [Fact]
    public async Task Echo_TsoOnAndASegmentTheNicCutIsLost_RetransmittedEveryByteBackNothingLeaked()
    {
        // Arrange: A's second data frame is lost. A's first send goes out as one super-segment of its initial
        // window (3 MSS), so that frame is the middle of a burst the NIC cut.
        var (wireA, wireB) = LoopbackWire.CreatePair();
        var watchA = new FrameSizeWire(wireA, dropTcpDataFrame: 2);
        await using var hosts = await TwoHosts.StartAsync(watchA, wireB, o => o with { Tso = true, ArenaPages = 2048 });

        // Act
        const int size = 100_000;
        var (sent, pattern, back) = await EchoOnceAsync(hosts, size, seed: 13);
        var tcpA = await hosts.A.Inet.Tcp!.Ask<TcpCounters>(TcpProtocol.GetTcpCounters.Instance, s_wait);
        var nicA = await NicDriver.GetStatisticsAsync(hosts.A.Nic);

        // Assert: the lost bytes came again (≤ MSS, cut by TCP) and the stream is whole.
        Assert.True(sent.IsOk, $"send: {sent.Error}");
        Assert.NotNull(watchA.Dropped);
        Assert.Equal(1514, watchA.Dropped!.Length);
        Assert.Equal(pattern, back);
        Assert.True(tcpA.TsoSends > 0 && nicA.TsoSegments >= 3, $"{tcpA.TsoSends} super-segments, {nicA.TsoSegments} segments cut");
        Assert.True(tcpA.Retransmits >= 1, "the lost segment was never sent again");
        await hosts.A.StopAsync().WaitAsync(s_wait);
        await hosts.B.StopAsync().WaitAsync(s_wait);
        TcpSockets.AssertNoLeaks(hosts.A.Memory);
        TcpSockets.AssertNoLeaks(hosts.B.Memory);
        Assert.Equal(0, hosts.A.Memory.Counters.PayloadBytesCopied);
    }

    [Fact]
    public async Task LossyDemo_TsoOn_EveryWriteEchoedNothingLeaked()
    {
        var report = await TcpDemoRunner.RunAsync(new DemoOptions { Proto = "tcp", Sends = 20, Size = 65536, Pings = 0, Loss = 0.02, Tso = true });

        Assert.Equal(20, report.EchoedOk);
        Assert.Equal(0, report.EchoedBad);
        Assert.True(report.TsoSegments > 0, "no TSO segment was cut");
        Assert.True(report.Retransmits > 0, "a 2 % lossy wire caused no retransmission");
        Assert.Equal(0, report.PayloadBytesCopied);
        Assert.Equal(0, report.LeakedPages);
        Assert.Equal(0, report.LeakedCtrns);
    }

    [Fact]
    public async Task BenchShapedDemo_OneWriteInFlightReusingItsBuffer_EchoesEveryWriteWithoutACopy()
    {
        // bench datapath's TCP rows: one write in flight, zero copy from one buffer the client refills every round. By the
        // time a write's echo is back whole TCP has let go of its pages, so refilling the buffer copies nothing
        // (copy-on-write would show in CowBytesCopied).
        var report = await TcpDemoRunner.RunAsync(new DemoOptions { Proto = "tcp", Sends = 200, Size = 65536, Pings = 0, Tso = true, LargeFrames = true, ReceiveBuffer = 262144, OneWriteInFlight = true });

        Assert.Equal(200, report.EchoedOk);
        Assert.Equal(0, report.EchoedBad);
        Assert.Equal(0, report.PayloadBytesCopied);
        Assert.Equal(0, report.CowBytesCopied);
        Assert.Equal(0, report.LeakedPages);
        Assert.Equal(0, report.LeakedCtrns);
    }

    /// <summary>
    /// Connects a client on A to an echo server on B, sends <paramref name="size"/> pattern bytes in one
    /// <c>send()</c>, reads the echo back while it is sent, then shuts down and closes both ends.
    /// </summary>
    internal static async Task<(SysResult Sent, byte[] Pattern, byte[] Back)> EchoOnceAsync(TwoHosts hosts, int size, int seed)
    {
        var server = hosts.B.StartProcess("server");
        int listener = await TcpSockets.ListenAsync(server, 7);
        var client = hosts.A.StartProcess("client");
        int fd = await TcpSockets.SocketAsync(client);
        var acceptTask = server.AcceptAsync(listener).AsTask();
        Assert.True((await client.ConnectAsync(fd, new Ipv4Endpoint(TwoHosts.AddressB, 7)).AsTask().WaitAsync(s_wait)).IsOk);
        var accepted = await acceptTask.WaitAsync(s_wait);
        Assert.True(accepted.IsOk, $"accept: {accepted.Error}");
        var data = client.Alloc(size);
        var pattern = TcpSockets.Pattern(size, seed);
        Assert.Equal(Errno.None, client.WriteBuffer(data, 0, pattern));

        var echo = Task.Run(() => TcpSockets.EchoAllAsync(server, (int)accepted.Value));
        var reader = Task.Run(() => TcpSockets.ReadExactlyAsync(client, fd, size));
        var sent = await client.SendAsync(fd, data.Gva, size).AsTask().WaitAsync(s_wait);
        var back = await reader.WaitAsync(s_wait);
        Assert.True((await client.ShutdownAsync(fd, 1)).IsOk);
        Assert.Equal(size, await echo.WaitAsync(s_wait));
        Assert.True((await client.CloseAsync(fd)).IsOk);
        Assert.Equal(Errno.None, client.Free(data));
        return (sent, pattern, back);
    }

    /// <summary>
    /// The NIC's statistics once every frame it counted as sent was seen on its wire end (and the other way
    /// round): the last ACKs of the close may still be leaving when the echo completes. Fails if the two
    /// counts do not meet within the wait.
    /// </summary>
    internal static async Task<DriverProtocol.NicStatistics> SettledStatisticsAsync(EdsosHost host, FrameSizeWire watch)
    {
        var deadline = DateTime.UtcNow + s_wait;
        while (true)
        {
            long seen = watch.Frames;
            var statistics = await NicDriver.GetStatisticsAsync(host.Nic);
            if (statistics.FramesSent == seen && watch.Frames == seen)
            {
                return statistics;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{host.Options.Name}: the NIC counted {statistics.FramesSent} frames sent, its wire end saw {watch.Frames}");
            await Task.Delay(20);
        }
    }
}
