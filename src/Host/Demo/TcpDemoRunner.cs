using System.Diagnostics;
using Edsos.Driver;
using Edsos.Driver.Wires;
using Edsos.Kpn;
using Edsos.Memory;
using Edsos.Protocol;
using Edsos.Protocol.Tcp;
using Edsos.Protocol.Wire;
using Akka.Actor;
using Edsos.Scheduler;
using Edsos.SocketService;

namespace Edsos.Host.Demo;

/// <summary>
/// The TCP demo (<c>edsos demo --proto tcp</c>): host A connects to the echo app on B port 7, a writer
/// streams <c>--sends</c> writes of <c>--size</c> bytes while a reader checks every echoed byte against the
/// stream pattern, then A half-closes, reads to the echo's end and closes. With <c>--loss P</c> both ends of
/// the wire drop frames with probability P on a seeded schedule. Afterwards both hosts stop and their leak
/// reports and the TCP counters (retransmits, bytes acknowledged) are read.
/// </summary>
public static class TcpDemoRunner
{
    private static readonly TimeSpan s_settle = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan s_counterWait = TimeSpan.FromSeconds(5);

    /// <summary>How long an interrupted run still reads the echo of what it wrote before it closes.</summary>
    private static readonly TimeSpan s_drainAfterStop = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Runs one TCP demo. <paramref name="progress"/> (may be null) gets the number of writes echoed in full.
    /// When <paramref name="stop"/> fires (a signal), no further write starts, the echo of what was written is
    /// read for at most a second, the socket closes and the report covers the writes made.
    /// Throws <see cref="InvalidOperationException"/> when the echo app cannot listen or the client cannot connect.
    /// </summary>
    public static async Task<DemoReport> RunAsync(DemoOptions options, IProgress<int>? progress = null, CancellationToken stop = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var (wireA, wireB) = LoopbackWire.CreatePair();
        // Disarmed until the pings are done: ICMP does not retransmit, so a lossy wire would fail pings that say
        // nothing about TCP. The pings check the path first, on a perfect wire; then the loss is armed for TCP.
        LossyWire? lossyA = options.Loss > 0 ? new LossyWire(wireA, new LossyWireOptions { Seed = 1, Drop = options.Loss }) { Armed = false } : null;
        LossyWire? lossyB = options.Loss > 0 ? new LossyWire(wireB, new LossyWireOptions { Seed = 2, Drop = options.Loss }) { Armed = false } : null;
        PcapWriter? pcap = options.PcapPath is null ? null : new PcapWriter(File.Create(options.PcapPath));

        // The mirror sits on A's end above the loss: it sees what A sent (even if the wire then lost it) and what reached A.
        IWire innerA = lossyA ?? (IWire)wireA;
        PcapMirrorWire? mirror = pcap is null ? null : new PcapMirrorWire(innerA, pcap);
        IWire endA = mirror ?? innerA;
        IWire endB = lossyB ?? (IWire)wireB;

        var total = Stopwatch.StartNew();
        var hostA = await EdsosHost.StartAsync(HostOptions("A", DemoRunner.AddressA, "02:00:00:00:00:01", options), endA);
        var hostB = await EdsosHost.StartAsync(HostOptions("B", DemoRunner.AddressB, "02:00:00:00:00:02", options), endB);
        try
        {
            options.HostsStarted?.Invoke(hostA, hostB);
            var echo = new TcpEchoServer(hostB.StartProcess("echo"), options.Mode) { NoDelay = options.OneWriteInFlight };
            Errno listening = await echo.ListenAsync(new Ipv4Endpoint(Ipv4Address.Any, DemoRunner.EchoPort));
            if (listening != Errno.None)
            {
                throw new InvalidOperationException($"echo app on host B could not listen on port {DemoRunner.EchoPort}: {listening}");
            }

            Task echoLoop = echo.RunAsync();
            var client = hostA.StartProcess("app");
            var pings = await DemoRunner.PingAsync(client, options.Pings, DemoRunner.AddressB.Address, stop);
            if (lossyA is not null && lossyB is not null)
            {
                lossyA.Armed = true;
                lossyB.Armed = true;
            }

            using var watch = new CancellationTokenSource();
            Task? watcher = Environment.GetEnvironmentVariable("EDSOS_TCP_TRACE") is null ? null : WatchAsync(hostA, hostB, watch.Token);
            var run = await RunClientAsync(client, options, progress, new Ipv4Endpoint(DemoRunner.AddressB.Address, DemoRunner.EchoPort), stop);
            watch.Cancel();
            if (run.Interrupted)
            {
                // The client closed early: the echo app ends on its own, but a stalled stream must not hold the exit.
                await Task.WhenAny(echoLoop, Task.Delay(s_drainAfterStop, CancellationToken.None));
            }
            else
            {
                await echoLoop;
            }

            if (echo.LastError != Errno.None)
            {
                run.Keep($"echo app stopped on {echo.LastError}");
            }

            if (pings.RoundTrips.Count < options.Pings)
            {
                run.Keep($"ping: {pings.RoundTrips.Count} of {options.Pings} echo replies came back (sent before the wire's loss was armed)");
            }

            // Both apps have closed; the last ACKs (of the echo's tail and the FINs) may still be on the wire.
            // Let them land, so the counters read below cover the whole stream.
            await SettleAsync(hostA, hostB, run.Interrupted ? TimeSpan.Zero : s_settle);
            var tcpA = await hostA.Inet.Tcp!.Ask<TcpCounters>(TcpProtocol.GetTcpCounters.Instance, s_counterWait);
            var tcpB = await hostB.Inet.Tcp!.Ask<TcpCounters>(TcpProtocol.GetTcpCounters.Instance, s_counterWait);
            if (watcher is not null)
            {
                await Console.Error.WriteLineAsync($"A: {tcpA}");
                await Console.Error.WriteLineAsync($"B: {tcpB}");
            }

            var nicA = await NicDriver.GetStatisticsAsync(hostA.Nic);
            var nicB = await NicDriver.GetStatisticsAsync(hostB.Nic);
            await hostA.StopAsync();
            await hostB.StopAsync();
            pcap?.Flush();
            return BuildReport(options, run, pings, nicA, nicB, tcpA, tcpB, hostA.Memory, hostB.Memory, mirror, total.Elapsed);
        }
        finally
        {
            await hostA.DisposeAsync();
            await hostB.DisposeAsync();
            lossyA?.Dispose();
            lossyB?.Dispose();
            pcap?.Dispose();
        }
    }

