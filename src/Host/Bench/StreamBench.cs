using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Edsos.Driver.Wires;
using Edsos.Host.Demo;
using Edsos.Kpn;
using Edsos.Protocol;
using Edsos.Protocol.Tcp;
using Edsos.Protocol.Wire;
using Edsos.SocketService;

namespace Edsos.Host.Bench;

/// <summary>
/// <c>edsos bench stream</c>: many sends in flight, one way. UDP: <c>inflight</c> tasks of host A's app
/// each send datagrams from their own buffer as fast as the stack takes them to a sink app on host B,
/// which receives and frees (zero copy) or copies out (copy mode); the figure is datagrams per second
/// delivered to the sink. TCP: one writer streams writes to a reading sink; the figure is goodput in
/// Gbit/s. Beside them, the Linux kernel's loopback in the same shape (<see cref="System.Net.Sockets"/>).
/// Each mode warms up until two runs agree within 10 % with the JIT quiet, then the modes run interleaved over the repetitions and each row is
/// the median with the minimum and maximum. The first 20 % of every run is not counted.
/// </summary>
public static partial class StreamBench
{
    private const ushort SinkPort = 9;
    /// <summary>Most warm-up time per mode before measuring anyway (the JIT may never go quiet on a loaded machine).</summary>
    public const double DefaultMaxWarmUpSeconds = 20;

    // The shape of Linux's loopback beside it: 64 KiB frames on the wire (its MTU is 65536) and a receive window well
    // past one write (Linux autotunes its buffer to megabytes; here 1 MiB, which the NIC's RX ring clamps further).
    private const bool LargeFrames = true;
    private static readonly TcpOptions StreamTcp = new() { ReceiveBuffer = 1 << 20 };
    private static readonly JsonSerializerOptions s_json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>The default cases: UDP 1 KiB datagrams and TCP 64 KiB writes.</summary>
    public static readonly IReadOnlyList<(string Proto, int Size)> DefaultCases = [("udp", 1024), ("tcp", 65536)];

