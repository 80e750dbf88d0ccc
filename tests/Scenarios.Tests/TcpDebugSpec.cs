using Edsos.Driver.Wires;
using Edsos.Protocol;
using Edsos.Protocol.Tcp;
using Edsos.Scheduler;
using Xunit.Abstractions;

namespace Edsos.Scenarios.Tests;

public sealed class TcpDebugSpec(ITestOutputHelper output)
{
    [Fact]
    public async Task Debug_Lossy()
    {
        var (wa, wb) = LoopbackWire.CreatePair();
        await using var hosts = await TwoHosts.StartAsync(new LossyWire(wa, new LossyWireOptions { Seed = 1, Drop = 0.02 }), new LossyWire(wb, new LossyWireOptions { Seed = 2, Drop = 0.02 }));
        var server = hosts.B.StartProcess("server");
        int listener = await TcpSockets.ListenAsync(server, 7);
        var client = hosts.A.StartProcess("client");
        int fd = await TcpSockets.SocketAsync(client);
        var acceptTask = server.AcceptAsync(listener).AsTask();
        await client.ConnectAsync(fd, new Ipv4Endpoint(TwoHosts.AddressB, 7));
        int conn = (int)(await acceptTask).Value;
        const int size = 40 * 65536;
        var data = client.Alloc(size);
        client.WriteBuffer(data, 0, TcpSockets.Pattern(size, 3));
        var echo = Task.Run(() => TcpSockets.EchoAllAsync(server, conn));
        var reader = Task.Run(() => TcpSockets.ReadExactlyAsync(client, fd, size));
        var send = client.SendAsync(fd, data.Gva, size).AsTask();
        var all = Task.WhenAll(send, reader);
        for (int i = 0; i < 6 && !all.IsCompleted; i++)
        {
            await Task.WhenAny(all, Task.Delay(2000));
            foreach (var h in new[] { hosts.A, hosts.B })
            {
                var c = await h.Inet.Tcp!.Ask<TcpProtocol.TcpConnections>(TcpProtocol.GetTcpConnections.Instance, TimeSpan.FromSeconds(5));
                foreach (var x in c.Connections)
                {
                    output.WriteLine($"{h.Options.Name} t={i}: {x}");
                }
            }
        }

        output.WriteLine($"send {send.IsCompleted} reader {reader.IsCompleted}");
    }
}
