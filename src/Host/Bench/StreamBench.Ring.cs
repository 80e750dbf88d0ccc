using Edsos.Host.Demo;
using Edsos.Kpn;
using Edsos.Protocol;
using Edsos.SocketService;

namespace Edsos.Host.Bench;

/// <summary>The stream bench's zero-copy senders: many operations in flight on one <see cref="IoRing"/>, one signal to the KPN per batch.</summary>
public static partial class StreamBench
{
    /// <summary>
    /// UDP on the ring: <paramref name="inflight"/> datagrams in flight, each from its own buffer; every reaped
    /// completion puts its buffer's next datagram on the ring, and each round of reaping is one submission.
    /// </summary>
    private static async Task<string?> BlastUdpRingAsync(Libc app, int size, int inflight, MeasureWindow window, CancellationToken stop)
    {
        var socket = await app.SocketAsync(2, SocketKind.Dgram, 0);
        if (!socket.IsOk)
        {
            return $"socket: {socket.Error}";
        }

        int fd = (int)socket.Value;
        var destination = new Ipv4Endpoint(DemoRunner.AddressB.Address, SinkPort);
        var buffers = new UserBuffer[inflight];
        var pattern = new byte[size];
        DatagramPattern.Fill(pattern, StreamDatagram);
        for (int lane = 0; lane < inflight; lane++)
        {
            buffers[lane] = app.Alloc(size);
            app.WriteBuffer(buffers[lane], 0, pattern);
        }

        try
        {
            return await RunRingAsync(app, inflight, window, stop, (ring, lane) => ring.PrepareSend(fd, buffers[lane].Gva, size, destination, (ulong)lane), "sendto");
        }
        finally
        {
            foreach (var buffer in buffers)
            {
                app.Free(buffer);
            }

            await app.CloseAsync(fd);
        }
    }

    /// <summary>TCP on the ring: <paramref name="inflight"/> writes of <paramref name="size"/> bytes in flight on one connection, each from its own buffer.</summary>
    private static async Task<string?> StreamTcpRingAsync(Libc app, int size, int inflight, MeasureWindow window, CancellationToken stop)
    {
        var (fd, refused) = await ConnectToSinkAsync(app);
        if (refused is not null)
        {
            return refused;
        }

        var buffers = new UserBuffer[inflight];
        // Every write carries the same bytes (the sink checks the stream as those bytes repeated, whatever order the writes complete in).
        var pattern = new byte[size];
        StreamPattern.Fill(pattern, 0);
        for (int slot = 0; slot < inflight; slot++)
        {
            buffers[slot] = app.Alloc(size);
            app.WriteBuffer(buffers[slot], 0, pattern);
        }

        try
        {
            return await RunRingAsync(app, inflight, window, stop, (ring, slot) => ring.PrepareSend(fd, buffers[slot].Gva, size, null, (ulong)slot), "send");
        }
        finally
        {
            await app.ShutdownAsync(fd, 1);
            await app.CloseAsync(fd);
            foreach (var buffer in buffers)
            {
                app.Free(buffer);
            }
        }
    }

    /// <summary>
    /// Keeps <paramref name="inflight"/> operations on a ring until the window is over, then reaps what is still
    /// out. ENOBUFS and EAGAIN count as an overloaded stack (the datagram is not delivered), anything else ends the run.
    /// </summary>
    private static async Task<string?> RunRingAsync(Libc app, int inflight, MeasureWindow window, CancellationToken stop, Func<IoRing, int, bool> prepare, string call)
    {
        var error = app.TryCreateRing((int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)inflight), out var ring);
        if (error != Errno.None)
        {
            return $"ring: {error}";
        }

        using (ring)
        {
            for (int slot = 0; slot < inflight; slot++)
            {
                prepare(ring!, slot);
            }

            window.Start();
            ring!.Submit();
            string? firstError = null;
            using var drain = new CancellationTokenSource();
            while (ring.Outstanding > 0)
            {
                if (window.Over || stop.IsCancellationRequested)
                {
                    // Reap what is still out, for at most 10 s.
                    drain.CancelAfter(TimeSpan.FromSeconds(10));
                }

                var waited = await ring.WaitAsync(drain.Token);
                if (waited != Errno.None)
                {
                    return firstError ?? (waited == Errno.EINTR ? null : $"ring: {waited}");
                }

                while (ring.TryReap(out var completion))
                {
                    if (!completion.IsOk && completion.Error is not (Errno.ENOBUFS or Errno.EAGAIN))
                    {
                        firstError ??= $"{call}: {completion.Error}";
                    }

                    if (firstError is null && !window.Over && !stop.IsCancellationRequested)
                    {
                        prepare(ring, (int)completion.UserData);
                    }
                }

                ring.Submit();
            }

            return firstError;
        }
    }
}
