using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Edsos.Host.Demo;
using Edsos.SocketService;

namespace Edsos.Host.Bench;

/// <summary>
/// <c>edsos bench datapath</c>: the demo's echo (one round in flight, every byte checked) in zero-copy
/// mode, in copy mode and over the Linux kernel's own loopback in this process, measured in steady
/// state. Each mode warms up until two successive runs agree within 10 % and the JIT was quiet during the
/// last (<see cref="JitQuiet"/>: tiered JIT makes the first seconds of a .NET process unrepresentative), then the modes run interleaved (A B C, C B A, ...) for
/// the repetitions; a row gives the median rounds per second with the minimum and maximum, and the
/// median CPU time and allocation per round. Ratios are read from one run.
/// </summary>
public static class DatapathBench
{
    private const double SettledWithin = 0.10;
    private static readonly JsonSerializerOptions s_json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = false,
    };

    /// <summary>The modes of every case, in their first-repetition order.</summary>
    public static readonly IReadOnlyList<string> Modes = ["zerocopy", "copy", "linux"];

    /// <summary>
    /// The modes a <c>--modes</c> list names (comma-separated, any of <see cref="Modes"/>), in <see cref="Modes"/>'
    /// order; all of them for null or empty. Null with the reason for a name that is not a mode.
    /// </summary>
    public static IReadOnlyList<string>? ModesFor(string? list, out string? error)
    {
        error = null;
        if (string.IsNullOrWhiteSpace(list))
        {
            return Modes;
        }

        var named = list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        foreach (string name in named)
        {
            if (!Modes.Contains(name))
            {
                error = $"--modes takes {string.Join(", ", Modes)}, not '{name}'";
                return null;
            }
        }

        return Modes.Where(named.Contains).ToArray();
    }

    /// <summary>
    /// Runs the bench and writes the table (or, with <paramref name="json"/>, one JSON object
    /// <c>{"rows":[...]}</c>) to <paramref name="output"/>. Returns 0 when every round of every run
    /// echoed right and nothing leaked, 1 otherwise (the reasons on <paramref name="error"/>), 2 for
    /// invalid options. When <paramref name="stop"/> fires (a signal) the bench stops after the run under
    /// way and reports the repetitions made.
    /// </summary>
    public static async Task<int> RunAsync(DatapathBenchOptions options, bool json, TextWriter output, TextWriter error, CancellationToken stop = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        if (options.Cases.Count == 0 || options.Repetitions < 1 || options.RoundSeconds <= 0 || options.Rounds is < 1)
        {
            await error.WriteLineAsync("edsos bench datapath: needs at least one case, one repetition, a positive round time and at least one round");
            return 2;
        }

        using var sampler = AllocationSampler.FromEnvironment();
        var rows = new List<DatapathBenchRow>();
        var failures = new List<string>();
        foreach (var (proto, size) in options.Cases)
        {
            if (stop.IsCancellationRequested)
            {
                break;
            }

            if (!json)
            {
                await error.WriteLineAsync($"bench datapath: {proto} {size} bytes: warming up, then {options.Repetitions} interleaved repetitions per mode");
            }

            rows.AddRange(await MeasureCaseAsync(proto, size, options, failures, stop));
        }

        if (json)
        {
            await output.WriteLineAsync(JsonSerializer.Serialize(new { rows, interrupted = stop.IsCancellationRequested }, s_json));
        }
        else
        {
            await WriteTableAsync(rows, output);
            if (stop.IsCancellationRequested)
            {
                await output.WriteLineAsync("(interrupted: the table shows the repetitions made)");
            }
        }

        foreach (string failure in failures)
        {
            await error.WriteLineAsync($"edsos bench datapath: {failure}");
        }

        sampler?.WriteTo(error);
        if (SpareWakes.Describe("datapath") is { } spares)
        {
            await error.WriteLineAsync(spares);
        }

        return failures.Count == 0 ? 0 : 1;
    }

    private static async Task<List<DatapathBenchRow>> MeasureCaseAsync(string proto, int size, DatapathBenchOptions options, List<string> failures, CancellationToken stop)
    {
        bool tcp = proto == "tcp";
        var demo = new DemoOptions
        {
            Proto = proto,
            Size = size,
            Pings = 0,
            Tso = true,
            ReceiveBuffer = options.ReceiveBuffer,

            // As Linux's loopback beside it (MTU 65536): a datagram or a super-segment crosses the wire as one frame.
            LargeFrames = true,

            // One round in flight for TCP too, as Linux's echo beside it does.
            OneWriteInFlight = true,
        };
        using var linux = LinuxLoopbackEcho.Open(tcp, size);
        var runners = new Dictionary<string, Func<int, Task<Sample>>>
        {
            ["zerocopy"] = rounds => RunEdsosAsync(demo with { Mode = DataPathMode.ZeroCopy, Sends = rounds }, failures, stop),
            ["copy"] = rounds => RunEdsosAsync(demo with { Mode = DataPathMode.Copy, Sends = rounds }, failures, stop),
            ["linux"] = rounds => Task.FromResult(RunLinux(linux, rounds, proto, size, failures)),
        };

        // Warm every mode until its rate settles; that rate sets the rounds of a measured repetition.
        var rounds = new Dictionary<string, int>();
        var modes = options.Modes;
        foreach (string mode in modes)
        {
            rounds[mode] = await WarmUpAsync(runners[mode], options, tcp, size, stop);
        }

        var samples = modes.ToDictionary(m => m, _ => new List<Sample>());
        for (int rep = 0; rep < options.Repetitions && !stop.IsCancellationRequested; rep++)
        {
            // A B C, C B A, A B C...: each mode sees the machine's drift from both sides.
            var order = rep % 2 == 0 ? modes : modes.Reverse();
            foreach (string mode in order)
            {
                if (stop.IsCancellationRequested)
                {
                    break;
                }

                samples[mode].Add(await runners[mode](rounds[mode]));
            }
        }

        var rows = new List<DatapathBenchRow>();
        foreach (string mode in modes)
        {
            var taken = samples[mode];
            if (taken.Count == 0)
            {
                continue;
            }

            var rates = taken.Select(s => s.RoundsPerS).Order().ToArray();
            rows.Add(new DatapathBenchRow(
                proto,
                size,
                mode,
                Median(rates),
                rates[0],
                rates[^1],
                Median(taken.Select(s => s.CpuUsPerRound).Order().ToArray()),
                Median(taken.Select(s => s.AllocBytesPerRound).Order().ToArray()),
                taken.Count,
                rounds[mode]));
        }

        return rows;
    }

    private static async Task<int> WarmUpAsync(Func<int, Task<Sample>> run, DatapathBenchOptions options, bool tcp, int size, CancellationToken stop)
    {
        if (options.Rounds is int fixedRounds)
        {
            await run(fixedRounds);
            return fixedRounds;
        }

        // Start small, grow until a run lasts a quarter of the target, then repeat until two agree.
        int rounds = tcp || size > 16384 ? 10 : 50;
        double? previous = null;
        var warm = Stopwatch.StartNew();
        while (!stop.IsCancellationRequested)
        {
            var jit = JitQuiet.Start();
            var sample = await run(rounds);
            long compiled = jit.Compiled;
            if (Environment.GetEnvironmentVariable("EDSOS_BENCH_TRACE") == "1")
            {
                await Console.Error.WriteLineAsync($"bench datapath: warm-up run of {rounds} rounds: {sample.RoundsPerS:F0} rounds/s, {compiled} methods compiled meanwhile, {warm.Elapsed.TotalSeconds:F1} s");
            }

            double seconds = rounds / Math.Max(sample.RoundsPerS, 1e-9);

            // Settled: two runs agree, and the JIT was (nearly) quiet during the last one (JitQuiet says why).
            bool settled = compiled <= JitQuiet.QuietMethods && previous is double p && Math.Abs(sample.RoundsPerS - p) <= SettledWithin * Math.Max(p, sample.RoundsPerS);
            if (seconds < options.RoundSeconds / 4)
            {
                rounds = Math.Max(rounds * 2, (int)(sample.RoundsPerS * options.RoundSeconds / 4));
                previous = null;
                continue;
            }

            if (!settled && warm.Elapsed.TotalSeconds >= options.MaxWarmupSeconds)
            {
                await Console.Error.WriteLineAsync($"bench datapath: warm-up stopped after {options.MaxWarmupSeconds:F0} s without settling (last run {sample.RoundsPerS:F0} rounds/s, {compiled} methods compiled during it); measuring anyway");
            }

            if (settled || warm.Elapsed.TotalSeconds >= options.MaxWarmupSeconds)
            {
                return Math.Max(10, (int)(sample.RoundsPerS * options.RoundSeconds));
            }

            previous = sample.RoundsPerS;
        }

        return rounds;
    }

    private static async Task<Sample> RunEdsosAsync(DemoOptions options, List<string> failures, CancellationToken stop)
    {
        var report = await DemoRunner.RunAsync(options, null, stop);
        if (!report.Interrupted && (report.EchoedOk != report.Sends || report.LeakedPages != 0 || report.LeakedNodes != 0 || report.DoubleReleases != 0))
        {
            string label = $"{options.Proto} {options.Size} {(options.Mode == DataPathMode.Copy ? "copy" : "zerocopy")}";
            failures.Add($"{label}: {report.EchoedOk}/{report.Sends} echoed, {report.LeakedPages} pages and {report.LeakedNodes} nodes leaked, {report.DoubleReleases} double releases");
            foreach (string line in report.Errors.Concat(report.Leaks).Take(5))
            {
                failures.Add($"  {label}: {line}");
            }
        }

        return new Sample(report.SendsPerSec, report.CpuUsPerRound, report.AllocBytesPerRound);
    }

    private static Sample RunLinux(LinuxLoopbackEcho linux, int rounds, string proto, int size, List<string> failures)
    {
        long bad = linux.BadRounds;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        long allocated = GC.GetTotalAllocatedBytes(precise: false);
        long start = Stopwatch.GetTimestamp();
        linux.Run(rounds);
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        double cpuUs = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMicroseconds;
        long allocatedNow = GC.GetTotalAllocatedBytes(precise: false);
        if (linux.BadRounds != bad)
        {
            failures.Add($"{proto} {size} linux: {linux.BadRounds - bad} echoes differed from what was sent");
        }

        return new Sample(rounds / seconds, cpuUs / rounds, (double)(allocatedNow - allocated) / rounds);
    }

    private static async Task WriteTableAsync(List<DatapathBenchRow> rows, TextWriter output)
    {
        await output.WriteLineAsync("Echo, one round in flight, every byte checked; median of interleaved repetitions after warm-up");
        await output.WriteLineAsync($"{"proto",-5} {"size",6} {"mode",-9} {"rounds/s",10} {"min",10} {"max",10} {"cpu µs/round",13} {"alloc B/round",14}");
        foreach (var r in rows)
        {
            await output.WriteLineAsync(string.Create(
                CultureInfo.InvariantCulture,
                $"{r.Proto,-5} {r.Size,6} {r.Mode,-9} {r.RoundsPerS,10:N0} {r.RoundsPerSMin,10:N0} {r.RoundsPerSMax,10:N0} {r.CpuUsPerRound,13:N1} {r.AllocBytesPerRound,14:N0}"));
        }

        foreach (var group in rows.GroupBy(r => (r.Proto, r.Size)))
        {
            var byMode = group.ToDictionary(r => r.Mode);
            if (!byMode.TryGetValue("zerocopy", out var zc))
            {
                continue;
            }

            string copy = byMode.TryGetValue("copy", out var c) ? Ratio(zc, c) : "n/a";
            string linux = byMode.TryGetValue("linux", out var l) ? Ratio(zc, l) : "n/a";
            await output.WriteLineAsync($"{group.Key.Proto} {group.Key.Size}: zero copy / copy {copy}, zero copy / linux {linux} (rounds per second)");
            if (byMode.TryGetValue("copy", out c) && c.RoundsPerS > 0 && zc.RoundsPerS > c.RoundsPerS)
            {
                // What copying costs bounds the ratio: copy = zero copy + that cost, so 1.5× needs a zero-copy round of at most twice it.
                double zcUs = 1e6 / zc.RoundsPerS, copyUs = 1e6 / c.RoundsPerS;
                string linuxUs = byMode.TryGetValue("linux", out l) && l.RoundsPerS > 0 ? string.Create(CultureInfo.InvariantCulture, $", {1e6 / l.RoundsPerS:0.0} linux") : "";
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  a round takes {zcUs:0.0} µs zero copy, {copyUs:0.0} copy{linuxUs}: copying adds {copyUs - zcUs:0.0} µs, so 1.5× needs a zero-copy round of at most {2 * (copyUs - zcUs):0.0} µs"));
            }
        }
    }

    private static string Ratio(DatapathBenchRow a, DatapathBenchRow b) =>
        b.RoundsPerS > 0 ? string.Create(CultureInfo.InvariantCulture, $"{a.RoundsPerS / b.RoundsPerS:0.00}×") : "n/a";

    private static double Median(double[] sorted) =>
        sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;

    private readonly record struct Sample(double RoundsPerS, double CpuUsPerRound, double AllocBytesPerRound);
}
