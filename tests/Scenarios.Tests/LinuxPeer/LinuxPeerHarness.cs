using System.Net;
using System.Net.Sockets;
using Edsos.Host.Peer;
using Edsos.Kpn;
using Edsos.Protocol;
using Edsos.Protocol.Tcp;
using Edsos.Scheduler;
using Xunit.Abstractions;

namespace Edsos.Scenarios.Tests.LinuxPeer;

/// <summary>Starts a <see cref="TapPeer"/> for a test, makes Linux sockets in its namespace, and checks the end.</summary>
internal static class LinuxPeerHarness
{
    public static async Task<TapPeer> StartAsync(TapPeerOptions? options = null)
    {
        var (peer, error) = await TapPeer.StartAsync(options ?? new TapPeerOptions());
        Assert.True(peer is not null, $"the Linux peer did not start: {error}");
        return peer!;
    }

    /// <summary>A Linux TCP or UDP socket created inside the peer's namespace.</summary>
    public static Socket LinuxSocket(TapPeer peer, SocketType type) =>
        NetnsThread.Run(peer.Namespace.Name, () => new Socket(AddressFamily.InterNetwork, type, type == SocketType.Stream ? ProtocolType.Tcp : ProtocolType.Udp));

    /// <summary>Our address as a .NET endpoint.</summary>
    public static IPEndPoint Edsos(TapPeer peer, int port) => new(IPAddress.Parse(peer.EdsosAddress.ToString()), port);

    /// <summary>
    /// Waits until our TCP holds no connection (TIME_WAIT over), stops the host and asserts its leak report is
    /// empty; then removes the namespace.
    /// </summary>
    public static async Task StopCleanAsync(TapPeer peer, ITestOutputHelper? output = null)
    {
        try
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (DateTime.UtcNow < deadline)
            {
                var list = await peer.Host.Inet.Tcp!.Ask<TcpProtocol.TcpConnections>(TcpProtocol.GetTcpConnections.Instance, TimeSpan.FromSeconds(5));
                if (list.Connections.Count == 0)
                {
                    break;
                }

                await Task.Delay(100);
            }

            var leaks = await peer.StopAsync();
            output?.WriteLine($"frames: {peer.Wire.FramesReceived} from Linux, {peer.Wire.Counters.FramesTransmitted} to Linux; leaks: {leaks}");
            Assert.True(leaks.IsClean, $"leak report after the run: {leaks}");
        }
        finally
        {
            await peer.DisposeAsync();
        }
    }

    /// <summary>Connects a stream socket on our host to <paramref name="remote"/>; returns the fd.</summary>
    public static async Task<int> ConnectAsync(Libc libc, Ipv4Endpoint remote)
    {
        int fd = await TcpSockets.SocketAsync(libc);
        var connected = await libc.ConnectAsync(fd, remote);
        Assert.True(connected.IsOk, $"connect to {remote}: {connected.Error}");
        return fd;
    }
}
