using Edsos.Kpn;
using Edsos.Protocol;
using Edsos.Protocol.Wire;
using Edsos.SocketService;
using Edsos.Testing;

namespace Edsos.Scenarios.Tests;

/// <summary>
/// The rings across two real hosts: many sends per submission, through the whole stack, received on a ring at the
/// other end; every byte checked, nothing leaked.
/// </summary>
public sealed class IoRingScenarioSpec : EdsrtTestKit
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(DataPathMode.ZeroCopy)]
    [InlineData(DataPathMode.Copy)]
    public async Task UdpBatch_EveryDatagramArrivesWithItsBytes(DataPathMode mode)
    {
        await using var hosts = await TwoHosts.StartAsync(mode);
        var receiver = hosts.B.StartProcess("receiver");
        int inFd = await TwoHosts.UdpSocketAsync(receiver, 9);
        var sender = hosts.A.StartProcess("sender");
        int outFd = await TwoHosts.UdpSocketAsync(sender);
        const int count = 24;

        // One classic datagram first, so that the batch does not meet an unresolved ARP entry (its queue is short).
        var first = sender.Alloc(10);
        Assert.True((await sender.SendToAsync(outFd, first.Gva, 10, new Ipv4Endpoint(TwoHosts.AddressB, 9)).AsTask().WaitAsync(s_wait)).IsOk);
        var firstIn = receiver.Alloc(10);
        Assert.Equal(10, (await receiver.RecvFromAsync(inFd, firstIn.Gva, 10).AsTask().WaitAsync(s_wait)).Value);
        Assert.Equal(Errno.None, sender.Free(first));
        Assert.Equal(Errno.None, receiver.Free(firstIn));
        Assert.Equal(Errno.None, receiver.TryCreateRing(32, out var inRing));
        Assert.Equal(Errno.None, sender.TryCreateRing(32, out var outRing));

        // Receives posted first (zero copy, or classic into one buffer each in copy mode, where zero copy is EOPNOTSUPP).
        var copyBuffers = new UserBuffer[count];
        for (int i = 0; i < count; i++)
        {
            if (mode == DataPathMode.ZeroCopy)
            {
                Assert.True(inRing!.PrepareRecvZeroCopy(inFd, (ulong)i));
            }
            else
            {
                copyBuffers[i] = receiver.Alloc(2000);
                Assert.True(inRing!.PrepareRecv(inFd, copyBuffers[i].Gva, 2000, (ulong)i));
            }
        }

        Assert.Equal(SysResult.Ok(count), inRing!.Submit());

        var buffers = new UserBuffer[count];
        for (int i = 0; i < count; i++)
        {
            buffers[i] = sender.Alloc(1000 + i);
            Assert.Equal(Errno.None, sender.WriteBuffer(buffers[i], 0, TcpSockets.Pattern(1000 + i, i)));
            Assert.True(outRing!.PrepareSend(outFd, buffers[i].Gva, 1000 + i, new Ipv4Endpoint(TwoHosts.AddressB, 9), (ulong)i));
        }

        Assert.Equal(SysResult.Ok(count), outRing!.Submit());

        var sent = await TcpSockets.ReapAsync(outRing, count, s_wait);
        Assert.All(sent, c => Assert.True(c.Result == 1000 + (int)c.UserData, $"{c.UserData}: {c.Result} {c.Error}"));
        var received = await TcpSockets.ReapAsync(inRing, count, s_wait);

        // Each datagram is whole: its length names its sender's pattern.
        var lengths = new HashSet<long>();
        foreach (var completion in received)
        {
            Assert.True(completion.IsOk, completion.Error.ToString());
            int length = (int)completion.Result;
            var bytes = new byte[length];
            var buffer = completion.Buffer ?? copyBuffers[completion.UserData];
            Assert.Equal(Errno.None, receiver.ReadBuffer(buffer, 0, bytes));
            Assert.Equal(TcpSockets.Pattern(length, length - 1000), bytes);
            Assert.Equal(TwoHosts.AddressA, completion.From.Address);
            Assert.True(lengths.Add(length));
            if (completion.Buffer is not null)
            {
                Assert.Equal(Errno.None, receiver.Free(completion.Buffer));
            }
        }

        Assert.Equal(count, lengths.Count);
        inRing.Dispose();
        outRing.Dispose();
        await TcpSockets.StopAndAssertNoLeaksAsync(hosts, s_wait);
    }

    [Fact]
    public async Task TcpBatch_WritesInFlightTogether_TheStreamArrivesInOrder()
    {
        await using var hosts = await TwoHosts.StartAsync();
        var server = hosts.B.StartProcess("server");
        int listener = await TcpSockets.ListenAsync(server, 7);
        var client = hosts.A.StartProcess("client");
        int fd = await TcpSockets.SocketAsync(client);
        var accept = server.AcceptAsync(listener).AsTask();
        Assert.True((await client.ConnectAsync(fd, new Ipv4Endpoint(TwoHosts.AddressB, 7)).AsTask().WaitAsync(s_wait)).IsOk);
        var accepted = await accept.WaitAsync(s_wait);
        Assert.True(accepted.IsOk);

        const int chunk = 20_000;
        const int chunks = 8;
        var pattern = TcpSockets.Pattern(chunk * chunks, 3);
        var reader = Task.Run(() => TcpSockets.ReadExactlyAsync(server, (int)accepted.Value, chunk * chunks));
        Assert.Equal(Errno.None, client.TryCreateRing(8, out var ring));
        var buffers = TcpSockets.PrepareSends(client, ring!, fd, pattern, chunk, chunks);

        Assert.Equal(SysResult.Ok(chunks), ring!.Submit());

        var sent = await TcpSockets.ReapAsync(ring, chunks, s_wait);
        Assert.All(sent, c => Assert.Equal(chunk, c.Result));
        Assert.Equal(pattern, await reader.WaitAsync(s_wait));
        ring.Dispose();
        Assert.True((await client.CloseAsync(fd)).IsOk);
        Assert.True((await server.CloseAsync((int)accepted.Value)).IsOk);
        await TcpSockets.StopAndAssertNoLeaksAsync(hosts, s_wait);
    }
}
