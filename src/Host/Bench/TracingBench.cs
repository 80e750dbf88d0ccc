using System.CommandLine;
using Edsos.Host.Demo;
using Edsos.Host.Telemetry;

namespace Edsos.Host.Bench;

/// <summary>
/// <c>edsos bench tracing</c>: the demo's UDP echo with tracing off, sampled at 1 % and at 100 %,
/// back to back in one run, so the overhead of tracing is measured on the same machine state.
/// Traced runs export into an in-memory collector that counts spans and keeps none (and over OTLP
/// too with <c>--otlp</c>), so the figure is the cost of making the spans, not of storing them.
/// An unreachable or failing OTLP endpoint is warned about before the runs and reported after them.
/// </summary>
public static class TracingBench
{
    /// <summary>One measured configuration.</summary>
    /// <param name="Label">off, 1 %, 100 %.</param>
    /// <param name="SendsPerSec">Echo rounds per second.</param>
    /// <param name="SendP50Us">Median sendto latency.</param>
    /// <param name="Spans">Spans finished during the run.</param>
    public sealed record Result(string Label, double SendsPerSec, double SendP50Us, long Spans);

    /// <summary>What a bench run measured.</summary>
    /// <param name="Results">Per configuration (off, 1 %, 100 %), the median of its complete runs; a configuration no run of which completed is left out.</param>
    /// <param name="ExportError">The first error the OTLP exporter reported, in one line; null when none (or no <c>--otlp</c>).</param>
    /// <param name="Interrupted">True when a signal cut the bench short.</param>
    public sealed record Outcome(IReadOnlyList<Result> Results, string? ExportError, bool Interrupted);

    /// <summary>
    /// Runs the three configurations <paramref name="rounds"/> times each, interleaved, with
    /// <paramref name="demo"/>'s workload, and returns each one's median run (by rounds per second);
    /// throws as <see cref="DemoRunner.RunAsync"/>. When <paramref name="stop"/> fires, the run under
    /// way is cut, left out of the medians, and no further run starts.
    /// </summary>
    public static async Task<Outcome> RunAsync(DemoOptions demo, string? otlp, int rounds = 3, CancellationToken stop = default)
    {
        ArgumentNullException.ThrowIfNull(demo);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rounds);
        string? exportError = null;

        // Warm-up: JIT both the untraced and the traced paths before anything is measured.
        var warm = demo with { Sends = Math.Min(200, demo.Sends) };
        await DemoRunner.RunAsync(warm, null, stop);
        if (!stop.IsCancellationRequested)
        {
            (_, exportError) = await MeasureAsync("warm-up", warm, 1.0, otlp, stop);
        }

        // Interleaved rounds, the median of each: the machine is shared, and one slow moment must
        // not land on one configuration only.
        var runs = new List<Result>[] { [], [], [] };
        var configurations = new (string Label, double? Ratio)[] { ("off", null), ("1 %", 0.01), ("100 %", 1.0) };
        for (int round = 0; round < rounds && !stop.IsCancellationRequested; round++)
        {
            for (int i = 0; i < configurations.Length && !stop.IsCancellationRequested; i++)
            {
                var (result, error) = await MeasureAsync(configurations[i].Label, demo, configurations[i].Ratio, otlp, stop);
                exportError ??= error;
                if (result is not null)
                {
                    runs[i].Add(result);
                }
            }
        }

