using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Akka.Actor;
using Edsos.Host.Demo;
using Edsos.Scheduler;
using Edsos.SocketService;

namespace Edsos.Host.Bench;

/// <summary>
/// <c>edsos bench hops</c>: where one echo round's time goes, actor turn by actor turn. Runs the datapath bench's echo
/// (the same hosts, large frames, one round in flight) and records, for the last rounds, every message an EDSRT actor of
/// either host handles (<see cref="EdsrtExtension.ObserveDeliveries"/>) with its time. Rounds whose deliveries came in
/// the most common sequence are lined up, and each step gets its median time since the round began; the first step's
/// time is the app filling its datagram and making the call. The observer itself costs a little per delivery, and while it is attached the
/// drivers' pooled messages are not reused (observers may keep them), so rounds are somewhat slower than in
/// <c>bench datapath</c>.
/// </summary>
/// <remarks>
/// Each host runs on its own thread, so how the two hosts' deliveries interleave differs from round to round while
/// each host's own sequence does not: rounds are grouped by the pair of sequences, and each step's time is the median
/// over the group of its time since the round began. The steps are listed in the order of those medians, and a step's
/// gap is its median less the one before it, so the gaps add up to the round. On the round's critical path a gap is
/// the previous step's handler, what it told and the hand-over (mailbox, run queue, and across hosts the other thread
/// noticing); where the hosts overlap (one sends its completions while the other receives) it is only the distance
/// between two medians.
/// </remarks>
public static class HopsBench
{
    private static readonly JsonSerializerOptions s_json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Runs the echo, records, and prints the table (or one JSON object); 0, or 1 when the echo failed.</summary>
    public static async Task<int> RunAsync(HopsBenchOptions options, bool json, TextWriter output, TextWriter error, CancellationToken stop = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        var recorder = new Recorder(options.Rounds - options.Recorded, options.Recorded);
        var demo = new DemoOptions
        {
            Proto = options.Proto,
            Size = options.Size,
            Mode = options.Mode,
            Sends = options.Rounds,
            Pings = 0,
            Tso = true,
            LargeFrames = true,
            OneWriteInFlight = true,
            ReceiveBuffer = DatapathBenchOptions.DefaultReceiveBuffer,
            HostsStarted = recorder.Attach,
        };

        if (!json)
        {
            await error.WriteLineAsync($"bench hops: {options.Proto} {options.Size} bytes {ModeName(options.Mode)}: {options.Rounds - options.Recorded:N0} rounds to warm up, then {options.Recorded:N0} recorded");
        }

        var report = await DemoRunner.RunAsync(demo, recorder, stop);
        recorder.Detach();
        if (report.EchoedOk != report.Sends && !report.Interrupted)
        {
            await error.WriteLineAsync($"edsos bench hops: {report.EchoedOk}/{report.Sends} echoed right; {string.Join("; ", report.Errors.Take(3))}");
            return 1;
        }

        var result = recorder.Summarize(options, report.Interrupted);
        if (result is null)
        {
            await error.WriteLineAsync("edsos bench hops: no round was recorded (interrupted before the recorded rounds began)");
            return report.Interrupted ? ExitCodes.Interrupted : 1;
        }

        if (json)
        {
            await output.WriteLineAsync(JsonSerializer.Serialize(result, s_json));
        }
        else
        {
            await WriteTableAsync(result, output);
        }

        return 0;
    }

    private static string ModeName(DataPathMode mode) => mode == DataPathMode.Copy ? "copy" : "zerocopy";

