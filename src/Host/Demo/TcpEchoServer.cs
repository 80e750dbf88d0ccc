using System.Globalization;
using Edsos.Kpn;
using Edsos.Protocol;
using Edsos.SocketService;

namespace Edsos.Host.Demo;

/// <summary>
/// The TCP echo app of the demo (host B, port 7): accepts one connection (<see cref="RunAsync"/>) or every
/// connection until its process exits (<see cref="ServeAsync"/>, the console cluster, where host A's clients come,
/// die and reconnect) and sends back every byte it receives until the client's FIN (or until the connection
/// fails: reset, timed out), then closes. In zero-copy mode it shares each received buffer it was granted
/// straight back down the stack; in copy mode it <c>recv</c>s into its own buffer and sends from it.
/// </summary>
public sealed class TcpEchoServer
{
    private readonly Libc _libc;
    private readonly DataPathMode _mode;
    private readonly List<string> _ended = [];
    private int _listener = -1;
    private long _bytesEchoed;
    private int _echoes;

    /// <summary>An echo app on <paramref name="libc"/>'s process.</summary>
    public TcpEchoServer(Libc libc, DataPathMode mode)
    {
        _libc = libc;
        _mode = mode;
    }

    /// <summary>TCP_NODELAY on each accepted connection (Nagle off), as Linux's loopback echo in <c>bench datapath</c> sets it.</summary>
    public bool NoDelay { get; init; }

    /// <summary>The first error that ended the loop early, or <see cref="Errno.None"/>.</summary>
    public Errno LastError { get; private set; }

    /// <summary>Bytes echoed.</summary>
    public long BytesEchoed => Interlocked.Read(ref _bytesEchoed);

    /// <summary>Send calls that echoed a received piece (about one per client write of up to an MSS).</summary>
    public int Echoes => Volatile.Read(ref _echoes);

    /// <summary>How each connection <see cref="ServeAsync"/> accepted ended, one line each, in the order they ended.</summary>
    public IReadOnlyList<string> ConnectionsEnded
    {
        get
        {
            lock (_ended)
            {
                return [.. _ended];
            }
        }
    }

    /// <summary>socket, bind and listen on <paramref name="local"/>: the first error, or None.</summary>
    public async Task<Errno> ListenAsync(Ipv4Endpoint local)
    {
        var listener = await _libc.OpenListenerAsync(local, 4);
        _listener = listener.IsOk ? (int)listener.Value : -1;
        return listener.Error;
    }

    /// <summary>Accepts one connection and echoes it to the end; closes both sockets.</summary>
    public async Task RunAsync()
    {
        var accepted = await _libc.AcceptAsync(_listener);
        await _libc.CloseAsync(_listener);
        if (!accepted.IsOk)
        {
            LastError = accepted.Error;
            return;
        }

        int fd = (int)accepted.Value;
        try
        {
            if (NoDelay)
            {
                await _libc.SetSockOptAsync(fd, SocketOption.NoDelay, 1);
            }

            var mine = new ConnectionBytes();
            LastError = _mode == DataPathMode.ZeroCopy ? await EchoZeroCopyAsync(fd, mine) : await EchoCopyAsync(fd, mine);
        }
        finally
        {
            await _libc.CloseAsync(fd);
        }
    }

    /// <summary>
    /// Accepts connections until accept fails (the listener closed, the process exited) and echoes each on a task of
    /// its own, so a client that died (its connection reset, or left half-open until a new SYN on its port pair
    /// resets it) never holds up the next one. Ends once every connection's echo ended; each connection's end is in
    /// <see cref="ConnectionsEnded"/>. <see cref="LastError"/> is accept's last error.
    /// </summary>
    public async Task ServeAsync()
    {
        var connections = new List<Task>();
        int accepted = 0;
        while (true)
        {
            var next = await _libc.AcceptAsync(_listener);
            if (!next.IsOk)
            {
                LastError = next.Error;
                break;
            }

            int number = ++accepted;
            int fd = (int)next.Value;
            connections.Add(Task.Run(() => EchoOneAsync(number, fd)));
        }

        await _libc.CloseAsync(_listener);
        await Task.WhenAll(connections);
    }

    private async Task EchoOneAsync(int number, int fd)
    {
        Errno ended;
        var mine = new ConnectionBytes();
        try
        {
            ended = _mode == DataPathMode.ZeroCopy ? await EchoZeroCopyAsync(fd, mine) : await EchoCopyAsync(fd, mine);
        }
        finally
        {
            await _libc.CloseAsync(fd);
        }

        lock (_ended)
        {
            _ended.Add(string.Create(
                CultureInfo.InvariantCulture,
                $"tcp echo connection {number} ended after {mine.Bytes} bytes echoed: {(ended == Errno.None ? "the client's FIN" : ended.ToString())}"));
        }
    }

    private async Task<Errno> EchoZeroCopyAsync(int fd, ConnectionBytes mine)
    {
        while (true)
        {
            var piece = await _libc.RecvZeroCopyAsync(fd);
            if (!piece.IsOk || piece.Length == 0)
            {
                return piece.Error;
            }

            var sent = await _libc.SendAsync(fd, piece.Buffer!.Gva, piece.Length);
            _libc.Free(piece.Buffer!);
            if (!sent.IsOk)
            {
                return sent.Error;
            }

            Interlocked.Add(ref _bytesEchoed, sent.Value);
            mine.Bytes += sent.Value;
            Interlocked.Increment(ref _echoes);
        }
    }

    private async Task<Errno> EchoCopyAsync(int fd, ConnectionBytes mine)
    {
        var buffer = _libc.Alloc(64 * 1024);
        try
        {
            while (true)
            {
                var received = await _libc.RecvFromAsync(fd, buffer.Gva, buffer.Length);
                if (!received.IsOk || received.Value == 0)
                {
                    return received.Error;
                }

                var sent = await _libc.SendAsync(fd, buffer.Gva, (int)received.Value);
                if (!sent.IsOk)
                {
                    return sent.Error;
                }

                Interlocked.Add(ref _bytesEchoed, sent.Value);
                mine.Bytes += sent.Value;
                Interlocked.Increment(ref _echoes);
            }
        }
        finally
        {
            _libc.Free(buffer);
        }
    }

    /// <summary>Bytes one connection's echo sent back (its loop is the only writer).</summary>
    private sealed class ConnectionBytes
    {
        public long Bytes;
    }
}