        return new Outcome([.. runs.Where(r => r.Count > 0).Select(Median)], exportError, stop.IsCancellationRequested);
    }

    private static Result Median(List<Result> runs)
    {
        var sorted = runs.OrderBy(r => r.SendsPerSec).ToList();
        return sorted[sorted.Count / 2];
    }

    /// <summary>The <c>bench tracing</c> command.</summary>
    public static Command BuildCommand()
    {
        var sends = new Option<int>("--sends") { Description = "Datagrams per configuration", DefaultValueFactory = _ => 2000 }.MustBeAtLeast(1);
        var size = new Option<int>("--size") { Description = "Payload bytes per datagram", DefaultValueFactory = _ => 1024 };
        var otlp = new Option<string?>("--otlp") { Description = "Export the traced runs over OTLP to this http(s) endpoint instead of a null exporter" }.MustBeHttpEndpoint();
        var rounds = new Option<int>("--rounds") { Description = "Interleaved runs per configuration (the median is reported)", DefaultValueFactory = _ => 3 }.MustBeAtLeast(1);
        var command = new Command("tracing", "The demo's UDP echo with tracing off, at 1 % and at 100 %, back to back in one run") { sends, size, otlp, rounds };
        command.SetAction(async (result, stop) =>
        {
            var demo = new DemoOptions { Sends = result.GetValue(sends), Size = result.GetValue(size), Pings = 0 };
            string? invalid = demo.Validate();
            if (invalid is not null)
            {
                Console.Error.WriteLine($"edsos bench tracing: {invalid}");
                return ExitCodes.Usage;
            }

            string? endpoint = result.GetValue(otlp);
            if (new TelemetryOptions { OtlpEndpoint = endpoint }.Validate() is { } badTelemetry)
            {
                // OTEL_EXPORTER_OTLP_ENDPOINT must be http(s) too.
                Console.Error.WriteLine($"edsos bench tracing: {badTelemetry}");
                return ExitCodes.Usage;
            }

            if (endpoint is not null && OtlpExportMonitor.Probe(new Uri(endpoint), TimeSpan.FromSeconds(1)) is { } unreachable)
            {
                Console.Error.WriteLine($"edsos bench tracing: warning: OTLP endpoint {endpoint}: {unreachable}; the traced runs' spans will be lost");
            }

            var outcome = await RunAsync(demo, endpoint, result.GetValue(rounds), stop);
            var results = outcome.Results;
            Console.WriteLine($"UDP echo, {demo.Sends} × {demo.Size} bytes, two hosts in one process, {Environment.ProcessorCount} cores, median of {result.GetValue(rounds)} interleaved runs{(outcome.Interrupted ? " (interrupted: complete runs only)" : string.Empty)}");
            Console.WriteLine($"{"tracing",-8} {"rounds/s",10} {"vs off",7} {"sendto p50 µs",14} {"spans",10}");
            double? off = results.FirstOrDefault(r => r.Label == "off")?.SendsPerSec;
            foreach (var r in results)
            {
                string versus = off is { } baseline ? (r.SendsPerSec / baseline).ToString("0.00", System.Globalization.CultureInfo.CurrentCulture) : "-";
                Console.WriteLine($"{r.Label,-8} {r.SendsPerSec,10:N0} {versus,7} {r.SendP50Us,14:0.0} {r.Spans,10:N0}");
            }

            if (results.Count == 0)
            {
                Console.WriteLine("(no configuration completed a run before the signal)");
            }

            if (outcome.ExportError is { } failure)
            {
                Console.Error.WriteLine($"edsos bench tracing: OTLP export to {endpoint} failed: {failure}; the spans column counts spans made, none reached the collector");
                return ExitCodes.Failed;
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static async Task<(Result? Result, string? ExportError)> MeasureAsync(string label, DemoOptions demo, double? ratio, string? otlp, CancellationToken stop)
    {
        if (ratio is null)
        {
            var plain = await DemoRunner.RunAsync(demo, null, stop);
            return (plain.Interrupted ? null : new Result(label, plain.SendsPerSec, plain.SendP50Us, 0), null);
        }

        var options = new TelemetryOptions
        {
            SampleRatio = ratio.Value,
            OtlpEndpoint = otlp,
            CollectSpans = true,
            MaxCollectedSpans = 0,
        };
        using var session = TelemetrySession.Start(options, TelemetryCli.DemoHosts);
        var report = await DemoRunner.RunAsync(demo, null, stop);
        session.Flush();
        long spans = session.Collector?.Dropped ?? 0;
        return (report.Interrupted ? null : new Result(label, report.SendsPerSec, report.SendP50Us, spans), session.ExportError);
    }
}