    /// <summary>With EDSOS_TCP_TRACE set: every 5 s, both hosts' connections on stderr (for stalls).</summary>
    private static async Task WatchAsync(EdsosHost a, EdsosHost b, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(5000, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            foreach (var host in new[] { a, b })
            {
                var list = await host.Inet.Tcp!.Ask<TcpProtocol.TcpConnections>(TcpProtocol.GetTcpConnections.Instance, s_counterWait);
                foreach (var connection in list.Connections)
                {
                    await Console.Error.WriteLineAsync($"{host.Options.Name}: {connection}");
                }

                var nic = await NicDriver.GetStatisticsAsync(host.Nic);
                var memory = host.Memory.Counters;
                await Console.Error.WriteLineAsync(
                    $"{host.Options.Name}: NIC rx {nic.FramesReceived} missed {nic.RxMissed} dropped {nic.RxDropped}; arena {memory.PagesInUse}/{memory.TotalPages} pages in use");
            }
        }
    }

    /// <summary>
    /// Waits (at most <paramref name="limit"/>) until no connection on either host has bytes or a FIN sent
    /// and not yet acknowledged: the closing handshake is over, up to TIME_WAIT.
    /// </summary>
    private static async Task SettleAsync(EdsosHost a, EdsosHost b, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (DateTime.UtcNow < deadline)
        {
            bool open = false;
            foreach (var host in new[] { a, b })
            {
                var list = await host.Inet.Tcp!.Ask<TcpProtocol.TcpConnections>(TcpProtocol.GetTcpConnections.Instance, s_counterWait);
                open |= list.Connections.Any(c => c.SndUna != c.SndMax);
            }

            if (!open)
            {
                return;
            }

            await Task.Delay(5);
        }
    }

    private static EdsosHostOptions HostOptions(string name, Ipv4Cidr address, string mac, DemoOptions options) =>
        DemoRunner.HostOptions(name, address, mac, options) with
        {
            // With large frames the MSS is the link's, as on Linux's loopback (MTU 65536, MSS 65483): a write of up to
            // 64 KiB is one segment, which the receiver may acknowledge late, with its answer (RFC 9293 3.8.6.3). At
            // 1460 a 4 KiB write crossed as a TSO super-frame the receiver counted as several full-sized segments, and
            // it sent a bare ACK at once ahead of every echo: four frames per round instead of two.
            Tcp = new TcpOptions { ReceiveBuffer = options.ReceiveBuffer, Mss = options.LargeFrames ? TcpOptions.MaxMss : new TcpOptions().Mss },

            // The client's write buffer, B's echo in flight and the receive windows: room for a few writes.
            ArenaPages = Math.Max(8192, (int)Math.Min(262_144, (3L * options.Size / 4096) + 4096)),
        };