    /// <summary>
    /// Runs the bench and writes a table (or one JSON object <c>{"rows":[...]}</c>) to
    /// <paramref name="output"/>. Returns 0 when every run ended clean (no leak, no failed syscall
    /// other than the ones the stop causes), 1 otherwise, 2 for invalid options. Each mode's warm-up lasts at most
    /// <paramref name="maxWarmUpSeconds"/>.
    /// </summary>
    public static async Task<int> RunAsync(IReadOnlyList<(string Proto, int Size)> cases, int repetitions, double seconds, int inflight, bool json, TextWriter output, TextWriter error, CancellationToken stop = default, IReadOnlyList<string>? modes = null, double maxWarmUpSeconds = DefaultMaxWarmUpSeconds)
    {
        modes ??= DatapathBench.Modes;
        ArgumentNullException.ThrowIfNull(cases);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        if (cases.Count == 0 || repetitions < 1 || seconds <= 0 || inflight < 1)
        {
            await error.WriteLineAsync("edsos bench stream: needs a case, a repetition, positive --seconds and --inflight");
            return 2;
        }

        using var sampler = AllocationSampler.FromEnvironment();
        var failures = new List<string>();
        var rows = new List<StreamBenchRow>();
        var duration = TimeSpan.FromSeconds(seconds);
        foreach (var (proto, size) in cases)
        {
            bool tcp = proto == "tcp";
            if (!json)
            {
                await error.WriteLineAsync($"bench stream: {proto} {size} bytes: warming each mode up until its rate settles, then {repetitions} interleaved");
            }

            var runs = new Dictionary<string, Func<TimeSpan, Task<Sample>>>
            {
                ["zerocopy"] = d => RunEdsosAsync(tcp, DataPathMode.ZeroCopy, size, inflight, d, failures, stop),
                ["copy"] = d => RunEdsosAsync(tcp, DataPathMode.Copy, size, inflight, d, failures, stop),
                ["linux"] = d => Task.Run(() => tcp ? RunLinuxTcp(size, d, failures) : RunLinuxUdp(size, inflight, d, failures)),
            };
            var samples = modes.ToDictionary(m => m, _ => new List<Sample>());
            foreach (string mode in modes)
            {
                await WarmUpAsync(runs[mode], TimeSpan.FromSeconds(Math.Min(1, seconds)), tcp, maxWarmUpSeconds, stop);
            }

            for (int rep = 0; rep < repetitions && !stop.IsCancellationRequested; rep++)
            {
                foreach (string mode in rep % 2 == 0 ? modes : modes.Reverse())
                {
                    if (!stop.IsCancellationRequested)
                    {
                        samples[mode].Add(await runs[mode](duration));
                    }
                }
            }

            foreach (string mode in modes)
            {
                if (samples[mode].Count == 0)
                {
                    continue;
                }

                var unit = samples[mode].Select(s => tcp ? s.BytesPerS * 8 / 1e9 : s.DatagramsPerS).Order().ToArray();
                double median = unit[unit.Length / 2];
                double cpu = samples[mode].Select(s => s.CpuUsPerMb).Order().ElementAt(unit.Length / 2);
                double alloc = samples[mode].Select(s => s.AllocBytesPerMb).Order().ElementAt(unit.Length / 2);
                rows.Add(new StreamBenchRow(proto, size, mode, tcp ? 0 : median, tcp ? median : 0, unit[0], unit[^1], cpu, unit.Length, alloc));
            }
        }

        if (json)
        {
            await output.WriteLineAsync(JsonSerializer.Serialize(new { rows, interrupted = stop.IsCancellationRequested }, s_json));
        }
        else
        {
            await output.WriteLineAsync($"One-way stream, {inflight} UDP sends in flight (TCP: one writer), median of interleaved repetitions of {seconds:0.#} s");
            await output.WriteLineAsync($"{"proto",-5} {"size",6} {"mode",-9} {"rate",14} {"min",10} {"max",10} {"cpu µs/MB",10} {"alloc B/MB",10}");
            foreach (var r in rows)
            {
                string rate = r.Proto == "tcp" ? $"{r.GbitPerS:0.000} Gbit/s" : $"{r.DatagramsPerS:N0} dgram/s";
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{r.Proto,-5} {r.Size,6} {r.Mode,-9} {rate,14} {r.Min,10:0.###} {r.Max,10:0.###} {r.CpuUsPerMb,10:N0} {r.AllocBytesPerMb,10:N0}"));
            }

            foreach (var group in rows.GroupBy(r => (r.Proto, r.Size)))
            {
                var m = group.ToDictionary(r => r.Mode, r => r.Proto == "tcp" ? r.GbitPerS : r.DatagramsPerS);
                if (m.TryGetValue("zerocopy", out double zc) && m.TryGetValue("copy", out double c) && m.TryGetValue("linux", out double l) && c > 0 && l > 0)
                {
                    await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{group.Key.Proto} {group.Key.Size}: zero copy / copy {zc / c:0.00}×, zero copy / linux {zc / l:0.00}×"));
                }
            }
        }

        sampler?.WriteTo(error);
        foreach (string failure in failures)
        {
            await error.WriteLineAsync($"edsos bench stream: {failure}");
        }

        if (SpareWakes.Describe("stream") is { } spares)
        {
            await error.WriteLineAsync(spares);
        }

        return failures.Count == 0 ? 0 : 1;
    }

    /// <summary>
    /// Warms a mode up until two successive runs agree within 10 % and the JIT was quiet during the last
    /// (<see cref="JitQuiet"/>: the first seconds run unoptimised code, for longer on a loaded machine), for at most <paramref name="maxSeconds"/>.
    /// </summary>
    private static async Task WarmUpAsync(Func<TimeSpan, Task<Sample>> run, TimeSpan duration, bool tcp, double maxSeconds, CancellationToken stop)
    {
        var warm = Stopwatch.StartNew();
        double? previous = null;
        while (!stop.IsCancellationRequested && warm.Elapsed.TotalSeconds < maxSeconds)
        {
            var jit = JitQuiet.Start();
            var sample = await run(duration);
            double rate = tcp ? sample.BytesPerS : sample.DatagramsPerS;
            if (jit.IsQuiet && previous is double p && Math.Abs(rate - p) <= 0.10 * Math.Max(p, rate))
            {
                return;
            }

            previous = rate;
        }

        if (!stop.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync($"bench stream: warm-up stopped after {maxSeconds:F0} s without settling; measuring anyway");
        }
    }

    private static async Task<Sample> RunEdsosAsync(bool tcp, DataPathMode mode, int size, int inflight, TimeSpan duration, List<string> failures, CancellationToken stop)
    {
        var demo = new DemoOptions { Proto = tcp ? "tcp" : "udp", Size = size, Mode = mode, Pings = 0 };
        var (wireA, wireB) = LoopbackWire.CreatePair();
        var optionsA = DemoRunner.HostOptions("A", DemoRunner.AddressA, "02:00:00:00:00:01", demo) with { Tcp = StreamTcp, ArenaPages = 16384, LargeFrames = LargeFrames };
        var optionsB = DemoRunner.HostOptions("B", DemoRunner.AddressB, "02:00:00:00:00:02", demo) with { Tcp = StreamTcp, ArenaPages = 16384, LargeFrames = LargeFrames };
        var hostA = await EdsosHost.StartAsync(optionsA, wireA);
        var hostB = await EdsosHost.StartAsync(optionsB, wireB);
        string label = $"{demo.Proto} {size} {(mode == DataPathMode.Copy ? "copy" : "zerocopy")}";
        try
        {
            var sink = new Sink(hostB.StartProcess("sink"), mode, tcp, size);
            await sink.OpenAsync();
            var app = hostA.StartProcess("app");
            using var window = new MeasureWindow(duration, sink);
            // Zero copy runs on the rings (many operations per signal to the KPN); copy mode on the classic calls.
            var sendErrors = (tcp, mode) switch
            {
                (true, DataPathMode.ZeroCopy) => await StreamTcpRingAsync(app, size, inflight, window, stop),
                (true, _) => await StreamTcpAsync(app, size, window, stop),
                (false, DataPathMode.ZeroCopy) => await BlastUdpRingAsync(app, size, inflight, window, stop),
                _ => await BlastUdpAsync(app, size, inflight, window, stop),
            };
            var (datagrams, bytes) = window.Counted();
            await Task.Delay(100);
            await sink.CloseAsync();
            await hostA.StopAsync();
            await hostB.StopAsync();
            foreach (var (name, memory) in new[] { ("A", hostA.Memory), ("B", hostB.Memory) })
            {
                var leaks = memory.GetLeakReport();
                if (!leaks.IsClean)
                {
                    failures.Add($"{label}: host {name} leaked: {leaks}");
                }
            }

            if (sendErrors is { } e)
            {
                failures.Add($"{label}: {e}");
            }

            if (sink.FirstBad is { } bad)
            {
                failures.Add($"{label}: sink: {bad}");
            }

            return window.Sample(datagrams, bytes);
        }
        finally
        {
            await hostA.DisposeAsync();
            await hostB.DisposeAsync();
        }
    }

    private static async Task<string?> BlastUdpAsync(Libc app, int size, int inflight, MeasureWindow window, CancellationToken stop)
    {
        var socket = await app.SocketAsync(2, SocketKind.Dgram, 0);
        if (!socket.IsOk)
        {
            return $"socket: {socket.Error}";
        }

        int fd = (int)socket.Value;
        var destination = new Ipv4Endpoint(DemoRunner.AddressB.Address, SinkPort);
        string? firstError = null;
        async Task SendLoopAsync(int lane)
        {
            var buffer = app.Alloc(size);
            var pattern = new byte[size];
            DatagramPattern.Fill(pattern, StreamDatagram);
            app.WriteBuffer(buffer, 0, pattern);
            try
            {
                while (!window.Over && !stop.IsCancellationRequested)
                {
                    var sent = await app.SendToAsync(fd, buffer.Gva, size, destination);
                    if (!sent.IsOk && sent.Error is not (Errno.ENOBUFS or Errno.EAGAIN))
                    {
                        firstError ??= $"sendto: {sent.Error}";
                        return;
                    }
                }
            }
            finally
            {
                app.Free(buffer);
            }
        }

        var lanes = Enumerable.Range(0, inflight).Select(SendLoopAsync).ToArray();
        window.Start();
        await Task.WhenAll(lanes);
        await app.CloseAsync(fd);
        return firstError;
    }

    /// <summary>A stream socket of <paramref name="app"/> connected to B's sink: its descriptor, or the failed call in words (the socket closed).</summary>
    private static async Task<(int Fd, string? Error)> ConnectToSinkAsync(Libc app)
    {
        var socket = await app.SocketAsync(2, SocketKind.Stream, 0);
        if (!socket.IsOk)
        {
            return (-1, $"socket: {socket.Error}");
        }

        int fd = (int)socket.Value;
        var connected = await app.ConnectAsync(fd, new Ipv4Endpoint(DemoRunner.AddressB.Address, SinkPort));
        if (!connected.IsOk)
        {
            await app.CloseAsync(fd);
            return (-1, $"connect: {connected.Error}");
        }

        return (fd, null);
    }

    private static async Task<string?> StreamTcpAsync(Libc app, int size, MeasureWindow window, CancellationToken stop)
    {
        var (fd, refused) = await ConnectToSinkAsync(app);
        if (refused is not null)
        {
            return refused;
        }

        var buffer = app.Alloc(size);
        var pattern = new byte[size];
        StreamPattern.Fill(pattern, 0);
        app.WriteBuffer(buffer, 0, pattern);
        string? error = null;
        window.Start();
        try
        {
            while (!window.Over && !stop.IsCancellationRequested)
            {
                var sent = await app.SendAsync(fd, buffer.Gva, size);
                if (!sent.IsOk)
                {
                    error = $"send: {sent.Error}";
                    break;
                }
            }
        }
        finally
        {
            await app.ShutdownAsync(fd, 1);
            await app.CloseAsync(fd);
            app.Free(buffer);
        }

        return error;
    }

    private static Sample RunLinuxUdp(int size, int inflight, TimeSpan duration, List<string> failures)
    {
        var check = new PayloadCheck(tcp: false, size);
        using var receiver = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = 4 << 20 };
        receiver.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var sink = new LinuxCounter();
        using var window = new MeasureWindow(duration, sink);
        var reader = new Thread(() =>
        {
            var buffer = new byte[65536];
            try
            {
                while (true)
                {
                    int n = receiver.Receive(buffer);
                    check.Check(buffer.AsSpan(0, n));
                    sink.Add(n);
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // Closed: the run is over.
            }
        }) { IsBackground = true };
        reader.Start();
        var senders = Enumerable.Range(0, Math.Min(inflight, Environment.ProcessorCount)).Select(_ => new Thread(() =>
        {
            using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            sender.Connect(receiver.LocalEndPoint!);
            var payload = new byte[size];
            DatagramPattern.Fill(payload, StreamDatagram);
            while (!window.Over)
            {
                try
                {
                    sender.Send(payload);
                }
                catch (SocketException)
                {
                    // ENOBUFS under overload: the kernel drops, as for us; go on.
                }
            }
        }) { IsBackground = true }).ToList();
        window.Start();
        senders.ForEach(t => t.Start());
        senders.ForEach(t => t.Join());
        var (datagrams, bytes) = window.Counted();
        receiver.Close();
        reader.Join(TimeSpan.FromSeconds(2));
        Report(check, $"udp {size} linux", failures);
        return window.Sample(datagrams, bytes);
    }

    private static Sample RunLinuxTcp(int size, TimeSpan duration, List<string> failures)
    {
        var check = new PayloadCheck(tcp: true, size);
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(listener.LocalEndPoint!);
        using var server = listener.Accept();
        var sink = new LinuxCounter();
        using var window = new MeasureWindow(duration, sink);
        var reader = new Thread(() =>
        {
            var buffer = new byte[65536];
            try
            {
                int n;
                while ((n = server.Receive(buffer)) > 0)
                {
                    check.Check(buffer.AsSpan(0, n));
                    sink.Add(n);
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // Closed: the run is over.
            }
        }) { IsBackground = true };
        reader.Start();
        var payload = new byte[size];
        StreamPattern.Fill(payload, 0);
        window.Start();
        while (!window.Over)
        {
            client.Send(payload);
        }

        var (datagrams, bytes) = window.Counted();
        client.Shutdown(SocketShutdown.Send);
        reader.Join(TimeSpan.FromSeconds(5));
        Report(check, $"tcp {size} linux", failures);
        return window.Sample(datagrams, bytes);
    }

    /// <summary>Adds what <paramref name="check"/> found wrong (a reader thread's, joined) to <paramref name="failures"/>.</summary>
    private static void Report(PayloadCheck check, string label, List<string> failures)
    {
        if (check.FirstBad is { } bad)
        {
            failures.Add($"{label}: reader: {bad}");
        }
    }

    private readonly record struct Sample(double DatagramsPerS, double BytesPerS, double CpuUsPerMb, double AllocBytesPerMb);

    /// <summary>What a receiver counted; read by the window at its edges.</summary>
    private interface ICounter
    {
        long Datagrams { get; }

        long Bytes { get; }
    }

    private sealed class LinuxCounter : ICounter
    {
        private long _datagrams;
        private long _bytes;

        public long Datagrams => Volatile.Read(ref _datagrams);

        public long Bytes => Volatile.Read(ref _bytes);

        public void Add(int bytes)
        {
            Interlocked.Increment(ref _datagrams);
            Interlocked.Add(ref _bytes, bytes);
        }
    }

    /// <summary>
    /// A run's clock: it starts with the senders, lets the first fifth of the run pass uncounted (queues
    /// filling, windows opening), then snapshots the receiver's counters, the process CPU time and the bytes it
    /// allocated at the start and the end of the measured part.
    /// </summary>
    private sealed class MeasureWindow(TimeSpan duration, ICounter counter) : IDisposable
    {
        private readonly Stopwatch _clock = new();
        private (long Datagrams, long Bytes, TimeSpan Cpu, long Ticks, long Allocated) _first;
        private (long Datagrams, long Bytes, TimeSpan Cpu, long Ticks, long Allocated) _last;
        private volatile bool _over;

        public bool Over => _over;

        public double Seconds => Math.Max((_last.Ticks - _first.Ticks) / (double)Stopwatch.Frequency, 1e-9);

        public double CpuUs => (_last.Cpu - _first.Cpu).TotalMicroseconds;

        public void Start()
        {
            _clock.Start();

            // One sequence, so the end is never taken before the start however late the pool runs it.
            _ = Task.Run(async () =>
            {
                await Task.Delay(duration / 5).ConfigureAwait(false);
                Snap(ref _first);
                await Task.Delay(duration).ConfigureAwait(false);
                Snap(ref _last);
                _over = true;
            });
        }

        public (double Datagrams, double Bytes) Counted()
        {
            SpinWait.SpinUntil(() => _over);
            return (_last.Datagrams - _first.Datagrams, _last.Bytes - _first.Bytes);
        }

        /// <summary>The run's figures from what <see cref="Counted"/> returned.</summary>
        public Sample Sample(double datagrams, double bytes)
        {
            double mb = Math.Max(bytes / 1e6, 1e-9);
            return new Sample(datagrams / Seconds, bytes / Seconds, CpuUs / mb, (_last.Allocated - _first.Allocated) / mb);
        }

        public void Dispose() => _clock.Stop();

        private void Snap(ref (long Datagrams, long Bytes, TimeSpan Cpu, long Ticks, long Allocated) at)
        {
            at = (counter.Datagrams, counter.Bytes, Process.GetCurrentProcess().TotalProcessorTime, Stopwatch.GetTimestamp(), GC.GetTotalAllocatedBytes(precise: false));
        }
    }
}
