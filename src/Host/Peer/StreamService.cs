using System.Collections.Concurrent;
using Edsos.Kpn;
using Edsos.Protocol;
using Edsos.SocketService;

namespace Edsos.Host.Peer;

/// <summary>
/// A TCP service of the standard small set on our stack, serving any number of connections at once:
/// RFC 862 echo (every byte received is sent back) or RFC 863 discard (every byte received is dropped).
/// In zero-copy mode each received buffer is granted to the app and, for echo, shared straight back down
/// the stack; in copy mode it is <c>recv</c>'d into the app's buffer. <see cref="CloseAsync"/> closes the
/// listener and every open connection, which ends <see cref="RunAsync"/>.
/// </summary>
public sealed class StreamService
{
    private readonly Libc _libc;
    private readonly DataPathMode _mode;
    private readonly bool _echo;
    private readonly ConcurrentDictionary<int, bool> _connections = new();
    private readonly List<Task> _served = [];
    private int _listener = -1;
    private long _bytes;
    private long _accepted;
    private volatile bool _closing;

    /// <summary>A service on <paramref name="libc"/>'s process: echo when <paramref name="echo"/>, discard otherwise.</summary>
    public StreamService(Libc libc, DataPathMode mode, bool echo)
    {
        ArgumentNullException.ThrowIfNull(libc);
        _libc = libc;
        _mode = mode;
        _echo = echo;
    }

    /// <summary>Connections accepted so far.</summary>
    public long Connections => Interlocked.Read(ref _accepted);

    /// <summary>Bytes received (and, for echo, sent back) so far.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>The first unexpected error a connection or the accept loop ended on, or <see cref="Errno.None"/>.</summary>
    public Errno LastError { get; private set; }

    /// <summary>socket, bind and listen on <paramref name="local"/>: the first error, or None.</summary>
    public async Task<Errno> ListenAsync(Ipv4Endpoint local)
    {
        var listener = await _libc.OpenListenerAsync(local, 16);
        _listener = listener.IsOk ? (int)listener.Value : -1;
        return listener.Error;
    }

    /// <summary>Accepts connections and serves each on its own task until <see cref="CloseAsync"/>.</summary>
    public async Task RunAsync()
    {
        while (!_closing)
        {
            var accepted = await _libc.AcceptAsync(_listener);
            if (!accepted.IsOk)
            {
                if (!_closing && accepted.Error is not (Errno.EBADF or Errno.ECONNABORTED))
                {
                    LastError = accepted.Error;
                }

                if (_closing || accepted.Error == Errno.EBADF)
                {
                    break;
                }

                continue;
            }

            Interlocked.Increment(ref _accepted);
            int fd = (int)accepted.Value;
            _connections[fd] = true;
            _served.Add(Task.Run(() => ServeAsync(fd)));
        }

        await Task.WhenAll(_served);
    }

    /// <summary>Closes the listener and every open connection.</summary>
    public async Task CloseAsync()
    {
        _closing = true;
        if (_listener >= 0)
        {
            await _libc.CloseAsync(_listener);
        }

        foreach (int fd in _connections.Keys)
        {
            await _libc.CloseAsync(fd);
        }
    }

    private async Task ServeAsync(int fd)
    {
        try
        {
            Errno error = _mode == DataPathMode.ZeroCopy ? await ServeZeroCopyAsync(fd) : await ServeCopyAsync(fd);
            if (error is not (Errno.None or Errno.EBADF or Errno.ECONNRESET or Errno.EPIPE) && !_closing)
            {
                LastError = error;
            }
        }
        finally
        {
            // Out of the table first, so CloseAsync never closes a descriptor number a new connection reuses.
            _connections.TryRemove(fd, out _);
            await _libc.CloseAsync(fd);
        }
    }

    private async Task<Errno> ServeZeroCopyAsync(int fd)
    {
        while (true)
        {
            var piece = await _libc.RecvZeroCopyAsync(fd);
            if (!piece.IsOk || piece.Length == 0)
            {
                if (piece.Buffer is not null)
                {
                    _libc.Free(piece.Buffer);
                }

                return piece.Error;
            }

            Interlocked.Add(ref _bytes, piece.Length);
            if (!_echo)
            {
                _libc.Free(piece.Buffer!);
                continue;
            }

            var sent = await _libc.SendAsync(fd, piece.Buffer!.Gva, piece.Length);
            _libc.Free(piece.Buffer!);
            if (!sent.IsOk)
            {
                return sent.Error;
            }
        }
    }

    private async Task<Errno> ServeCopyAsync(int fd)
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

                Interlocked.Add(ref _bytes, received.Value);
                if (_echo)
                {
                    var sent = await _libc.SendAsync(fd, buffer.Gva, (int)received.Value);
                    if (!sent.IsOk)
                    {
                        return sent.Error;
                    }
                }
            }
        }
        finally
        {
            _libc.Free(buffer);
        }
    }
}
