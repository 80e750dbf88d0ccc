using Edsos.Kpn;
using Edsos.Protocol;
using Edsos.Protocol.Wire;
using Edsos.SocketService;

namespace Edsos.Host.Bench;

/// <summary>The stream bench's receiving side.</summary>
public static partial class StreamBench
{
    /// <summary>Host B's receiving app: binds (UDP) or accepts (TCP) on port 9, checks every byte it receives (<see cref="PayloadCheck"/>) and counts it.</summary>
    private sealed class Sink(Libc libc, DataPathMode mode, bool tcp, int size) : ICounter
    {
        // Zero-copy receives kept posted on the sink's ring.
        private const int RingDepth = 64;

        private long _datagrams;
        private long _bytes;
        private int _fd = -1;
        private Task? _loop;
        private readonly CancellationTokenSource _stop = new();
        private readonly PayloadCheck _check = new(tcp, size);

        /// <summary>What the sink found wrong first in what it received, or null (read after <see cref="CloseAsync"/>).</summary>
        public string? FirstBad => _check.FirstBad;

        public long Datagrams => Volatile.Read(ref _datagrams);

        public long Bytes => Volatile.Read(ref _bytes);

        public async Task OpenAsync()
        {
            var socket = await libc.SocketAsync(2, tcp ? SocketKind.Stream : SocketKind.Dgram, 0);
            int fd = (int)socket.Value;
            var bound = await libc.BindAsync(fd, new Ipv4Endpoint(Ipv4Address.Any, SinkPort));
            if (!socket.IsOk || !bound.IsOk)
            {
                throw new InvalidOperationException($"sink on host B: socket {socket.Error}, bind {bound.Error}");
            }

            if (tcp)
            {
                await libc.ListenAsync(fd, 1);
                _loop = Task.Run(async () =>
                {
                    var accepted = await libc.AcceptAsync(fd, _stop.Token);
                    await libc.CloseAsync(fd);
                    if (accepted.IsOk)
                    {
                        _fd = (int)accepted.Value;
                        await ReceiveLoopAsync(_fd);
                    }
                });
            }
            else
            {
                _fd = fd;
                _loop = Task.Run(() => ReceiveLoopAsync(fd));
            }
        }

        public async Task CloseAsync()
        {
            await _stop.CancelAsync();
            if (_loop is not null)
            {
                await _loop.WaitAsync(TimeSpan.FromSeconds(10));
            }

            if (_fd >= 0)
            {
                await libc.CloseAsync(_fd);
            }
        }

        private async Task ReceiveLoopAsync(int fd)
        {
            if (mode == DataPathMode.ZeroCopy)
            {
                await ReceiveRingAsync(fd);
                return;
            }

            var copyBuffer = mode == DataPathMode.Copy ? libc.Alloc(65536) : null;
            try
            {
                while (!_stop.IsCancellationRequested)
                {
                    int length;
                    if (copyBuffer is null)
                    {
                        var piece = await libc.RecvZeroCopyAsync(fd, MsgFlags.None, _stop.Token);
                        if (!piece.IsOk || piece.Length == 0)
                        {
                            return;
                        }

                        length = piece.Length;
                        _check.Check(libc, piece.Buffer!, length);
                        libc.Free(piece.Buffer!);
                    }
                    else
                    {
                        var received = await libc.RecvFromAsync(fd, copyBuffer.Gva, copyBuffer.Length, MsgFlags.None, _stop.Token);
                        if (!received.IsOk || received.Value == 0)
                        {
                            return;
                        }

                        length = (int)received.Value;
                        _check.Check(libc, copyBuffer, length);
                    }

                    Interlocked.Increment(ref _datagrams);
                    Interlocked.Add(ref _bytes, length);
                }
            }
            catch (OperationCanceledException)
            {
                // The run is over.
            }
            finally
            {
                if (copyBuffer is not null)
                {
                    libc.Free(copyBuffer);
                }
            }
        }

        /// <summary>Zero copy: <see cref="RingDepth"/> receives stay posted; each reaped datagram is counted, freed and its receive posted again.</summary>
        private async Task ReceiveRingAsync(int fd)
        {
            if (libc.TryCreateRing(RingDepth, out var ring) != Errno.None)
            {
                return;
            }

            using (ring)
            {
                for (int i = 0; i < RingDepth; i++)
                {
                    ring!.PrepareRecvZeroCopy(fd, (ulong)i);
                }

                ring!.Submit();
                while (!_stop.IsCancellationRequested && await ring.WaitAsync(_stop.Token) == Errno.None)
                {
                    while (ring.TryReap(out var piece))
                    {
                        if (!piece.IsOk || piece.Result == 0)
                        {
                            return;
                        }

                        _check.Check(libc, piece.Buffer!, (int)piece.Result);
                        libc.Free(piece.Buffer!);
                        Interlocked.Increment(ref _datagrams);
                        Interlocked.Add(ref _bytes, piece.Result);
                        ring.PrepareRecvZeroCopy(fd, piece.UserData);
                    }

                    ring.Submit();
                }
            }
        }
    }
}