    /// <summary>
    /// The TCP echo client against any echo server at <paramref name="destination"/> (host B, or Linux): the
    /// tally, the writes echoed right, and those echoed wrong. Throws <see cref="InvalidOperationException"/>
    /// when it cannot connect.
    /// </summary>
    internal static async Task<(EchoTally Tally, int Ok, int Bad)> RunEchoClientAsync(Libc libc, DemoOptions options, IProgress<int>? progress, Ipv4Endpoint destination, CancellationToken stop = default)
    {
        var run = await RunClientAsync(libc, options, progress, destination, stop);
        return (run, Math.Max(0, run.WritesEchoed - run.BadWritesBelow(run.WritesEchoed)), run.BadWrites);
    }

    private static async Task<Run> RunClientAsync(Libc libc, DemoOptions options, IProgress<int>? progress, Ipv4Endpoint destination, CancellationToken stop)
    {
        var socket = await libc.SocketAsync(2, SocketKind.Stream, 0);
        if (!socket.IsOk)
        {
            throw new InvalidOperationException($"socket() on host A failed: {socket.Error}");
        }

        int fd = (int)socket.Value;
        var connected = await libc.ConnectAsync(fd, destination);
        if (!connected.IsOk)
        {
            await libc.CloseAsync(fd);
            throw new InvalidOperationException($"connect() to the echo app failed: {connected.Error}");
        }

        if (options.OneWriteInFlight)
        {
            // Nagle off, as Linux's loopback echo beside it: a write's tail after its last full segment leaves at once.
            var noDelay = await libc.SetSockOptAsync(fd, SocketOption.NoDelay, 1);
            if (!noDelay.IsOk)
            {
                await libc.CloseAsync(fd);
                throw new InvalidOperationException($"setsockopt(TCP_NODELAY) failed: {noDelay.Error}");
            }
        }

        var run = new Run();
        long streamLength = (long)options.Sends * options.Size;
        run.SteadyAfter = options.Sends / 5;
        run.Planned = options.Sends;
        run.StartLoop();
        // After a signal: no new write, and a second for the write under way and the echo to finish.
        using var drained = new CancellationTokenSource();
        using var onStop = stop.Register(() => drained.CancelAfter(s_drainAfterStop));
        if (options.OneWriteInFlight)
        {
            // One flow writes and reads in turn (as the UDP echo does): no reader task, no hand-off between two.
            var writer = new EchoWriter(libc, fd, options, run, stop, drained.Token);
            try
            {
                await ReadAsync(libc, fd, options, streamLength, run, progress, drained.Token, writer);
            }
            finally
            {
                writer.Release();
            }
        }
        else
        {
            var reader = Task.Run(() => ReadAsync(libc, fd, options, streamLength, run, progress, drained.Token));
            await WriteAsync(libc, fd, options, run, stop, drained.Token);
            await ShutdownWritesAsync(libc, fd, run);
            await reader;
        }

        run.EndLoop();
        await libc.CloseAsync(fd);
        return run;
    }

    private static async Task ShutdownWritesAsync(Libc libc, int fd, Run run)
    {
        var shut = await libc.ShutdownAsync(fd, 1);
        if (!shut.IsOk)
        {
            run.Keep($"shutdown: {shut.Error}");
        }
    }

    private static async Task WriteAsync(Libc libc, int fd, DemoOptions options, Run run, CancellationToken stop, CancellationToken drained)
    {
        var writer = new EchoWriter(libc, fd, options, run, stop, drained);
        try
        {
            for (int i = 0; i < options.Sends; i++)
            {
                if (!await writer.WriteOnceAsync(i))
                {
                    return;
                }

            }
        }
        finally
        {
            writer.Release();
        }
    }

    /// <summary>The echo's writer: its buffer, pattern and flags, and one write of the stream at a time.</summary>
    private sealed class EchoWriter
    {
        private readonly Libc _libc;
        private readonly int _fd;
        private readonly DemoOptions _options;
        private readonly Run _run;
        private readonly CancellationToken _stop;
        private readonly CancellationToken _drained;
        private readonly MsgFlags _flags;

        // Copy mode writes from one buffer, as a Linux app does: its bytes are in the kernel once the call returns. Zero
        // copy with one write in flight too: once a write's echo is back whole, the echo's segments have acknowledged it
        // and TCP let go of its pages (were it still holding them, the next fill would be copy-on-write, counted).
        private readonly UserBuffer? _reused;

