using System.Collections.Concurrent;
using System.Text;
using Edsos.Driver.Wires;
using Edsos.Host.Faults;
using Edsos.Kpn;
using Edsos.Memory;
using Edsos.Protocol;
using Edsos.Protocol.Tcp;
using Edsos.Protocol.Wire;
using Akka.Actor;
using Edsos.Scheduler;
using Edsos.Scheduler.Faults;

namespace Edsos.Scenarios.Tests.Faults;

/// <summary>
/// Faults on a TCP stream between two real hosts: the client app streams to a reading server while
/// its TS exits, its socket is closed, the driver crashes or a DMA read fails. TCP holds references
/// to the app's pages for retransmission, so a lift must cut them off (no byte of a lifted page on
/// the wire afterwards, the peer told by a reset or a FIN), while device faults are repaired by
/// retransmission (every byte arrives). Both hosts are stopped and nothing may leak.
/// </summary>
public sealed class TcpFaultSpec
{
    private const ushort ServerPort = 7;
    private const int SendSize = 128 * 1024;
    private const int Sends = 4;
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(30);

    /// <summary>Sixteen bytes that tile every payload: any segment of 31 bytes or more carries them whole.</summary>
    private static readonly byte[] s_marker = Encoding.ASCII.GetBytes("EDSOS*TCP*FAULT!");

    public static TheoryData<FaultPoint> ExitPoints() => new() { FaultPoint.KpnShare, FaultPoint.SocketQueue, FaultPoint.SkbMerge, FaultPoint.Qdisc, FaultPoint.Completion };

    [Theory]
    [MemberData(nameof(ExitPoints))]
    public async Task TsExit_MidStream_PeerGetsAPrefixThenTheEndAndNothingLeaks(FaultPoint point)
    {
        var run = await RunAsync(FaultKind.TsExit, point);

        Assert.True(run.Fired, $"ts-exit@{FaultCatalog.PointName(point)} never fired");
        Assert.True(run.ClientExited, "the client's TS did not exit");
        Assert.All(run.SendResults, r => Assert.True(r is Errno.None or Errno.EINTR or Errno.EBADF or Errno.EFAULT or Errno.ECONNRESET or Errno.EPIPE, $"send ended with {r}"));
        Assert.Contains(run.SendResults, r => r != Errno.None);
        Assert.True(run.ServerEnd is Errno.None or Errno.ECONNRESET, $"the server's stream ended with {run.ServerEnd}");
        AssertPrefixOfStream(run.Received);
        Assert.True(run.Received.Length < SendSize * Sends, "every byte arrived although the sender exited mid-stream");
        Assert.Equal(0, run.FramesAfterLift);
        Assert.Empty(run.Failures);
        Assert.True(run.LeakA.IsClean, "host A: " + run.LeakA);
        Assert.True(run.LeakB.IsClean, "host B: " + run.LeakB);
    }

    [Fact]
    public async Task SocketClose_MidSend_SendEndsBadFileAndPeerSeesTheEnd()
    {
        var run = await RunAsync(FaultKind.SocketClose, FaultPoint.SocketQueue);

        Assert.True(run.Fired);
        Assert.All(run.SendResults, r => Assert.True(r is Errno.None or Errno.EBADF or Errno.EPIPE or Errno.ECONNRESET, $"send ended with {r}"));
        Assert.Contains(Errno.EBADF, run.SendResults);
        Assert.True(run.ServerEnd is Errno.None or Errno.ECONNRESET, $"the server's stream ended with {run.ServerEnd}");
        AssertPrefixOfStream(run.Received);
        Assert.Empty(run.Failures);
        Assert.True(run.LeakA.IsClean, "host A: " + run.LeakA);
        Assert.True(run.LeakB.IsClean, "host B: " + run.LeakB);
    }

    [Theory]
    [InlineData(FaultKind.DmaFail, FaultPoint.Dma)]
    [InlineData(FaultKind.DriverCrash, FaultPoint.Completion)]
    [InlineData(FaultKind.RingFull, FaultPoint.DescriptorsPosted)]
    [InlineData(FaultKind.QdiscFull, FaultPoint.Qdisc)]
    public async Task DeviceFault_MidStream_RetransmissionDeliversEveryByte(FaultKind kind, FaultPoint point)
    {
        var run = await RunAsync(kind, point);

        Assert.True(run.Fired, $"{kind}@{point} never fired");
        Assert.All(run.SendResults, r => Assert.Equal(Errno.None, r));
        Assert.Equal(Errno.None, run.ServerEnd);
        Assert.Equal(SendSize * Sends, run.Received.Length);
        AssertPrefixOfStream(run.Received);
        if (kind != FaultKind.DriverCrash)
        {
            // A driver crash completes every in-flight frame from the NIC's write-back: nothing to repair.
            Assert.True(run.Retransmits > 0, "the lost segment was not retransmitted");
        }
        Assert.All(run.Failures, f => Assert.IsType<InjectedFaultException>(f.Exception));
        Assert.Equal(kind == FaultKind.DriverCrash ? 1 : 0, run.Failures.Count);
        Assert.True(run.LeakA.IsClean, "host A: " + run.LeakA);
        Assert.True(run.LeakB.IsClean, "host B: " + run.LeakB);
    }

