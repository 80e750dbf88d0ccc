using Edsos.Host;
using Edsos.Kpn;
using Edsos.Memory;
using Edsos.Protocol;
using Edsos.Protocol.Tcp;
using Edsos.Protocol.Wire;
using Akka.Actor;
using Edsos.Scheduler;

namespace Edsos.Scenarios.Tests;

/// <summary>Stream-socket helpers for the TCP scenarios.</summary>
internal static class TcpSockets
{
    public static async Task<int> SocketAsync(Libc libc)
    {
        var socket = await libc.SocketAsync(2, SocketKind.Stream, 0);
        Assert.True(socket.IsOk, $"socket: {socket.Error}");
        return (int)socket.Value;
    }

    public static async Task<int> ListenAsync(Libc libc, ushort port)
    {
        int fd = await SocketAsync(libc);
        var bound = await libc.BindAsync(fd, new Ipv4Endpoint(Ipv4Address.Any, port));
        Assert.True(bound.IsOk, $"bind: {bound.Error}");
        var listening = await libc.ListenAsync(fd, 8);
        Assert.True(listening.IsOk, $"listen: {listening.Error}");
        return fd;
    }

    public static byte[] Pattern(int size, int seed)
    {
        var bytes = new byte[size];
        for (int i = 0; i < size; i++)
        {
            bytes[i] = (byte)((i * 31) + seed + (i >> 8));
        }

        return bytes;
    }

    /// <summary>
    /// Queues <paramref name="count"/> sends of <paramref name="write"/> bytes each on <paramref name="ring"/>, send i from
    /// a buffer of its own holding bytes [i·write, (i+1)·write) of <paramref name="pattern"/>, user data i; not submitted.
    /// </summary>
    public static UserBuffer[] PrepareSends(Libc libc, IoRing ring, int fd, byte[] pattern, int write, int count)
    {
        var buffers = new UserBuffer[count];
        for (int i = 0; i < count; i++)
        {
            buffers[i] = libc.Alloc(write);
            Assert.Equal(Errno.None, libc.WriteBuffer(buffers[i], 0, pattern.AsSpan(i * write, write)));
            Assert.True(ring.PrepareSend(fd, buffers[i].Gva, write, null, (ulong)i));
        }

        return buffers;
    }

    /// <summary>Reaps <paramref name="count"/> completions from <paramref name="ring"/>, waiting on it when none is there.</summary>
    public static async Task<List<IoCompletion>> ReapAsync(IoRing ring, int count, TimeSpan wait)
    {
        var reaped = new List<IoCompletion>();
        while (reaped.Count < count)
        {
            if (ring.TryReap(out var completion))
            {
                reaped.Add(completion);
                continue;
            }

            Assert.Equal(Errno.None, await ring.WaitAsync().AsTask().WaitAsync(wait));
        }

        return reaped;
    }

    /// <summary>Reads (zero copy) until <paramref name="size"/> bytes arrived; returns them.</summary>
    public static async Task<byte[]> ReadExactlyAsync(Libc libc, int fd, int size)
    {
        var result = new byte[size];
        int got = 0;
        while (got < size)
        {
            var piece = await libc.RecvZeroCopyAsync(fd);
            Assert.True(piece.IsOk, $"recv: {piece.Error}");
            Assert.True(piece.Length > 0, "end of stream before every byte came");
            Assert.Equal(Errno.None, libc.ReadBuffer(piece.Buffer!, 0, result.AsSpan(got, piece.Length)));
            Assert.Equal(Errno.None, libc.Free(piece.Buffer!));
            got += piece.Length;
        }

        return result;
    }

    /// <summary>Echoes every received buffer back (zero copy) until end of stream, then closes; returns the bytes echoed.</summary>
    public static async Task<long> EchoAllAsync(Libc libc, int fd)
    {
        long total = 0;
        while (true)
        {
            var piece = await libc.RecvZeroCopyAsync(fd);
            if (!piece.IsOk || piece.Length == 0)
            {
                break;
            }

            var sent = await libc.SendAsync(fd, piece.Buffer!.Gva, piece.Length);
            libc.Free(piece.Buffer!);
            if (!sent.IsOk)
            {
                break;
            }

            total += sent.Value;
        }

        await libc.CloseAsync(fd);
        return total;
    }

    /// <summary>Echoes (zero copy: each granted buffer is sent back as is) until <paramref name="size"/> bytes went back.</summary>
    public static async Task EchoExactlyAsync(Libc libc, int fd, int size)
    {
        int echoed = 0;
        while (echoed < size)
        {
            var piece = await libc.RecvZeroCopyAsync(fd);
            Assert.True(piece.IsOk, $"echo recv: {piece.Error}");
            Assert.True(piece.Length > 0, "end of stream before every byte came");
            var sent = await libc.SendAsync(fd, piece.Buffer!.Gva, piece.Length);
            Assert.Equal(Errno.None, libc.Free(piece.Buffer!));
            Assert.True(sent.IsOk, $"echo send: {sent.Error}");
            echoed += piece.Length;
        }
    }

    /// <summary>Stops both hosts (processes exit, NICs and stacks release what they hold) and asserts neither leaked.</summary>
    public static async Task StopAndAssertNoLeaksAsync(TwoHosts hosts, TimeSpan wait)
    {
        await hosts.A.StopAsync().WaitAsync(wait);
        await hosts.B.StopAsync().WaitAsync(wait);
        AssertNoLeaks(hosts.A.Memory);
        AssertNoLeaks(hosts.B.Memory);
    }

    /// <summary>A snapshot of <paramref name="host"/>'s TCP counters (asked of its TCP worker).</summary>
    public static Task<TcpCounters> CountersAsync(EdsosHost host) =>
        host.Inet.Tcp!.Ask<TcpCounters>(TcpProtocol.GetTcpCounters.Instance, TimeSpan.FromSeconds(5));

    /// <summary>A snapshot of every connection of <paramref name="host"/>'s TCP worker.</summary>
    public static async Task<IReadOnlyList<TcpConnectionInfo>> ConnectionsAsync(EdsosHost host) =>
        (await host.Inet.Tcp!.Ask<TcpProtocol.TcpConnections>(TcpProtocol.GetTcpConnections.Instance, TimeSpan.FromSeconds(5))).Connections;

    public static void AssertNoLeaks(MemoryManager memory)
    {
        var report = memory.GetLeakReport();
        Assert.True(report.IsClean, report.ToString());
    }
}