    private static async Task WriteTableAsync(HopsResult r, TextWriter output)
    {
        var c = CultureInfo.InvariantCulture;
        await output.WriteLineAsync(string.Create(c, $"{r.Proto} {r.Size} bytes {r.Mode}: {r.RoundsMatching:N0} of {r.RoundsRecorded:N0} recorded rounds had the most common sequences of deliveries on the two hosts ({r.Steps.Count} in all)"));
        await output.WriteLineAsync(string.Create(c, $"round: median {r.RoundUsMedian:0.0} µs (those rounds), {r.RoundUsMedianAll:0.0} µs (all recorded)"));
        await output.WriteLineAsync($"{"step",4} {"at µs",7} {"gap µs",7}  host  {"actor",-16} message");
        int i = 0;
        foreach (var s in r.Steps)
        {
            await output.WriteLineAsync(string.Create(c, $"{++i,4} {s.AtUs,7:0.00} {s.GapUs,7:0.00}  {s.Host,-4}  {s.Actor,-16} {s.Message}"));
        }

        await output.WriteLineAsync(string.Create(c, $"{"end",4} {r.RoundUsMedian,7:0.00} {r.EndGapUs,7:0.00}  (the app sees the echo)"));
        foreach (var h in r.Hosts)
        {
            await output.WriteLineAsync(string.Create(c, $"host {h.Host}: {h.Deliveries} deliveries, gaps summing to {h.GapUs:0.0} µs"));
        }
    }

    /// <summary>Records deliveries on both hosts, and round ends through the demo's progress reports (made inline on the client's thread).</summary>
    private sealed class Recorder(int firstRecorded, int recorded) : IProgress<int>
    {
        // Room for 256 deliveries per recorded round (a 64 KiB TCP round takes about 90), at most 2 M in all; deliveries
        // beyond it are not recorded.
        private readonly Delivery[] _log = new Delivery[(int)Math.Min(1L << 21, (recorded * 256L) + 1024)];
        private readonly List<(long At, int Events)> _ends = new(recorded + 1);
        private readonly List<IDisposable> _subscriptions = [];
        private int _events;
        private volatile bool _on;

        public void Attach(EdsosHost a, EdsosHost b)
        {
            _subscriptions.Add(a.System.Edsrt.ObserveDeliveries(d => Take(0, d)));
            _subscriptions.Add(b.System.Edsrt.ObserveDeliveries(d => Take(1, d)));
            if (firstRecorded <= 0)
            {
                Start();
            }
        }

        public void Detach()
        {
            _on = false;
            foreach (var s in _subscriptions)
            {
                s.Dispose();
            }

            _subscriptions.Clear();
        }

        public void Report(int value)
        {
            if (_on)
            {
                _ends.Add((Stopwatch.GetTimestamp(), Math.Min(Volatile.Read(ref _events), _log.Length)));
                if (_ends.Count > recorded)
                {
                    _on = false;
                }
            }
            else if (value == firstRecorded && _ends.Count == 0)
            {
                Start();
            }
        }

        private void Start()
        {
            // The round that begins now is the first recorded: its start is this instant.
            _ends.Add((Stopwatch.GetTimestamp(), Math.Min(Volatile.Read(ref _events), _log.Length)));
            _on = true;
        }

        private void Take(byte host, MessageDelivery delivery)
        {
            if (!_on)
            {
                return;
            }

            int i = Interlocked.Increment(ref _events) - 1;
            if (i < _log.Length)
            {
                _log[i] = new Delivery(Stopwatch.GetTimestamp(), delivery.Recipient, delivery.Message.GetType(), host);
            }
        }

