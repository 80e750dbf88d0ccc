using System.Runtime.CompilerServices;
using Edsos.Kpn;
using Edsos.Protocol;
using Edsos.SocketService;

namespace Edsos.Host.Demo;

/// <summary>
/// The echo app of host B: receives each datagram and sends it straight back. In zero-copy mode it
/// uses the zero-copy receive and shares the very buffer it was granted back down the stack, so the
/// round trip copies no payload byte; in copy mode it uses classic <c>recvfrom</c> into its own buffer.
/// </summary>
public sealed class EchoServer
{
    private readonly Libc _libc;
    private readonly DataPathMode _mode;
    private int _fd = -1;

    public EchoServer(Libc libc, DataPathMode mode)
    {
        _libc = libc;
        _mode = mode;
    }

    /// <summary>Datagrams echoed so far.</summary>
    public int Echoed { get; private set; }

    /// <summary>The first error that ended the loop other than the closing <see cref="Errno.EBADF"/>.</summary>
    public Errno LastError { get; private set; }

    /// <summary>Opens and binds the socket; returns the errno of the first call that failed.</summary>
    public async Task<Errno> BindAsync(Ipv4Endpoint local)
    {
        var socket = await _libc.SocketAsync(2, SocketKind.Dgram, 0);
        if (!socket.IsOk)
        {
            return socket.Error;
        }

        _fd = (int)socket.Value;
        return (await _libc.BindAsync(_fd, local)).Error;
    }

    /// <summary>Echoes until the socket is closed (its pending receive ends with EBADF).</summary>
    public async Task RunAsync(int maxSize)
    {
        UserBuffer? buffer = _mode == DataPathMode.Copy ? _libc.Alloc(maxSize) : null;
        try
        {
            while (true)
            {
                Errno error = buffer is null ? await EchoZeroCopyAsync() : await EchoCopyAsync(buffer);
                if (error != Errno.None)
                {
                    if (error is not (Errno.EBADF or Errno.EINTR))
                    {
                        LastError = error;
                    }

                    return;
                }

                Echoed++;
            }
        }
        finally
        {
            if (buffer is not null)
            {
                _libc.Free(buffer);
            }
        }
    }

    /// <summary>Closes the socket, which ends <see cref="RunAsync"/>.</summary>
    public async Task CloseAsync()
    {
        if (_fd >= 0)
        {
            await _libc.CloseAsync(_fd);
        }
    }

    // Pooled builders: one echo per datagram would otherwise allocate a state machine box each.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Errno> EchoZeroCopyAsync()
    {
        var received = await _libc.RecvZeroCopyAsync(_fd);
        if (!received.IsOk)
        {
            return received.Error;
        }

        // The granted buffer is the app's: share it straight back, then free it.
        var sent = await _libc.SendToAsync(_fd, received.Buffer!.Gva, received.Length, received.From);
        _libc.Free(received.Buffer);
        return sent.Error;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Errno> EchoCopyAsync(UserBuffer buffer)
    {
        var received = await _libc.RecvFromAsync(_fd, buffer.Gva, buffer.Length);
        if (!received.IsOk)
        {
            return received.Error;
        }

        return (await _libc.SendToAsync(_fd, buffer.Gva, (int)received.Value, received.From)).Error;
    }
}