    private static void AssertPrefixOfStream(byte[] received)
    {
        for (int i = 0; i < received.Length; i++)
        {
            if (received[i] != StreamByte(i))
            {
                Assert.Fail($"byte {i} of the stream is 0x{received[i]:x2}, expected 0x{StreamByte(i):x2}");
            }
        }
    }

    private static byte StreamByte(long index) => s_marker[index % s_marker.Length];

    private static async Task<Run> RunAsync(FaultKind kind, FaultPoint point)
    {
        var (wireA, wireB) = LoopbackWire.CreatePair();
        var watch = new FrameWatchWire(wireA) { WatchedPattern = s_marker };
        await using var hosts = await TwoHosts.StartAsync(watch, wireB);
        var failuresA = ActorFailedCollector.Start(hosts.A.System);
        var failuresB = ActorFailedCollector.Start(hosts.B.System);

        var server = hosts.B.StartProcess("server");
        int listener = await TcpSockets.ListenAsync(server, ServerPort);
        var client = hosts.A.StartProcess("client");
        int fd = await TcpSockets.SocketAsync(client);
        var accepting = server.AcceptAsync(listener).AsTask();
        var connected = await client.ConnectAsync(fd, new Ipv4Endpoint(TwoHosts.AddressB, ServerPort)).AsTask().WaitAsync(s_wait);
        Assert.True(connected.IsOk, $"connect: {connected.Error}");
        var accepted = await accepting.WaitAsync(s_wait);
        Assert.True(accepted.IsOk, $"accept: {accepted.Error}");
        var reader = Task.Run(() => ReadToEndAsync(server, (int)accepted.Value));

        var buffer = client.Alloc(SendSize);
        var tile = new byte[SendSize];
        for (int i = 0; i < SendSize; i++)
        {
            tile[i] = StreamByte(i);
        }

        Assert.Equal(Errno.None, client.WriteBuffer(buffer, 0, tile));

        // The lift of the client's TS is journalled synchronously: from then on none of its bytes may leave.
        using var journal = hosts.A.Memory.Observe(record =>
        {
            if (record.Op == MemoryOp.Lift && record.Caller == client.Ts)
            {
                watch.Mark();
            }
        });
        var armed = hosts.A.System.Faults.Arm(new FaultSpec(kind, point)
        {
            Origin = point is FaultPoint.Dma or FaultPoint.AfterTransmit ? null : client.Ts,
            Target = kind == FaultKind.TsExit ? client.Ts : null,
            AfterHits = 2,
            Action = kind == FaultKind.SocketClose ? async () => await client.CloseAsync(fd) : null,
        });

        var results = new List<Errno>();
        for (int i = 0; i < Sends; i++)
        {
            var sent = await client.SendAsync(fd, buffer.Gva, SendSize).AsTask().WaitAsync(s_wait);
            results.Add(sent.IsOk ? Errno.None : sent.Error);
            if (!sent.IsOk)
            {
                break;
            }
        }

        bool fired = false;
        try
        {
            var firing = await armed.FirstFiring.WaitAsync(TimeSpan.FromSeconds(5));
            await firing.Completion.WaitAsync(s_wait);
            fired = true;
        }
        catch (TimeoutException)
        {
            // Reported by the caller's assertion on Fired.
        }

        armed.Dispose();
        if (!client.HasExited)
        {
            await client.CloseAsync(fd).AsTask().WaitAsync(s_wait);
        }

        var (received, end) = await reader.WaitAsync(s_wait);
        var counters = await hosts.A.Inet.Tcp!.Ask<TcpCounters>(TcpProtocol.GetTcpCounters.Instance, s_wait);
        await hosts.A.StopAsync().WaitAsync(s_wait);
        await hosts.B.StopAsync().WaitAsync(s_wait);
        return new Run(
            fired,
            client.HasExited,
            results,
            received,
            end,
            watch.WatchedAfterMark,
            counters.Retransmits,
            [.. failuresA, .. failuresB],
            hosts.A.Memory.GetLeakReport(),
            hosts.B.Memory.GetLeakReport());
    }

    /// <summary>Reads (zero copy) until end of stream or an error; returns the bytes and how it ended (None: EOF).</summary>
    private static async Task<(byte[] Bytes, Errno End)> ReadToEndAsync(Libc libc, int fd)
    {
        var bytes = new MemoryStream();
        while (true)
        {
            var piece = await libc.RecvZeroCopyAsync(fd);
            if (!piece.IsOk)
            {
                await libc.CloseAsync(fd);
                return (bytes.ToArray(), piece.Error);
            }

            if (piece.Length == 0)
            {
                await libc.CloseAsync(fd);
                return (bytes.ToArray(), Errno.None);
            }

            var chunk = new byte[piece.Length];
            Assert.Equal(Errno.None, libc.ReadBuffer(piece.Buffer!, 0, chunk));
            Assert.Equal(Errno.None, libc.Free(piece.Buffer!));
            bytes.Write(chunk);
        }
    }

    private sealed record Run(
        bool Fired,
        bool ClientExited,
        List<Errno> SendResults,
        byte[] Received,
        Errno ServerEnd,
        long FramesAfterLift,
        long Retransmits,
        List<ActorFailed> Failures,
        LeakReport LeakA,
        LeakReport LeakB);
}
