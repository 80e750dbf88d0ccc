using Edsos.Kpn;
using Edsos.Protocol;
using Edsos.Protocol.Wire;

namespace Edsos.Host.Faults;

/// <summary>
/// The bystander of a <see cref="TcpFaultScenario"/>: another app pair on the same two hosts with its
/// own TCP connection (<paramref name="sender"/> on A writes, <paramref name="peer"/> on B reads), so
/// whichever host the fault hits, a connection that shares its stack, driver and NIC is watched. A
/// round writes <see cref="RoundBytes"/> and counts as ok once the peer read them all in time.
/// Never throws: a failed step fails the round.
/// </summary>
internal sealed class TcpBystander(Libc sender, Libc peer, ushort port, TimeSpan timeout)
{
    /// <summary>Bytes per round (zeros: never the scenario's watched marker).</summary>
    public const int RoundBytes = 1024;

    private int _listener = -1;
    private int _fd = -1;
    private int _peerFd = -1;
    private UserBuffer? _buffer;

    /// <summary>Rounds tried.</summary>
    public int Rounds { get; private set; }

    /// <summary>Rounds whose bytes arrived.</summary>
    public int Ok { get; private set; }

    /// <summary>Opens the peer's listener on B (before the fault, so only the connection waits for later).</summary>
    public async Task ListenAsync()
    {
        try
        {
            var socket = await peer.SocketAsync(2, SocketKind.Stream, 0).AsTask().WaitAsync(timeout).ConfigureAwait(false);
            if (!socket.IsOk)
            {
                return;
            }

            var fd = (int)socket.Value;
            var bound = await peer.BindAsync(fd, new Ipv4Endpoint(Ipv4Address.Any, port)).AsTask().WaitAsync(timeout).ConfigureAwait(false);
            var listening = bound.IsOk ? await peer.ListenAsync(fd, 4).AsTask().WaitAsync(timeout).ConfigureAwait(false) : bound;
            _listener = listening.IsOk ? fd : -1;
        }
        catch (TimeoutException)
        {
            // The first round reports it.
        }
    }

    /// <summary>One round: connects first if not yet connected, writes <see cref="RoundBytes"/> on A, reads them on B.</summary>
    public async Task RoundAsync(Ipv4Address server)
    {
        Rounds++;
        try
        {
            if (_peerFd < 0 && !await ConnectAsync(server).ConfigureAwait(false))
            {
                return;
            }

            var sent = await sender.SendAsync(_fd, _buffer!.Gva, RoundBytes).AsTask().WaitAsync(timeout).ConfigureAwait(false);
            if (!sent.IsOk)
            {
                return;
            }

            var got = 0;
            while (got < RoundBytes)
            {
                var piece = await peer.RecvZeroCopyAsync(_peerFd).AsTask().WaitAsync(timeout).ConfigureAwait(false);
                if (!piece.IsOk || piece.Length == 0)
                {
                    return;
                }

                peer.Free(piece.Buffer!);
                got += piece.Length;
            }

            Ok++;
        }
        catch (TimeoutException)
        {
            // A round that does not finish in time failed.
        }
    }

    /// <summary>Closes whatever the bystander opened (results ignored: the hosts stop next).</summary>
    public async Task CloseAsync()
    {
        foreach (var (libc, fd) in new[] { (sender, _fd), (peer, _peerFd), (peer, _listener) })
        {
            if (fd >= 0 && !libc.HasExited)
            {
                try
                {
                    await libc.CloseAsync(fd).AsTask().WaitAsync(timeout).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    // The hosts' stop closes it.
                }
            }
        }
    }

    private async Task<bool> ConnectAsync(Ipv4Address server)
    {
        if (_listener < 0)
        {
            return false;
        }

        var socket = await sender.SocketAsync(2, SocketKind.Stream, 0).AsTask().WaitAsync(timeout).ConfigureAwait(false);
        if (!socket.IsOk)
        {
            return false;
        }

        _fd = (int)socket.Value;
        var accepting = peer.AcceptAsync(_listener).AsTask();
        var connected = await sender.ConnectAsync(_fd, new Ipv4Endpoint(server, port)).AsTask().WaitAsync(timeout).ConfigureAwait(false);
        if (!connected.IsOk)
        {
            return false;
        }

        var accepted = await accepting.WaitAsync(timeout).ConfigureAwait(false);
        if (!accepted.IsOk)
        {
            return false;
        }

        _peerFd = (int)accepted.Value;
        _buffer = sender.Alloc(RoundBytes);
        sender.WriteBuffer(_buffer, 0, new byte[RoundBytes]);
        return true;
    }
}