        public EchoWriter(Libc libc, int fd, DemoOptions options, Run run, CancellationToken stop, CancellationToken drained)
        {
            (_libc, _fd, _options, _run, _stop, _drained) = (libc, fd, options, run, stop, drained);

            // Zero copy writes with MSG_ZEROCOPY: each returns once the socket has its pages, as a copy-mode write returns
            // once its bytes are copied, so both modes keep SO_SNDBUF's worth in flight.
            bool zeroCopy = options.Mode == DataPathMode.ZeroCopy;
            _flags = zeroCopy ? MsgFlags.ZeroCopy : MsgFlags.None;
            _reused = zeroCopy && !options.OneWriteInFlight ? null : libc.Alloc(options.Size);
        }

        /// <summary>Frees copy mode's buffer.</summary>
        public void Release()
        {
            if (_reused is not null)
            {
                _libc.Free(_reused);
            }
        }

        /// <summary>Write number <paramref name="i"/>: false when the loop must stop (interrupted or failed, kept in the run).</summary>
        public async Task<bool> WriteOnceAsync(int i)
        {
            if (_stop.IsCancellationRequested)
            {
                _run.Interrupted = true;
                return false;
            }

            // Zero copy streaming: a fresh buffer per write. TCP still holds the last one's pages until they are
            // acknowledged, and writing into those would be copy-on-write (correct, but not what this demo measures).
            var buffer = _reused ?? _libc.Alloc(_options.Size);
            // Written where it lives, as an app producing its data in its own buffer would (no staging array).
            long offset = (long)i * _options.Size;
            Errno filled = _libc.FillBuffer(buffer, 0, _options.Size, ref offset, StreamPattern.Write);
            if (filled != Errno.None)
            {
                if (_reused is null)
                {
                    _libc.Free(buffer);
                }

                _run.Attempted++;
                _run.Keep($"fill #{i + 1}: {filled}");
                return false;
            }

            long start = Stopwatch.GetTimestamp();
            _run.WriteStarted.Enqueue(start);
            _run.Attempted++;
            SysResult sent;
            try
            {
                sent = await _libc.SendAsync(_fd, buffer.Gva, _options.Size, _flags, _drained);
            }
            catch (OperationCanceledException) when (_drained.IsCancellationRequested)
            {
                sent = SysResult.Fail(Errno.EINTR);
            }

            // TCP keeps its own reference to pages it has not had acknowledged: freeing ours is safe either way.
            if (_reused is null)
            {
                _libc.Free(buffer);
            }

            if (!sent.IsOk && sent.Error == Errno.EINTR && _drained.IsCancellationRequested)
            {
                // A stalled write cut by the signal: interrupted, not failed.
                _run.Attempted--;
                _run.Interrupted = true;
                return false;
            }

            _run.SendMicros.Record(Stopwatch.GetElapsedTime(start));
            if (!sent.IsOk || sent.Value != _options.Size)
            {
                _run.Keep($"send #{i + 1}: {(sent.IsOk ? $"sent {sent.Value} of {_options.Size}" : sent.Error.ToString())}");
                return false;
            }

            return true;
        }
    }

