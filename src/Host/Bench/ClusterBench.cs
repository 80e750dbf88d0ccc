using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;

namespace Edsos.Host.Bench;

/// <summary>
/// <c>edsos bench cluster</c>: the demo's echo in one process beside the console cluster's layouts (one host per
/// process; host A as user, net and driver processes, by lane and, for comparison, over Akka.Remote only), measured
/// in one run. Each run is a child process of this
/// program (<c>edsos demo --json</c> or <c>edsos cluster demo --json</c>), so every layout pays its own start and JIT
/// warm-up, and the figure compared is the steady-state rate the demos report (verified rounds per second once the rate
/// settled: from the first window after the first fifth whose rate reaches 90 % of the final third's, see
/// <c>EchoTally.SteadyPerSec</c>; a process's JIT tiers up for thousands of rounds, longer with four processes on two
/// cores). The layouts run interleaved, A B C D D C B A, and each row gives the median,
/// min and max over its runs; a run that did not behave as designed is reported and fails the bench (exit 1).
/// </summary>
public static class ClusterBench
{
    /// <summary>The layouts in the order the first repetition runs them.</summary>
    public static readonly string[] Layouts = ["one-process", "hosts", "roles", "roles-akka"];

    /// <summary>One layout's figures over its runs.</summary>
    /// <param name="Layout">one-process, hosts, roles (host A's role processes joined by lanes) or roles-akka (over Akka.Remote only).</param>
    /// <param name="Processes">OS processes the layout runs the two hosts in.</param>
    /// <param name="SteadyRoundsPerS">Median steady-state rounds per second.</param>
    /// <param name="SteadyRoundsPerSMin">Slowest run's.</param>
    /// <param name="SteadyRoundsPerSMax">Fastest run's.</param>
    /// <param name="RoundsPerS">Median over the whole loop, warm-up included.</param>
    /// <param name="RttP50Us">Median of the runs' round-trip medians.</param>
    /// <param name="VsOneProcess">Median steady-state rate over the one-process median.</param>
    /// <param name="Runs">Runs that behaved as designed (every echo verified, nothing copied, nothing leaked).</param>
    public sealed record Row(
        string Layout, int Processes, double SteadyRoundsPerS, double SteadyRoundsPerSMin, double SteadyRoundsPerSMax,
        double RoundsPerS, double RttP50Us, double VsOneProcess, int Runs);

