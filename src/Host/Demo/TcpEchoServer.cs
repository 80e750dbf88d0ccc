using Edsos.Kpn;
using Edsos.Protocol;
using Edsos.SocketService;

namespace Edsos.Host.Demo;

/// <summary>
/// The TCP echo app of the demo (host B, port 7): accepts one connection and sends back every byte it
/// receives until the client's FIN, then closes. In zero-copy mode it shares each received buffer it was
/// granted straight back down the stack; in copy mode it <c>recv</c>s into its own buffer and sends from it.
/// </summary>
public sealed class TcpEchoServer
{
    private readonly Libc _libc;
    private readonly DataPathMode _mode;
    private int _listener = -1;

    /// <summary>An echo app on <paramref name="libc"/>'s process.</summary>
    public TcpEchoServer(Libc libc, DataPathMode mode)
    {
        _libc = libc;
        _mode = mode;
    }

    /// <summary>The first error that ended the loop early, or <see cref="Errno.None"/>.</summary>
    public Errno LastError { get; private set; }

    /// <summary>Bytes echoed.</summary>
    public long BytesEchoed { get; private set; }

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
            if (_mode == DataPathMode.ZeroCopy)
            {
                await EchoZeroCopyAsync(fd);
            }
            else
            {
                await EchoCopyAsync(fd);
            }
        }
        finally
        {
            await _libc.CloseAsync(fd);
        }
    }

    private async Task EchoZeroCopyAsync(int fd)
    {
        while (true)
        {
            var piece = await _libc.RecvZeroCopyAsync(fd);
            if (!piece.IsOk || piece.Length == 0)
            {
                LastError = piece.Error;
                return;
            }

            var sent = await _libc.SendAsync(fd, piece.Buffer!.Gva, piece.Length);
            _libc.Free(piece.Buffer!);
            if (!sent.IsOk)
            {
                LastError = sent.Error;
                return;
            }

            BytesEchoed += sent.Value;
        }
    }

    private async Task EchoCopyAsync(int fd)
    {
        var buffer = _libc.Alloc(64 * 1024);
        try
        {
            while (true)
            {
                var received = await _libc.RecvFromAsync(fd, buffer.Gva, buffer.Length);
                if (!received.IsOk || received.Value == 0)
                {
                    LastError = received.Error;
                    return;
                }

                var sent = await _libc.SendAsync(fd, buffer.Gva, (int)received.Value);
                if (!sent.IsOk)
                {
                    LastError = sent.Error;
                    return;
                }

                BytesEchoed += sent.Value;
            }
        }
        finally
        {
            _libc.Free(buffer);
        }
    }
}
