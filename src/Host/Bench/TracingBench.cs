using System.CommandLine;
using Edsos.Host.Demo;
using Edsos.Host.Telemetry;

namespace Edsos.Host.Bench;

/// <summary>
/// <c>edsos bench tracing</c>: the demo's UDP echo with tracing off, sampled at 1 % and at 100 %,
/// back to back in one run, so the overhead of tracing is measured on the same machine state.
/// Traced runs export into an in-memory collector that keeps nothing (or over OTLP with
/// <c>--otlp</c>), so the figure is the cost of making the spans, not of storing them.
/// </summary>
public static class TracingBench
{
    /// <summary>One measured configuration.</summary>
    /// <param name="Label">off, 1 %, 100 %.</param>
    /// <param name="SendsPerSec">Echo rounds per second.</param>
    /// <param name="SendP50Us">Median sendto latency.</param>
    /// <param name="Spans">Spans finished during the run.</param>
    public sealed record Result(string Label, double SendsPerSec, double SendP50Us, long Spans);

    /// <summary>
    /// Runs the three configurations <paramref name="rounds"/> times each, interleaved, with
    /// <paramref name="demo"/>'s workload, and returns each one's median run (by rounds per second);
    /// throws as <see cref="DemoRunner.RunAsync"/>.
    /// </summary>
    public static async Task<IReadOnlyList<Result>> RunAsync(DemoOptions demo, string? otlp, int rounds = 3)
    {
        ArgumentNullException.ThrowIfNull(demo);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rounds);

        // Warm-up: JIT both the untraced and the traced paths before anything is measured.
        var warm = demo with { Sends = Math.Min(200, demo.Sends) };
        await DemoRunner.RunAsync(warm);
        await MeasureAsync("warm-up", warm, 1.0, otlp);

        // Interleaved rounds, the median of each: the machine is shared, and one slow moment must
        // not land on one configuration only.
        var runs = new List<Result>[] { [], [], [] };
        for (int round = 0; round < rounds; round++)
        {
            runs[0].Add(await MeasureAsync("off", demo, null, otlp));
            runs[1].Add(await MeasureAsync("1 %", demo, 0.01, otlp));
            runs[2].Add(await MeasureAsync("100 %", demo, 1.0, otlp));
        }

        return [.. runs.Select(Median)];
    }

    private static Result Median(List<Result> runs)
    {
        var sorted = runs.OrderBy(r => r.SendsPerSec).ToList();
        return sorted[sorted.Count / 2];
    }

    /// <summary>The <c>bench tracing</c> command.</summary>
    public static Command BuildCommand()
    {
        var sends = new Option<int>("--sends") { Description = "Datagrams per configuration", DefaultValueFactory = _ => 2000 };
        var size = new Option<int>("--size") { Description = "Payload bytes per datagram", DefaultValueFactory = _ => 1024 };
        var otlp = new Option<string?>("--otlp") { Description = "Export the traced runs over OTLP to this endpoint instead of a null exporter" };
        var rounds = new Option<int>("--rounds") { Description = "Interleaved runs per configuration (the median is reported)", DefaultValueFactory = _ => 3 };
        var command = new Command("tracing", "The demo's UDP echo with tracing off, at 1 % and at 100 %, back to back in one run") { sends, size, otlp, rounds };
        command.SetAction(async (result, cancellation) =>
        {
            var demo = new DemoOptions { Sends = result.GetValue(sends), Size = result.GetValue(size), Pings = 0 };
            string? invalid = demo.Validate();
            if (invalid is not null)
            {
                Console.Error.WriteLine($"edsos bench tracing: {invalid}");
                return 2;
            }

            if (result.GetValue(rounds) < 1)
            {
                Console.Error.WriteLine("edsos bench tracing: --rounds must be at least 1");
                return 2;
            }

            var results = await RunAsync(demo, result.GetValue(otlp), result.GetValue(rounds));
            Console.WriteLine($"UDP echo, {demo.Sends} × {demo.Size} bytes, two hosts in one process, {Environment.ProcessorCount} cores, median of {result.GetValue(rounds)} interleaved runs");
            Console.WriteLine($"{"tracing",-8} {"rounds/s",10} {"vs off",7} {"sendto p50 µs",14} {"spans",10}");
            double off = results[0].SendsPerSec;
            foreach (var r in results)
            {
                Console.WriteLine($"{r.Label,-8} {r.SendsPerSec,10:N0} {r.SendsPerSec / off,7:0.00} {r.SendP50Us,14:0.0} {r.Spans,10:N0}");
            }

            return 0;
        });
        return command;
    }

    private static async Task<Result> MeasureAsync(string label, DemoOptions demo, double? ratio, string? otlp)
    {
        if (ratio is null)
        {
            var plain = await DemoRunner.RunAsync(demo);
            return new Result(label, plain.SendsPerSec, plain.SendP50Us, 0);
        }

        var options = new TelemetryOptions
        {
            SampleRatio = ratio.Value,
            OtlpEndpoint = otlp,
            CollectSpans = otlp is null,
            MaxCollectedSpans = 0,
        };
        using var session = TelemetrySession.Start(options, TelemetryCli.DemoHosts);
        var report = await DemoRunner.RunAsync(demo);
        session.Flush();
        return new Result(label, report.SendsPerSec, report.SendP50Us, session.Collector?.Dropped ?? 0);
    }
}
