using Edsos.Driver.Wires;
using Edsos.Kpn;
using Edsos.Protocol;
using Edsos.Scenarios.Tests.Wires;
using Akka.TestKit;
using Edsos.Testing;
using Edsos.SocketService;

namespace Edsos.Scenarios.Tests.Tcp;

/// <summary>
/// A TCP echo between two real hosts in the settings <see cref="TcpSpec"/> does not cover: the Linux copy data
/// path, and a wire that duplicates and reorders frames (but loses none).
/// </summary>
public sealed class TcpEchoSpec : EdsrtTestKit
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(8);

    [Fact]
    public async Task Echo_CopyMode_EveryByteBackEachCopiedOnceAtSendAndOnceAtRecvNothingLeaked()
    {
        // Arrange
        await using var hosts = await TwoHosts.StartAsync(DataPathMode.Copy);
        var pair = await TcpPair.OpenAsync(hosts, 7, s_wait);
        const int size = 100_000;
        var pattern = TcpSockets.Pattern(size, 3);
        var buffer = pair.Client.Alloc(size);
        Assert.Equal(Errno.None, pair.Client.WriteBuffer(buffer, 0, pattern));

        // Act: classic send and recv both ends, the server echoing through a 16 KiB buffer of its own.
        var echo = Task.Run(() => EchoCopyAsync(pair.Server, pair.ServerFd, size));
        var reader = Task.Run(() => ReadCopyAsync(pair.Client, pair.ClientFd, size));
        var sent = await pair.Client.SendAsync(pair.ClientFd, buffer.Gva, size).AsTask().WaitAsync(s_wait);
        await echo.WaitAsync(s_wait);
        var back = await reader.WaitAsync(s_wait);

        // Assert
        Assert.True(sent.IsOk, $"send: {sent.Error}");
        Assert.Equal(size, sent.Value);
        Assert.Equal(pattern, back);

        // Seeds 001/003: the payload is copied into the kernel at send() and out of it at recv(), and at no
        // other point (segmentation and retransmission take references): twice per byte on each host.
        Assert.Equal(2L * size, hosts.A.Memory.Counters.PayloadBytesCopied);
        Assert.Equal(2L * size, hosts.B.Memory.Counters.PayloadBytesCopied);

        await pair.CloseAsync(s_wait, DataPathMode.Copy);
        Assert.Equal(Errno.None, pair.Client.Free(buffer));
        await TcpSockets.StopAndAssertNoLeaksAsync(hosts, s_wait);
    }

    [Fact]
    public async Task Close_CopyModeBytesStillUnacknowledged_RetransmittedFromTheClosedSocketsPagesThenFin()
    {
        // Arrange: copy mode, so B's TCP holds pages B's socket copied the bytes into; the first transmission of
        // B's data is lost, so B must resend it after its app has already closed the socket.
        var link = new ScriptedLink();
        await using var hosts = await TwoHosts.StartAsync(link.EndA, link.EndB, o => o with { Mode = DataPathMode.Copy });
        var pair = await TcpPair.OpenAsync(hosts, 7, s_wait);
        const int size = 3000;
        var pattern = TcpSockets.Pattern(size, 29);
        var buffer = pair.Server.Alloc(size);
        Assert.Equal(Errno.None, pair.Server.WriteBuffer(buffer, 0, pattern));
        var drop = link.Drop("B's first data", LinkDirection.BtoA, s => s.HasData);

        // Act: B sends and closes at once; the socket is gone for B's app, its bytes not yet delivered.
        var sent = await pair.Server.SendAsync(pair.ServerFd, buffer.Gva, size).AsTask().WaitAsync(s_wait);
        Assert.True(sent.IsOk, $"send: {sent.Error}");
        Assert.True((await pair.Server.CloseAsync(pair.ServerFd).AsTask().WaitAsync(s_wait)).IsOk);
        var received = await ReadCopyAsync(pair.Client, pair.ClientFd, size).WaitAsync(s_wait);
        var spare = pair.Client.Alloc(64);
        var end = await pair.Client.RecvFromAsync(pair.ClientFd, spare.Gva, 64).AsTask().WaitAsync(s_wait);

        // Assert: the retransmission came from the orphaned socket's pages (not lifted with its TS), then the FIN.
        Assert.Equal(1, link.Applied(drop));
        Assert.Equal(pattern, received);
        Assert.True(end.IsOk, $"end of stream: {end.Error}");
        Assert.Equal(0, end.Value);
        Assert.Equal(Errno.None, pair.Client.Free(spare));
        var tcpB = await TcpSockets.CountersAsync(hosts.B);
        Assert.Equal(0, tcpB.RevokedAborts);
        Assert.Equal(0, tcpB.ResetsSent);
        Assert.True(tcpB.Retransmits >= 1, $"retransmits {tcpB.Retransmits}");
        Assert.True((await pair.Client.CloseAsync(pair.ClientFd).AsTask().WaitAsync(s_wait)).IsOk);
        Assert.True((await pair.Server.CloseAsync(pair.ListenerFd).AsTask().WaitAsync(s_wait)).IsOk);
        Assert.Equal(Errno.None, pair.Server.Free(buffer));
        await TcpSockets.StopAndAssertNoLeaksAsync(hosts, s_wait);
    }

    [Fact]
    public async Task Echo_WireDuplicatesAndReorders_EveryByteBackOnceNothingLeaked()
    {
        // Arrange: both directions duplicate and reorder one frame in ten (seeded), drop none.
        var (wireA, wireB) = LoopbackWire.CreatePair();
        using var lossyA = new LossyWire(wireA, new LossyWireOptions { Seed = 7, Duplicate = 0.1, Reorder = 0.1 });
        using var lossyB = new LossyWire(wireB, new LossyWireOptions { Seed = 8, Duplicate = 0.1, Reorder = 0.1 });
        await using var hosts = await TwoHosts.StartAsync(lossyA, lossyB);
        var pair = await TcpPair.OpenAsync(hosts, 7, s_wait);
        const int size = 200_000;
        var pattern = TcpSockets.Pattern(size, 17);
        var buffer = pair.Client.Alloc(size);
        Assert.Equal(Errno.None, pair.Client.WriteBuffer(buffer, 0, pattern));

        // Act
        var echo = Task.Run(() => TcpSockets.EchoExactlyAsync(pair.Server, pair.ServerFd, size));
        var reader = Task.Run(() => TcpSockets.ReadExactlyAsync(pair.Client, pair.ClientFd, size));
        var sent = await pair.Client.SendAsync(pair.ClientFd, buffer.Gva, size).AsTask().WaitAsync(s_wait);
        await echo.WaitAsync(s_wait);
        var back = await reader.WaitAsync(s_wait);

        // Assert: the wire did duplicate and reorder, yet each byte reached each app once and in order.
        Assert.True(sent.IsOk, $"send: {sent.Error}");
        Assert.Equal(pattern, back);
        Assert.True(lossyA.FramesDuplicated + lossyB.FramesDuplicated > 0, "nothing duplicated");
        Assert.True(lossyA.FramesReordered + lossyB.FramesReordered > 0, "nothing reordered");
        Assert.Equal(0, lossyA.FramesDropped + lossyB.FramesDropped);
        Assert.Equal(size, (await TcpSockets.CountersAsync(hosts.B)).BytesDelivered);
        Assert.Equal(size, (await TcpSockets.CountersAsync(hosts.A)).BytesDelivered);

        await pair.CloseAsync(s_wait);
        Assert.Equal(Errno.None, pair.Client.Free(buffer));
        Assert.Equal(0, hosts.A.Memory.Counters.PayloadBytesCopied);
        Assert.Equal(0, hosts.B.Memory.Counters.PayloadBytesCopied);
        await TcpSockets.StopAndAssertNoLeaksAsync(hosts, s_wait);
    }

    private static async Task EchoCopyAsync(Libc libc, int fd, int size)
    {
        var buffer = libc.Alloc(16 * 1024);
        int echoed = 0;
        while (echoed < size)
        {
            var received = await libc.RecvFromAsync(fd, buffer.Gva, Math.Min(buffer.Length, size - echoed));
            Assert.True(received.IsOk, $"echo recv: {received.Error}");
            Assert.True(received.Value > 0, "end of stream before every byte came");
            var sent = await libc.SendAsync(fd, buffer.Gva, (int)received.Value);
            Assert.True(sent.IsOk, $"echo send: {sent.Error}");
            echoed += (int)received.Value;
        }

        Assert.Equal(Errno.None, libc.Free(buffer));
    }

    private static async Task<byte[]> ReadCopyAsync(Libc libc, int fd, int size)
    {
        var buffer = libc.Alloc(16 * 1024);
        var result = new byte[size];
        int got = 0;
        while (got < size)
        {
            var received = await libc.RecvFromAsync(fd, buffer.Gva, Math.Min(buffer.Length, size - got));
            Assert.True(received.IsOk, $"recv: {received.Error}");
            Assert.True(received.Value > 0, "end of stream before every byte came");
            Assert.Equal(Errno.None, libc.ReadBuffer(buffer, 0, result.AsSpan(got, (int)received.Value)));
            got += (int)received.Value;
        }

        Assert.Equal(Errno.None, libc.Free(buffer));
        return result;
    }
}