        public HopsResult? Summarize(HopsBenchOptions options, bool interrupted)
        {
            // Each host's deliveries in its own order (one thread each): how the two interleave varies from round
            // to round, what each host does does not.
            var rounds = new List<Round>();
            for (int r = 1; r < _ends.Count; r++)
            {
                var (start, from) = _ends[r - 1];
                var (end, to) = _ends[r];
                var a = new List<int>();
                var b = new List<int>();
                for (int i = from; i < to; i++)
                {
                    (_log[i].Host == 0 ? a : b).Add(i);
                }

                a.Sort((x, y) => _log[x].At.CompareTo(_log[y].At));
                b.Sort((x, y) => _log[x].At.CompareTo(_log[y].At));
                rounds.Add(new Round(start, end, [.. a], [.. b]));
            }

            if (rounds.Count == 0)
            {
                return null;
            }

            string Key(Round r) => string.Join("|", r.A.Select(Name)) + "||" + string.Join("|", r.B.Select(Name));
            var common = rounds.GroupBy(Key).OrderByDescending(g => g.Count()).First().ToList();
            var first = common[0];
            double Us(long from, long to) => (to - from) * 1e6 / Stopwatch.Frequency;
            var steps = new List<(string Host, int Index, double At)>();
            for (int k = 0; k < first.A.Length; k++)
            {
                int step = k;
                steps.Add(("A", first.A[k], Median(common.Select(r => Us(r.Start, _log[r.A[step]].At)))));
            }

            for (int k = 0; k < first.B.Length; k++)
            {
                int step = k;
                steps.Add(("B", first.B[k], Median(common.Select(r => Us(r.Start, _log[r.B[step]].At)))));
            }

            steps.Sort((x, y) => x.At.CompareTo(y.At));
            double roundUs = Median(common.Select(r => Us(r.Start, r.End)));
            var rows = new List<HopStep>();
            double previous = 0;
            foreach (var (host, index, at) in steps)
            {
                rows.Add(new HopStep(host, _log[index].Actor.Path.Name, _log[index].Message.Name, at - previous, at));
                previous = at;
            }

            var hosts = rows.GroupBy(s => s.Host).OrderBy(g => g.Key).Select(g => new HopHost(g.Key, g.Count(), g.Sum(s => s.GapUs))).ToList();
            return new HopsResult(
                options.Proto,
                options.Size,
                ModeName(options.Mode),
                rounds.Count,
                common.Count,
                roundUs,
                Median(rounds.Select(r => Us(r.Start, r.End))),
                roundUs - previous,
                rows,
                hosts,
                interrupted);
        }

        private string Name(int i) => $"{_log[i].Actor.Path.Name} {_log[i].Message.Name}";

        private sealed record Round(long Start, long End, int[] A, int[] B);

        private readonly record struct Delivery(long At, IActorRef Actor, Type Message, byte Host);

        private static double Median(IEnumerable<double> values)
        {
            var sorted = values.Order().ToArray();
            return sorted.Length == 0 ? 0 : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
        }
    }
}

/// <summary>What <c>bench hops</c> measures: the protocol, the payload, the mode, the rounds run and how many of the last are recorded.</summary>
public sealed record HopsBenchOptions
{
    public string Proto { get; init; } = "udp";

    public int Size { get; init; } = 1024;

    public DataPathMode Mode { get; init; } = DataPathMode.ZeroCopy;

    /// <summary>Rounds in all; the ones before the recorded ones warm the JIT up.</summary>
    public int Rounds { get; init; } = 50_000;

    /// <summary>The last rounds, recorded.</summary>
    public int Recorded { get; init; } = 5_000;

    /// <summary>A message naming the bad option, or null when the options are valid.</summary>
    public string? Validate()
    {
        if (Proto is not ("udp" or "tcp"))
        {
            return $"--proto must be udp or tcp, not '{Proto}'";
        }

        if (Recorded < 1 || Recorded > Rounds)
        {
            return $"--recorded must be between 1 and --rounds ({Rounds}), not {Recorded}";
        }

        // The demo's own checks (size limits per protocol).
        return new DemoOptions { Proto = Proto, Size = Size, Sends = Rounds }.Validate();
    }
}

/// <summary>One step of the most common sequence: who handled what, the median time since the step before and since the round began.</summary>
public sealed record HopStep(string Host, string Actor, string Message, double GapUs, double AtUs);

/// <summary>A host's share of the steps: how many it ran and their gaps' sum.</summary>
public sealed record HopHost(string Host, int Deliveries, double GapUs);

/// <summary><c>bench hops --json</c>'s object.</summary>
public sealed record HopsResult(
    string Proto,
    int Size,
    string Mode,
    int RoundsRecorded,
    int RoundsMatching,
    double RoundUsMedian,
    double RoundUsMedianAll,
    double EndGapUs,
    IReadOnlyList<HopStep> Steps,
    IReadOnlyList<HopHost> Hosts,
    bool Interrupted);
