using Edsos.Kpn;
using Edsos.Protocol;
using Edsos.SocketService;

namespace Edsos.Scenarios.Tests.Tcp;

/// <summary>
/// One established TCP connection between two real hosts: a client process on A connected to a listener of a
/// server process on B, and the accepted descriptor. <see cref="CloseAsync"/> is the orderly end both ways.
/// </summary>
internal sealed record TcpPair(Libc Client, int ClientFd, Libc Server, int ServerFd, int ListenerFd)
{
    /// <summary>Starts the two processes, listens on <paramref name="port"/> on B, connects from A and accepts.</summary>
    public static async Task<TcpPair> OpenAsync(TwoHosts hosts, ushort port, TimeSpan wait)
    {
        var server = hosts.B.StartProcess("server");
        int listener = await TcpSockets.ListenAsync(server, port);
        var client = hosts.A.StartProcess("client");
        int fd = await TcpSockets.SocketAsync(client);
        var accept = server.AcceptAsync(listener).AsTask();
        var connected = await client.ConnectAsync(fd, new Ipv4Endpoint(TwoHosts.AddressB, port)).AsTask().WaitAsync(wait);
        Assert.True(connected.IsOk, $"connect: {connected.Error}");
        var accepted = await accept.WaitAsync(wait);
        Assert.True(accepted.IsOk, $"accept: {accepted.Error}");
        return new TcpPair(client, fd, server, (int)accepted.Value, listener);
    }

    /// <summary>
    /// The orderly end: the client shuts its side down, the server reads end of stream (so nothing more than
    /// what the test read was in the stream) and closes, the client reads end of stream and closes, the
    /// listener closes. In <see cref="DataPathMode.Copy"/> the end of stream is read with a classic recv.
    /// </summary>
    public async Task CloseAsync(TimeSpan wait, DataPathMode mode = DataPathMode.ZeroCopy)
    {
        Assert.True((await Client.ShutdownAsync(ClientFd, 1).AsTask().WaitAsync(wait)).IsOk, "shutdown");
        await ExpectEndOfStreamAsync(Server, ServerFd, wait, mode);
        Assert.True((await Server.CloseAsync(ServerFd).AsTask().WaitAsync(wait)).IsOk, "server close");
        await ExpectEndOfStreamAsync(Client, ClientFd, wait, mode);
        Assert.True((await Client.CloseAsync(ClientFd).AsTask().WaitAsync(wait)).IsOk, "client close");
        Assert.True((await Server.CloseAsync(ListenerFd).AsTask().WaitAsync(wait)).IsOk, "listener close");
    }

    private static async Task ExpectEndOfStreamAsync(Libc libc, int fd, TimeSpan wait, DataPathMode mode)
    {
        if (mode == DataPathMode.Copy)
        {
            var buffer = libc.Alloc(64);
            var end = await libc.RecvFromAsync(fd, buffer.Gva, buffer.Length).AsTask().WaitAsync(wait);
            libc.Free(buffer);
            Assert.True(end.IsOk, $"recv at end: {end.Error}");
            Assert.True(end.Value == 0, $"{end.Value} more bytes where the stream should have ended");
            return;
        }

        var eof = await libc.RecvZeroCopyAsync(fd).AsTask().WaitAsync(wait);
        Assert.True(eof.IsOk, $"recv at end: {eof.Error}");
        Assert.True(eof.Length == 0, $"{eof.Length} more bytes where the stream should have ended");
    }
}
