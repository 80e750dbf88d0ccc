using System.CommandLine;
using Edsos.Host.Demo;

namespace Edsos.Host.Telemetry;

/// <summary>
/// The telemetry options of <c>edsos demo</c> (<c>--otlp</c>, <c>--otlp-protocol</c>,
/// <c>--trace-file</c>, <c>--trace-sample</c>, <c>--show-chain</c>) and running a command under them,
/// kept apart from <see cref="EdsosCli"/> so the demo's own options stay readable.
/// </summary>
public sealed class TelemetryCli
{
    /// <summary>The demo's host names (DemoRunner's actor systems): one tracer provider, one service each.</summary>
    public static readonly IReadOnlyList<string> DemoHosts = ["A", "B"];

    private readonly Option<string?> _otlp = new Option<string?>("--otlp") { Description = "Export traces and metrics over OTLP to this http(s) endpoint (e.g. http://localhost:4317); default: OTEL_EXPORTER_OTLP_ENDPOINT" }.MustBeHttpEndpoint();
    private readonly Option<string?> _protocol = new("--otlp-protocol") { Description = "grpc or http/protobuf; default: OTEL_EXPORTER_OTLP_PROTOCOL, else http/protobuf on port 4318 and grpc otherwise" };
    private readonly Option<string?> _traceFile = new Option<string?>("--trace-file") { Description = "Write the run's traces to this file as Jaeger UI JSON (Search → JSON File)" }.MustBeWritableFile();
    private readonly Option<double> _sample = new("--trace-sample") { Description = "Fraction of syscalls traced (0..1, by trace id)", DefaultValueFactory = _ => 1.0 };
    private readonly Option<bool> _showChain = new("--show-chain") { Description = "Print the CTRN chain of one send as a tree" };

    private TelemetryCli()
    {
    }

    /// <summary>Adds the telemetry options to <paramref name="command"/>.</summary>
    public static TelemetryCli AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var cli = new TelemetryCli();
        command.Options.Add(cli._otlp);
        command.Options.Add(cli._protocol);
        command.Options.Add(cli._traceFile);
        command.Options.Add(cli._sample);
        command.Options.Add(cli._showChain);
        return cli;
    }

    /// <summary>The options as parsed.</summary>
    public TelemetryOptions Read(ParseResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return new TelemetryOptions
        {
            OtlpEndpoint = result.GetValue(_otlp),
            OtlpProtocol = result.GetValue(_protocol),
            TraceFile = result.GetValue(_traceFile),
            SampleRatio = result.GetValue(_sample),
            ShowChain = result.GetValue(_showChain),
        };
    }

    /// <summary>
    /// Runs <paramref name="run"/> (the demo) under a <see cref="TelemetrySession"/> for the demo's
    /// hosts, then flushes OTLP, writes the trace file and prints the chain (to stdout, or to stderr
    /// when <paramref name="json"/> keeps stdout for the report). Returns the run's exit code, 2 for
    /// bad options, 1 when the trace file cannot be written or the OTLP export failed (the exporter's
    /// own reason on stderr; an endpoint nobody listens on is also warned about before the run).
    /// </summary>
    public static async Task<int> RunAsync(TelemetryOptions options, bool json, Func<Task<int>> run)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(run);
        string? invalid = options.Validate();
        if (invalid is not null)
        {
            Console.Error.WriteLine($"edsos demo: {invalid}");
            return 2;
        }

        string? endpoint = options.EffectiveOtlpEndpoint;
        if (endpoint is not null && OtlpExportMonitor.Probe(new Uri(endpoint), TimeSpan.FromSeconds(1)) is { } unreachable)
        {
            Console.Error.WriteLine($"edsos demo: warning: OTLP endpoint {endpoint}: {unreachable}; the run goes on, its spans and metrics will be lost");
        }

        using var session = TelemetrySession.Start(options, DemoHosts);
        int code = await run();
        if (session.IsTracing)
        {
            bool flushed = session.Flush();
            if (session.ExportError is { } failure)
            {
                Console.Error.WriteLine($"edsos demo: OTLP export to {endpoint} failed: {failure}");
                code = Math.Max(code, ExitCodes.Failed);
            }
            else if (!flushed && session.IsExporting)
            {
                Console.Error.WriteLine($"edsos demo: the OTLP export to {endpoint} did not finish within 10 s; spans may be lost");
                code = Math.Max(code, ExitCodes.Failed);
            }
        }

        var collector = session.Collector;
        if (collector is null)
        {
            return code;
        }

        var spans = collector.Spans;
        if (collector.Dropped > 0)
        {
            Console.Error.WriteLine($"edsos demo: kept {spans.Count:N0} spans, {collector.Dropped:N0} more not kept");
        }

        if (options.ShowChain)
        {
            var output = json ? Console.Error : Console.Out;
            var trace = ChainPrinter.FindSendTrace(spans);
            if (trace is null)
            {
                output.WriteLine("no send was traced (--trace-sample too low?)");
            }
            else
            {
                ChainPrinter.Write(output, trace);
            }
        }

        if (options.TraceFile is not null)
        {
            try
            {
                JaegerTraceFile.Write(options.TraceFile, spans);
            }
            catch (IOException e)
            {
                Console.Error.WriteLine($"edsos demo: cannot write {options.TraceFile}: {e.Message}");
                return 1;
            }
            catch (UnauthorizedAccessException e)
            {
                Console.Error.WriteLine($"edsos demo: cannot write {options.TraceFile}: {e.Message}");
                return 1;
            }
        }

        return code;
    }
}
