using Edsos.Driver.Wires;
using Edsos.Host;
using Edsos.Kpn;
using Edsos.Protocol;
using Edsos.Protocol.Wire;
using Edsos.SocketService;

namespace Edsos.Scenarios.Tests;

/// <summary>
/// A receive whose caller gave up (its token cancelled) is withdrawn from the socket: the next datagram goes to
/// the next receive, not to a waiter nobody listens to, and nothing is left mounted.
/// </summary>
public sealed class CancelledRecvSpec
{
    [Theory]
    [InlineData(DataPathMode.ZeroCopy)]
    [InlineData(DataPathMode.Copy)]
    public async Task Recv_CancelledThenADatagram_TheNextReceiveGetsItAndNothingLeaks(DataPathMode mode)
    {
        var (wireA, wireB) = LoopbackWire.CreatePair();
        await using var a = await EdsosHost.StartAsync(Options("cancel-a", "10.0.0.1/24", "02:00:00:00:00:01", mode), wireA);
        await using var b = await EdsosHost.StartAsync(Options("cancel-b", "10.0.0.2/24", "02:00:00:00:00:02", mode), wireB);
        var sink = b.StartProcess("sink");
        int sinkFd = (int)(await sink.SocketAsync(2, SocketKind.Dgram, 0)).Value;
        Assert.True((await sink.BindAsync(sinkFd, new Ipv4Endpoint(Ipv4Address.Any, 9))).IsOk);
        var into = sink.Alloc(256);

        using (var giveUp = new CancellationTokenSource(TimeSpan.FromMilliseconds(200)))
        {
            var abandoned = mode == DataPathMode.ZeroCopy
                ? (await sink.RecvZeroCopyAsync(sinkFd, MsgFlags.None, giveUp.Token)).Error
                : (await sink.RecvFromAsync(sinkFd, into.Gva, 256, MsgFlags.None, giveUp.Token)).Error;
            Assert.Equal(Errno.EINTR, abandoned);
        }

        var app = a.StartProcess("app");
        int fd = (int)(await app.SocketAsync(2, SocketKind.Dgram, 0)).Value;
        var payload = app.Alloc(100);
        app.WriteBuffer(payload, 0, Enumerable.Range(0, 100).Select(i => (byte)i).ToArray());
        Assert.Equal(100, (await app.SendToAsync(fd, payload.Gva, 100, new Ipv4Endpoint(Ipv4Address.Parse("10.0.0.2"), 9))).Value);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var bytes = new byte[100];
        if (mode == DataPathMode.ZeroCopy)
        {
            var got = await sink.RecvZeroCopyAsync(sinkFd, MsgFlags.None, timeout.Token);
            Assert.Equal(Errno.None, got.Error);
            Assert.Equal(100, got.Length);
            Assert.Equal(Errno.None, sink.ReadBuffer(got.Buffer!, 0, bytes));
            sink.Free(got.Buffer!);
        }
        else
        {
            var got = await sink.RecvFromAsync(sinkFd, into.Gva, 256, MsgFlags.None, timeout.Token);
            Assert.Equal(Errno.None, got.Error);
            Assert.Equal(100, got.Value);
            Assert.Equal(Errno.None, sink.ReadBuffer(into, 0, bytes));
        }

        Assert.Equal(Enumerable.Range(0, 100).Select(i => (byte)i), bytes);
        app.Free(payload);
        sink.Free(into);
        await app.CloseAsync(fd);
        await sink.CloseAsync(sinkFd);
        await a.StopAsync();
        await b.StopAsync();
        Assert.True(a.Memory.GetLeakReport().IsClean, a.Memory.GetLeakReport().ToString());
        Assert.True(b.Memory.GetLeakReport().IsClean, b.Memory.GetLeakReport().ToString());
    }

    private static EdsosHostOptions Options(string name, string address, string mac, DataPathMode mode) => new()
    {
        Name = name,
        Address = Ipv4Cidr.Parse(address),
        Mac = MacAddress.Parse(mac),
        Mode = mode,
    };
}
