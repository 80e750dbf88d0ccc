using System.Net;
using System.Net.Sockets;

namespace Edsos.Host.Peer;

/// <summary>
/// An RFC 862 echo server on Linux sockets (System.Net.Sockets): UDP and TCP on one port, any number of
/// TCP connections. Its sockets belong to the network namespace of the thread that called
/// <see cref="Start"/>: <c>edsos linux-echo</c> runs it in a process started by <c>ip netns exec</c>, the
/// tests create it through <see cref="NetnsThread"/>. <see cref="Dispose"/> closes everything.
/// </summary>
public sealed class LinuxEchoServer : IDisposable
{
    private readonly Socket _udp;
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    private long _datagrams;
    private long _bytes;
    private long _connections;

    private LinuxEchoServer(Socket udp, Socket listener)
    {
        _udp = udp;
        _listener = listener;
        _loops.Add(Task.Run(UdpLoopAsync));
        _loops.Add(Task.Run(AcceptLoopAsync));
    }

    /// <summary>Datagrams echoed.</summary>
    public long Datagrams => Interlocked.Read(ref _datagrams);

    /// <summary>TCP bytes echoed.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>TCP connections accepted.</summary>
    public long Connections => Interlocked.Read(ref _connections);

    /// <summary>
    /// Binds UDP and TCP <paramref name="port"/> on every address of the calling thread's network namespace
    /// and starts echoing. Throws <see cref="SocketException"/> when the port is taken.
    /// </summary>
    public static LinuxEchoServer Start(int port)
    {
        var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            udp.Bind(new IPEndPoint(IPAddress.Any, port));
            listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            listener.Bind(new IPEndPoint(IPAddress.Any, port));
            listener.Listen(16);
        }
        catch
        {
            udp.Dispose();
            listener.Dispose();
            throw;
        }

        return new LinuxEchoServer(udp, listener);
    }

    /// <summary>Closes the sockets and waits briefly for the loops to end.</summary>
    public void Dispose()
    {
        _stop.Cancel();
        _udp.Dispose();
        _listener.Dispose();
        try
        {
            Task.WaitAll(_loops.ToArray(), TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // A loop ending on the closed socket is the expected way out.
        }

        _stop.Dispose();
    }

    private async Task UdpLoopAsync()
    {
        byte[] buffer = new byte[65536];
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await _udp.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token);
                await _udp.SendToAsync(buffer.AsMemory(0, received.ReceivedBytes), SocketFlags.None, received.RemoteEndPoint, _stop.Token);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                if (_stop.IsCancellationRequested || e is ObjectDisposedException)
                {
                    return;
                }

                continue;
            }

            Interlocked.Increment(ref _datagrams);
        }
    }

    private async Task AcceptLoopAsync()
    {
        var connections = new List<Task>();
        while (!_stop.IsCancellationRequested)
        {
            Socket connection;
            try
            {
                connection = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                break;
            }

            Interlocked.Increment(ref _connections);
            connections.Add(Task.Run(() => EchoAsync(connection)));
        }

        await Task.WhenAll(connections);
    }

    private async Task EchoAsync(Socket connection)
    {
        byte[] buffer = new byte[256 * 1024];
        using (connection)
        {
            try
            {
                while (true)
                {
                    int read = await connection.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                    if (read == 0)
                    {
                        connection.Shutdown(SocketShutdown.Send);
                        return;
                    }

                    int sent = 0;
                    while (sent < read)
                    {
                        sent += await connection.SendAsync(buffer.AsMemory(sent, read - sent), SocketFlags.None, _stop.Token);
                    }

                    Interlocked.Add(ref _bytes, read);
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                // The peer reset or the server is closing: this connection is over.
            }
        }
    }
}
