using Edsos.Kpn;
using Edsos.Memory;
using Edsos.Protocol;
using Edsos.Protocol.Tcp;
using Edsos.Protocol.Wire;
using Akka.TestKit;
using Edsos.Testing;
using Edsos.SocketService;

namespace Edsos.Scenarios.Tests;

/// <summary>TCP between two real hosts: handshake, data both ways, close, and the memory left afterwards.</summary>
public sealed class TcpSpec : EdsrtTestKit
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task ConnectSendClose_EchoOverLoopback_EveryByteBackNothingLeaked()
    {
        // Arrange
        await using var hosts = await TwoHosts.StartAsync();
        var server = hosts.B.StartProcess("server");
        int listener = await TcpSockets.ListenAsync(server, 7);
        var client = hosts.A.StartProcess("client");
        int fd = await TcpSockets.SocketAsync(client);

        // Act: connect and accept.
        var acceptTask = server.AcceptAsync(listener).AsTask();
        var connected = await client.ConnectAsync(fd, new Ipv4Endpoint(TwoHosts.AddressB, 7)).AsTask().WaitAsync(s_wait);
        var accepted = await acceptTask.WaitAsync(s_wait);

        // Assert
        Assert.True(connected.IsOk, $"connect: {connected.Error}");
        Assert.True(accepted.IsOk, $"accept: {accepted.Error}");
        int conn = (int)accepted.Value;

        const int size = 200_000;
        var data = client.Alloc(size);
        var pattern = TcpSockets.Pattern(size, 7);
        Assert.Equal(Errno.None, client.WriteBuffer(data, 0, pattern));
        var echo = Task.Run(() => TcpSockets.EchoAllAsync(server, conn));

        // send() returns once every byte was transmitted (seed 000), so the echo must be read meanwhile.
        var reader = Task.Run(() => TcpSockets.ReadExactlyAsync(client, fd, size));
        var sent = await client.SendAsync(fd, data.Gva, size).AsTask().WaitAsync(s_wait);
        Assert.True(sent.IsOk, $"send: {sent.Error}");
        Assert.Equal(size, sent.Value);
        var back = await reader.WaitAsync(s_wait);
        Assert.Equal(pattern, back);

        Assert.True((await client.ShutdownAsync(fd, 1)).IsOk);
        Assert.Equal(size, await echo.WaitAsync(s_wait));
        var eof = await client.RecvZeroCopyAsync(fd).AsTask().WaitAsync(s_wait);
        Assert.True(eof.IsOk);
        Assert.Equal(0, eof.Length);
        Assert.True((await client.CloseAsync(fd)).IsOk);
        Assert.Equal(Errno.None, client.Free(data));

        await hosts.A.StopAsync().WaitAsync(s_wait);
        await hosts.B.StopAsync().WaitAsync(s_wait);
        TcpSockets.AssertNoLeaks(hosts.A.Memory);
        TcpSockets.AssertNoLeaks(hosts.B.Memory);
        Assert.Equal(0, hosts.A.Memory.Counters.PayloadBytesCopied);
    }
}

/// <summary>TCP failure paths on two real hosts.</summary>
public sealed class TcpRefusalSpec
{
    [Fact]
    public async Task Connect_PortWithoutListener_PeerResetsAndConnectFailsEconnrefused()
    {
        await using var hosts = await TwoHosts.StartAsync();
        var client = hosts.A.StartProcess("client");
        int fd = await TcpSockets.SocketAsync(client);

        var connected = await client.ConnectAsync(fd, new Ipv4Endpoint(TwoHosts.AddressB, 4444)).AsTask().WaitAsync(TimeSpan.FromSeconds(20));

        Assert.False(connected.IsOk);
        Assert.Equal(Errno.ECONNREFUSED, connected.Error);
        Assert.True((await client.CloseAsync(fd)).IsOk);
        await hosts.A.StopAsync();
        await hosts.B.StopAsync();
        TcpSockets.AssertNoLeaks(hosts.A.Memory);
        TcpSockets.AssertNoLeaks(hosts.B.Memory);
    }
}
