using System.Diagnostics;
using Edsos.Driver.Wires;
using Edsos.Host;
using Edsos.Kpn;
using Edsos.Protocol;
using Edsos.Protocol.Inet;
using Edsos.Protocol.Tcp;
using Akka.Actor;
using Edsos.Scheduler;

namespace Edsos.Scenarios.Tests;

/// <summary>
/// TIME_WAIT through real sockets on two hosts: the side that closes first keeps its port bound for 2·MSL (bind
/// and a fresh connect from it are refused), gets it back afterwards, and the family's port table ends where it
/// began, ephemeral ports included.
/// </summary>
public sealed class TcpTimeWaitSpec
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(20);
    private static readonly Ipv4Endpoint s_server = new(TwoHosts.AddressB, 7);

    [Fact]
    public async Task ActiveClose_ExplicitPort_HeldThroughTimeWaitThenReusableAndNoBindingLeft()
    {
        // 2·MSL of 3 s: under load, the default 500 ms could pass between seeing TIME_WAIT and the refused bind.
        var (wireA, wireB) = LoopbackWire.CreatePair();
        await using var hosts = await TwoHosts.StartAsync(wireA, wireB, o => o with { Tcp = new TcpOptions { Msl = TimeSpan.FromSeconds(1.5) } });
        var server = hosts.B.StartProcess("server");
        int listener = await TcpSockets.ListenAsync(server, 7);
        var client = hosts.A.StartProcess("client");
        int baseline = await BindingsAsync(hosts.A);

        // A connection from port 40000, closed by the client first (the client ends in TIME_WAIT).
        int fd = await TcpSockets.SocketAsync(client);
        Assert.True((await client.BindAsync(fd, new Ipv4Endpoint(TwoHosts.AddressA, 40000))).IsOk);
        await ConnectAndAcceptAsync(client, fd, server, listener, closeClientFirst: true);
        var timeWait = await AwaitStateAsync(hosts.A, TcpState.TimeWait);
        Assert.Equal((ushort)40000, timeWait.Local.Port);
        Assert.True(timeWait.HoldsPort);

        // The port is still taken: a new socket cannot bind it.
        int again = await TcpSockets.SocketAsync(client);
        var refused = await client.BindAsync(again, new Ipv4Endpoint(TwoHosts.AddressA, 40000));
        Assert.False(refused.IsOk);
        Assert.Equal(Errno.EADDRINUSE, refused.Error);
        Assert.Equal(baseline + 1, await BindingsAsync(hosts.A));

        // Once 2·MSL passed, it can, and a connect from it to the same server works.
        var refusedFor = Stopwatch.StartNew();
        SysResult bound;
        do
        {
            await Task.Delay(50);
            bound = await client.BindAsync(again, new Ipv4Endpoint(TwoHosts.AddressA, 40000));
        }
        while (!bound.IsOk && refusedFor.Elapsed < s_wait);

        Assert.True(bound.IsOk, $"bind after TIME_WAIT: {bound.Error}");
        await ConnectAndAcceptAsync(client, again, server, listener, closeClientFirst: false);

        // The server closed first this time: no TIME_WAIT on the client, the port goes back at close.
        await AwaitAssertAsync(async () => Assert.Equal(baseline, await BindingsAsync(hosts.A)));
        Assert.True((await server.CloseAsync(listener)).IsOk);
        await hosts.A.StopAsync().WaitAsync(s_wait);
        await hosts.B.StopAsync().WaitAsync(s_wait);
        TcpSockets.AssertNoLeaks(hosts.A.Memory);
        TcpSockets.AssertNoLeaks(hosts.B.Memory);
    }

    [Fact]
    public async Task ActiveClose_EphemeralPorts_EveryBindingGivenBackAfterTimeWait()
    {
        // A 2 s TIME_WAIT so that all three connections are surely lingering when counted.
        var (wireA, wireB) = LoopbackWire.CreatePair();
        await using var hosts = await TwoHosts.StartAsync(wireA, wireB, o => o with { Tcp = new TcpOptions { Msl = TimeSpan.FromSeconds(1) } });
        var server = hosts.B.StartProcess("server");
        int listener = await TcpSockets.ListenAsync(server, 7);
        var client = hosts.A.StartProcess("client");
        int baseline = await BindingsAsync(hosts.A);

        // Connect (autobind on 0.0.0.0, the connection on 10.0.0.1), close first, three times.
        for (int i = 0; i < 3; i++)
        {
            int fd = await TcpSockets.SocketAsync(client);
            await ConnectAndAcceptAsync(client, fd, server, listener, closeClientFirst: true);
        }

        // (The server's FIN for the last one may still be on its way.)
        var ports = new HashSet<ushort>();
        await AwaitAssertAsync(async () =>
        {
            var lingering = await ConnectionsAsync(hosts.A);
            Assert.Equal(3, lingering.Count);
            Assert.All(lingering, connection => Assert.Equal(TcpState.TimeWait, connection.State));
            ports.UnionWith(lingering.Select(connection => connection.Local.Port));
        });

        Assert.Equal(3, ports.Count);
        Assert.Equal(baseline + 3, await BindingsAsync(hosts.A));

        // After TIME_WAIT every one of them is unbound: the family's table is back to where it was.
        await AwaitAssertAsync(async () =>
        {
            Assert.Empty(await ConnectionsAsync(hosts.A));
            Assert.Equal(baseline, await BindingsAsync(hosts.A));
        });
        Assert.True((await server.CloseAsync(listener)).IsOk);
        await hosts.A.StopAsync().WaitAsync(s_wait);
        await hosts.B.StopAsync().WaitAsync(s_wait);
        TcpSockets.AssertNoLeaks(hosts.A.Memory);
        TcpSockets.AssertNoLeaks(hosts.B.Memory);
    }

    /// <summary>Connects <paramref name="fd"/> to the server, has the server accept, exchange one byte each way, and closes both ends in the order asked.</summary>
    private static async Task ConnectAndAcceptAsync(Libc client, int fd, Libc server, int listener, bool closeClientFirst)
    {
        var accepting = server.AcceptAsync(listener).AsTask();
        var connected = await client.ConnectAsync(fd, s_server).AsTask().WaitAsync(s_wait);
        Assert.True(connected.IsOk, $"connect: {connected.Error}");
        var accepted = await accepting.WaitAsync(s_wait);
        Assert.True(accepted.IsOk, $"accept: {accepted.Error}");
        int conn = (int)accepted.Value;

        var (first, firstFd, second, secondFd) = closeClientFirst ? (client, fd, server, conn) : (server, conn, client, fd);
        Assert.True((await first.CloseAsync(firstFd)).IsOk);

        // The other end sees the end of stream, then closes too.
        var eof = await second.RecvZeroCopyAsync(secondFd).AsTask().WaitAsync(s_wait);
        Assert.True(eof.IsOk, $"recv: {eof.Error}");
        Assert.Equal(0, eof.Length);
        Assert.True((await second.CloseAsync(secondFd)).IsOk);
    }

    private static async Task<TcpConnectionInfo> AwaitStateAsync(EdsosHost host, TcpState state)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            foreach (var connection in await ConnectionsAsync(host))
            {
                if (connection.State == state)
                {
                    return connection;
                }
            }

            Assert.True(deadline.Elapsed < s_wait, $"no connection in {state}");
            await Task.Delay(10);
        }
    }

    private static async Task<IReadOnlyList<TcpConnectionInfo>> ConnectionsAsync(EdsosHost host) =>
        (await host.Inet.Tcp!.Ask<TcpProtocol.TcpConnections>(TcpProtocol.GetTcpConnections.Instance, s_wait)).Connections;

    private static async Task<int> BindingsAsync(EdsosHost host) =>
        (await host.Inet.Family.Ask<InetFamilyCounters>(InetStackProtocol.GetCounters.Instance, s_wait)).Bindings;

    private static async Task AwaitAssertAsync(Func<Task> assertion)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await assertion();
                return;
            }
            catch (Xunit.Sdk.XunitException) when (deadline.Elapsed < s_wait)
            {
                await Task.Delay(20);
            }
        }
    }
}
