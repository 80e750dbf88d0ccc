using System.Net;
using System.Net.Sockets;
using Edsos.Host.Demo;

namespace Edsos.Host.Bench;

/// <summary>
/// The Linux kernel's own loopback path in the shape of the demo's echo, the reference row of
/// <c>bench datapath</c>: a client and an echo server on 127.0.0.1 in this process, through
/// <see cref="System.Net.Sockets"/>, one round in flight, each payload filled with the demo's pattern
/// and every echoed byte checked. UDP echoes datagrams (a 65507-byte one is fragmented by Linux just as
/// ours is by us); TCP echoes a stream written in <c>size</c>-byte writes. Every byte copied here is
/// copied by the kernel (user → skb → user, twice per round): the copy path seeds 001/003 describe.
/// </summary>
public sealed class LinuxLoopbackEcho : IDisposable
{
    private readonly bool _tcp;
    private readonly int _size;
    private readonly byte[] _send;
    private readonly byte[] _receive;
    private readonly Socket _client;
    private readonly Socket _server;
    private readonly Socket? _listener;
    private readonly Thread _echo;
    private volatile bool _stopping;
    private ulong _sequence;
    private long _streamOffset;

    private LinuxLoopbackEcho(bool tcp, int size)
    {
        _tcp = tcp;
        _size = size;
        _send = new byte[size];
        _receive = new byte[size];
        if (tcp)
        {
            _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _listener.Listen(1);
            _client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            _client.Connect(_listener.LocalEndPoint!);
            _server = _listener.Accept();
            _server.NoDelay = true;
        }
        else
        {
            _server = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            _server.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            _client.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _client.Connect(_server.LocalEndPoint!);
            _server.ReceiveBufferSize = Math.Max(_server.ReceiveBufferSize, 4 * 65536);
            _client.ReceiveBufferSize = Math.Max(_client.ReceiveBufferSize, 4 * 65536);
        }

        _client.ReceiveTimeout = 10_000;
        _echo = new Thread(tcp ? EchoStream : EchoDatagrams) { IsBackground = true, Name = "linux-echo" };
        _echo.Start();
    }

    /// <summary>Opens the pair (UDP when <paramref name="tcp"/> is false) for payloads of <paramref name="size"/> bytes.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The size is not 1 to 65507 for UDP or positive for TCP.</exception>
    /// <exception cref="SocketException">Loopback sockets cannot be opened here.</exception>
    public static LinuxLoopbackEcho Open(bool tcp, int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        if (!tcp)
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThan(size, 65507);
        }

        return new LinuxLoopbackEcho(tcp, size);
    }

    /// <summary>Rounds whose echo differed from what was sent (must stay 0).</summary>
    public long BadRounds { get; private set; }

    /// <summary>
    /// Runs <paramref name="rounds"/> echo rounds: send one payload, read its whole echo, check every
    /// byte. Throws <see cref="SocketException"/> when an echo does not come back within 10 s.
    /// </summary>
    public void Run(int rounds)
    {
        for (int r = 0; r < rounds; r++)
        {
            if (_tcp)
            {
                StreamPattern.Fill(_send, _streamOffset);
                _client.Send(_send);
                int got = 0;
                while (got < _size)
                {
                    int n = _client.Receive(_receive, got, _size - got, SocketFlags.None);
                    if (n == 0)
                    {
                        throw new SocketException((int)SocketError.ConnectionReset);
                    }

                    got += n;
                }

                if (StreamPattern.FirstMismatch(_receive.AsSpan(0, _size), _streamOffset) >= 0)
                {
                    BadRounds++;
                }

                _streamOffset += _size;
            }
            else
            {
                ulong sequence = ++_sequence;
                DatagramPattern.Fill(_send, sequence);
                _client.Send(_send);
                int n = _client.Receive(_receive);
                if (n != _size || DatagramPattern.FirstMismatch(_receive.AsSpan(0, n), sequence, 0) >= 0)
                {
                    BadRounds++;
                }
            }
        }
    }

    /// <summary>Stops the echo thread and closes the sockets.</summary>
    public void Dispose()
    {
        _stopping = true;
        _client.Dispose();
        _server.Dispose();
        _listener?.Dispose();
        _echo.Join(TimeSpan.FromSeconds(5));
    }

    private void EchoDatagrams()
    {
        var buffer = new byte[65536];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        try
        {
            while (!_stopping)
            {
                int n = _server.ReceiveFrom(buffer, ref from);
                _server.SendTo(buffer.AsSpan(0, n), SocketFlags.None, from);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Closed by Dispose: the bench is over.
        }
    }

    private void EchoStream()
    {
        var buffer = new byte[65536];
        try
        {
            while (!_stopping)
            {
                int n = _server.Receive(buffer);
                if (n == 0)
                {
                    return;
                }

                _server.Send(buffer.AsSpan(0, n));
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Closed by Dispose: the bench is over.
        }
    }
}
