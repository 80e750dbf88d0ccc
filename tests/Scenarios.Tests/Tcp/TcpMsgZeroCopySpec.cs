using Edsos.Kpn;
using Edsos.Protocol;
using Edsos.Testing;

namespace Edsos.Scenarios.Tests.Tcp;

/// <summary>
/// MSG_ZEROCOPY on two real hosts: a zero-copy send that returns once the socket has its pages, before they are
/// transmitted, and an app that rewrites its buffer at once without changing what the peer receives.
/// </summary>
public sealed class TcpMsgZeroCopySpec : EdsrtTestKit
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Send_MsgZeroCopyToAReceiverNotReading_ReturnsAtOnceAndARewriteIsCopyOnWrite()
    {
        // Arrange: B's app reads nothing, so its 64 KiB window closes long before A's 150,000 bytes are through.
        await using var hosts = await TwoHosts.StartAsync();
        var pair = await TcpPair.OpenAsync(hosts, 7, s_wait);
        const int size = 150_000;
        var pattern = TcpSockets.Pattern(size, 23);
        var buffer = pair.Client.Alloc(size);
        Assert.Equal(Errno.None, pair.Client.WriteBuffer(buffer, 0, pattern));

        // Act: the send returns though most of its bytes cannot leave yet (a send without the flag waits for them).
        var sent = await pair.Client.SendAsync(pair.ClientFd, buffer.Gva, size, MsgFlags.ZeroCopy).AsTask().WaitAsync(s_wait);
        long delivered = (await TcpSockets.CountersAsync(hosts.B)).BytesDelivered;

        // The app reuses its buffer at once: the pages TCP still holds are copied first, for the app alone.
        long cowBefore = hosts.A.Memory.Counters.CowBytesCopied;
        var rewrite = TcpSockets.Pattern(size, 24);
        Assert.Equal(Errno.None, pair.Client.WriteBuffer(buffer, 0, rewrite));
        long cowCopied = hosts.A.Memory.Counters.CowBytesCopied - cowBefore;
        var received = await TcpSockets.ReadExactlyAsync(pair.Server, pair.ServerFd, size).WaitAsync(s_wait);

        // Assert
        Assert.True(sent.IsOk, $"send: {sent.Error}");
        Assert.Equal(size, sent.Value);
        Assert.True(delivered < size, $"B had all {delivered} bytes before its app read: the send was not early");
        Assert.True(cowCopied >= size - delivered - 4096, $"{cowCopied} bytes copied on write, {size - delivered} were unsent");
        Assert.Equal(pattern, received);
        var back = new byte[size];
        Assert.Equal(Errno.None, pair.Client.ReadBuffer(buffer, 0, back));
        Assert.Equal(rewrite, back);

        await pair.CloseAsync(s_wait);
        Assert.Equal(Errno.None, pair.Client.Free(buffer));
        Assert.Equal(0, hosts.A.Memory.Counters.PayloadBytesCopied);
        await TcpSockets.StopAndAssertNoLeaksAsync(hosts, s_wait);
    }

    [Fact]
    public async Task Send_MsgZeroCopyManyWrites_EveryByteArrivesInOrderAndNothingLeaks()
    {
        await using var hosts = await TwoHosts.StartAsync();
        var pair = await TcpPair.OpenAsync(hosts, 7, s_wait);
        const int writes = 40;
        const int size = 9000;
        var reader = Task.Run(() => TcpSockets.ReadExactlyAsync(pair.Server, pair.ServerFd, writes * size));
        var expected = new byte[writes * size];

        // A fresh buffer per write, freed as soon as the call returns: TCP keeps its own reference until acknowledged.
        for (int i = 0; i < writes; i++)
        {
            var pattern = TcpSockets.Pattern(size, 100 + i);
            pattern.CopyTo(expected, i * size);
            var buffer = pair.Client.Alloc(size);
            Assert.Equal(Errno.None, pair.Client.WriteBuffer(buffer, 0, pattern));
            var sent = await pair.Client.SendAsync(pair.ClientFd, buffer.Gva, size, MsgFlags.ZeroCopy).AsTask().WaitAsync(s_wait);
            Assert.True(sent.IsOk, $"send #{i}: {sent.Error}");
            Assert.Equal(Errno.None, pair.Client.Free(buffer));
        }

        Assert.Equal(expected, await reader.WaitAsync(s_wait));
        await pair.CloseAsync(s_wait);
        Assert.Equal(0, hosts.A.Memory.Counters.PayloadBytesCopied);
        Assert.Equal(0, hosts.A.Memory.Counters.CowBytesCopied);
        await TcpSockets.StopAndAssertNoLeaksAsync(hosts, s_wait);
    }
}
