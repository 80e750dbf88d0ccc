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
        const int size = 200 * 65536;
        var echo = Task.Run(() => TcpSockets.EchoAllAsync(server, conn));
        var reader = Task.Run(async () =>
        {
            long got = 0;
            while (got < size)
            {
                var p = await client.RecvZeroCopyAsync(fd);
                if (!p.IsOk || p.Length == 0) { break; }
                got += p.Length;
                client.Free(p.Buffer!);
            }
        });
        var send = Task.Run(async () =>
        {
            for (int i = 0; i < 200; i++)
            {
                var b = client.Alloc(65536);
                await client.SendAsync(fd, b.Gva, 65536);
                client.Free(b);
            }
        });
        var all = Task.WhenAll(send, reader);
        for (int i = 0; i < 30 && !all.IsCompleted; i++)
        {
            await Task.WhenAny(all, Task.Delay(4000));
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