    /// <summary>
    /// Reads the echo and checks every byte. With <paramref name="writer"/> (one write in flight) it also makes the
    /// writes, each once the one before is echoed whole, and shuts the write side down after the last (or a failed) one.
    /// </summary>
    private static async Task ReadAsync(Libc libc, int fd, DemoOptions options, long streamLength, Run run, IProgress<int>? progress, CancellationToken stop, EchoWriter? writer = null)
    {
        UserBuffer? copyBuffer = options.Mode == DataPathMode.Copy ? libc.Alloc(64 * 1024) : null;
        long offset = 0;
        int writesDone = 0;
        int writesMade = 0;
        bool shut = writer is null;
        try
        {
            while (true)
            {
                if (!shut && writesMade == writesDone)
                {
                    if (writesMade < options.Sends && await writer!.WriteOnceAsync(writesMade))
                    {
                        writesMade++;
                    }
                    else
                    {
                        await ShutdownWritesAsync(libc, fd, run);
                        shut = true;
                    }
                }

                int length;
                var verifier = new StreamPattern.Verifier(offset);
                Errno visited;
                if (copyBuffer is null)
                {
                    var piece = await libc.RecvZeroCopyAsync(fd, MsgFlags.None, stop);
                    if (!piece.IsOk && piece.Error == Errno.EINTR)
                    {
                        stop.ThrowIfCancellationRequested();
                    }

                    if (!piece.IsOk)
                    {
                        run.Keep($"recv at stream offset {offset}: {piece.Error}");
                        return;
                    }

                    length = piece.Length;
                    visited = length > 0 ? libc.Visit(piece.Buffer!, 0, length, ref verifier, s_check) : Errno.None;
                    if (piece.Buffer is not null)
                    {
                        libc.Free(piece.Buffer);
                    }
                }
                else
                {
                    var received = await libc.RecvFromAsync(fd, copyBuffer.Gva, copyBuffer.Length, MsgFlags.None, stop);
                    if (!received.IsOk && received.Error == Errno.EINTR)
                    {
                        stop.ThrowIfCancellationRequested();
                    }

                    if (!received.IsOk)
                    {
                        run.Keep($"recv at stream offset {offset}: {received.Error}");
                        return;
                    }

                    length = (int)received.Value;
                    visited = length > 0 ? libc.Visit(copyBuffer, 0, length, ref verifier, s_check) : Errno.None;
                }

                if (length == 0)
                {
                    if (!run.Interrupted && offset != streamLength)
                    {
                        run.Keep($"the echo ended after {offset} of {streamLength} bytes");
                    }

                    return;
                }

                if (visited != Errno.None || verifier.FirstBad >= 0 || offset + length > streamLength)
                {
                    long bad = verifier.FirstBad >= 0 ? verifier.FirstBad : offset;
                    run.MarkBad((int)Math.Min(options.Sends - 1, bad / options.Size), $"echoed byte at stream offset {bad} is wrong");
                }

                offset += length;
                while (writesDone < options.Sends && offset >= (long)(writesDone + 1) * options.Size)
                {
                    // The writer queued this write's start before sending it, so it is there by now.
                    run.WriteStarted.TryDequeue(out long started);
                    run.Echoed(Stopwatch.GetElapsedTime(started));
                    writesDone++;
                    progress?.Report(writesDone);
                }

                run.WritesEchoed = writesDone;
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Interrupted, and the echo did not come back within the grace time: the report says how far it got.
            run.Interrupted = true;
        }
        finally
        {
            if (copyBuffer is not null)
            {
                libc.Free(copyBuffer);
            }
        }
    }

    private static readonly SegmentVisitor<StreamPattern.Verifier> s_check = static (ref StreamPattern.Verifier state, ReadOnlySpan<byte> segment) => state.Check(segment);

    private static DemoReport BuildReport(
        DemoOptions options, Run run, DemoRunner.PingTally pings, DriverProtocol.NicStatistics nicA, DriverProtocol.NicStatistics nicB, TcpCounters tcpA, TcpCounters tcpB,
        MemoryManager memoryA, MemoryManager memoryB, PcapMirrorWire? mirror, TimeSpan elapsed)
    {
        int bad = run.BadWrites;
        int ok = Math.Max(0, run.WritesEchoed - run.BadWritesBelow(run.WritesEchoed));
        var report = DemoReportBuilder.Build(
            options, "tcp", run, ok, bad, pings, nicA.FramesSent + nicB.FramesSent, memoryA, memoryB, mirror, elapsed);
        return report with
        {
            Loss = options.Loss,
            Retransmits = tcpA.Retransmits + tcpB.Retransmits,
            BytesAcked = tcpA.BytesAcked + tcpB.BytesAcked,
            TsoSends = tcpA.TsoSends + tcpB.TsoSends,
            TsoSegments = nicA.TsoSegments + nicB.TsoSegments,
        };
    }

    /// <summary>
    /// The client's tally. Memory stays bounded for any <c>--sends</c>: the start times of writes not
    /// yet echoed (at most what the buffers hold), and bad writes as a count, since the reader finds
    /// them in stream order.
    /// </summary>
    private sealed class Run : EchoTally
    {
        public readonly System.Collections.Concurrent.ConcurrentQueue<long> WriteStarted = new();
        public int BadWrites;
        public int WritesEchoed;
        private int _lastBadWrite = -1;

        /// <summary>Counts <paramref name="write"/> bad once (the reader reports in stream order, so marks never go back).</summary>
        public void MarkBad(int write, string error)
        {
            if (write > _lastBadWrite)
            {
                _lastBadWrite = write;
                BadWrites++;
                Keep(error);
            }
        }

        /// <summary>Bad writes among the first <paramref name="limit"/>: all but the last one when it lies beyond.</summary>
        public int BadWritesBelow(int limit) => _lastBadWrite >= limit ? BadWrites - 1 : BadWrites;
    }
}