    /// <summary><c>edsos bench cluster [--proto udp|tcp] [--sends N] [--size B] [--reps R] [--json]</c>.</summary>
    public static Command BuildCommand()
    {
        var proto = new Option<string>("--proto") { Description = "udp or tcp", DefaultValueFactory = _ => "udp" };
        proto.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string>() is not ("udp" or "tcp"))
            {
                r.AddError($"--proto must be udp or tcp, not '{r.GetValueOrDefault<string>()}'");
            }
        });
        var sends = new Option<int>("--sends") { Description = "Echo rounds per run (at least the first fifth is warm-up)", DefaultValueFactory = _ => 30000 }.MustBeAtLeast(50);
        var size = new Option<int>("--size") { Description = "Bytes per send", DefaultValueFactory = _ => 1024 }.MustBeAtLeast(8);
        var reps = new Option<int>("--reps") { Description = "Runs per layout, interleaved A B C D D C B A", DefaultValueFactory = _ => 2 }.MustBeAtLeast(1);
        var json = new Option<bool>("--json") { Description = "Print {\"rows\":[...]} instead of the table" };
        var command = new Command("cluster", "The echo in one process against the console cluster's layouts, steady state, interleaved, in one run")
        {
            proto, sends, size, reps, json,
        };
        command.SetAction(async (result, stop) =>
            await RunAsync(result.GetValue(proto)!, result.GetValue(sends), result.GetValue(size), result.GetValue(reps), result.GetValue(json), Console.Out, Console.Error, stop));
        return command;
    }

    /// <summary>Runs every layout <paramref name="reps"/> times, interleaved, and prints the rows; the exit code.</summary>
    public static async Task<int> RunAsync(string proto, int sends, int size, int reps, bool json, TextWriter output, TextWriter error, CancellationToken stop)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        var runs = Layouts.ToDictionary(l => l, _ => new List<(double Steady, double Whole, double Rtt)>());
        var failures = new List<string>();
        for (int rep = 0; rep < reps && !stop.IsCancellationRequested; rep++)
        {
            foreach (string layout in rep % 2 == 0 ? Layouts : Layouts.Reverse())
            {
                if (stop.IsCancellationRequested)
                {
                    break;
                }

                if (!json)
                {
                    await output.WriteLineAsync($"  run {rep + 1}/{reps}: {layout} ...");
                }

                var (figures, problem) = await RunOneAsync(layout, proto, sends, size, stop);
                if (figures is { } f)
                {
                    runs[layout].Add(f);
                }
                else if (!stop.IsCancellationRequested)
                {
                    failures.Add($"{layout}, run {rep + 1}: {problem}");
                }
            }
        }

        if (stop.IsCancellationRequested)
        {
            await error.WriteLineAsync("edsos bench cluster: interrupted; nothing to report");
            return ExitCodes.Interrupted;
        }

        double baseline = Median(runs[Layouts[0]].Select(r => r.Steady));
        var rows = Layouts.Where(l => runs[l].Count > 0).Select(l =>
        {
            var mine = runs[l];
            double steady = Median(mine.Select(r => r.Steady));
            return new Row(
                l, l switch { "one-process" => 1, "hosts" => 2, _ => 4 }, steady, mine.Min(r => r.Steady), mine.Max(r => r.Steady),
                Median(mine.Select(r => r.Whole)), Median(mine.Select(r => r.Rtt)), baseline > 0 ? steady / baseline : 0, mine.Count);
        }).ToList();
        if (json)
        {
            var options = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };
            await output.WriteLineAsync(JsonSerializer.Serialize(new { proto, size, sends, rows, failures }, options));
        }
        else
        {
            await output.WriteLineAsync($"{proto} echo, {sends} × {size} bytes per run, {reps} run(s) per layout interleaved; steady state = once the rate settled (at least the first fifth left out)");
            await output.WriteLineAsync($"{"layout",-12} {"processes",9} {"steady rounds/s (min-max)",28} {"whole run",10} {"RTT p50 µs",11} {"vs one process",15}");
            foreach (var row in rows)
            {
                await output.WriteLineAsync(
                    $"{row.Layout,-12} {row.Processes,9} {$"{row.SteadyRoundsPerS:N0} ({row.SteadyRoundsPerSMin:N0}-{row.SteadyRoundsPerSMax:N0})",28} {row.RoundsPerS,10:N0} {row.RttP50Us,11:N0} {row.VsOneProcess,14:0.00}×");
            }

            foreach (string failure in failures)
            {
                await output.WriteLineAsync($"  failed: {failure}");
            }
        }

        return failures.Count == 0 ? ExitCodes.Ok : ExitCodes.Failed;
    }

    private static async Task<((double Steady, double Whole, double Rtt)? Figures, string Problem)> RunOneAsync(
        string layout, string proto, int sends, int size, CancellationToken stop)
    {
        string self = Environment.ProcessPath ?? "dotnet";
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            start.ArgumentList.Add("exec");
            start.ArgumentList.Add(typeof(ClusterBench).Assembly.Location);
        }

        string[] args = layout switch
        {
            "one-process" => ["demo", "--pings", "0"],
            "hosts" => ["cluster", "demo", "--layout", "hosts"],
            "roles-akka" => ["cluster", "demo", "--layout", "roles", "--transport", "akka"],
            _ => ["cluster", "demo", "--layout", "roles", "--transport", "lanes"],
        };
        foreach (string arg in args.Concat(["--proto", proto, "--sends", $"{sends}", "--size", $"{size}", "--json"]))
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start a child edsos process");
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            await process.WaitForExitAsync(stop);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            return (null, "interrupted");
        }

        string text = await stdout;
        string problem = $"exit {process.ExitCode}: {(await stderr).Trim().Split('\n').LastOrDefault() ?? string.Empty}";
        try
        {
            using var report = JsonDocument.Parse(text);
            var root = report.RootElement;
            double steady = root.GetProperty("steady_sends_per_sec").GetDouble();
            double whole = root.GetProperty("sends_per_sec").GetDouble();
            double rtt = root.GetProperty("rtt_p50_us").GetDouble();
            long copied = root.GetProperty("payload_bytes_copied").GetInt64();
            int ok = root.GetProperty("echoed_ok").GetInt32();
            if (process.ExitCode != 0 || ok != sends || copied != 0 || steady <= 0)
            {
                return (null, $"{problem}; {ok}/{sends} echoes verified, {copied} payload bytes copied");
            }

            return ((steady, whole, rtt), string.Empty);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return (null, $"{problem}; no report ({e.Message})");
        }
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? 0 : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
