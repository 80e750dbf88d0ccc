namespace Edsos.Host.Telemetry;

/// <summary>
/// What a run exports (DESIGN.md section 7): OTLP traces and metrics, a Jaeger trace file, the
/// chain of one send in the console, and the sampling ratio. The default exports nothing, and a
/// run with nothing to export attaches no listener, so tracing costs nothing.
/// </summary>
public sealed record TelemetryOptions
{
    /// <summary>
    /// OTLP endpoint (<c>--otlp</c>), e.g. <c>http://localhost:4317</c> (gRPC) or
    /// <c>http://localhost:4318</c> (HTTP/protobuf). Null: the standard
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> variable decides, and without it nothing is sent.
    /// </summary>
    public string? OtlpEndpoint { get; init; }

    /// <summary>
    /// <c>grpc</c> or <c>http/protobuf</c> (<c>--otlp-protocol</c>). Null: <c>OTEL_EXPORTER_OTLP_PROTOCOL</c>,
    /// else HTTP/protobuf for an endpoint on port 4318 and gRPC otherwise.
    /// </summary>
    public string? OtlpProtocol { get; init; }

    /// <summary>Write the run's spans as a Jaeger UI "JSON File" here (<c>--trace-file</c>); null for none.</summary>
    public string? TraceFile { get; init; }

    /// <summary>Print the CTRN chain of one send as a tree (<c>--show-chain</c>).</summary>
    public bool ShowChain { get; init; }

    /// <summary>Keep spans in memory even without a file or the chain (tests, <c>bench tracing</c>).</summary>
    public bool CollectSpans { get; init; }

    /// <summary>Fraction of syscalls traced, by trace id, parent-based (<c>--trace-sample</c>, 0..1).</summary>
    public double SampleRatio { get; init; } = 1.0;

    /// <summary>The base of the hosts' service names; null: <c>OTEL_SERVICE_NAME</c>, else <c>edsos</c>.</summary>
    public string? ServiceName { get; init; }

    /// <summary>Most spans kept in memory for the trace file and the chain; later ones are counted, not kept.</summary>
    public int MaxCollectedSpans { get; init; } = 200_000;

    /// <summary>The OTLP endpoint in effect: <see cref="OtlpEndpoint"/> or the environment's; null when none.</summary>
    public string? EffectiveOtlpEndpoint =>
        OtlpEndpoint ?? NullIfEmpty(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT"));

    /// <summary>True when spans go somewhere (OTLP, a file, the console): only then is a listener attached.</summary>
    public bool TracesAnything => EffectiveOtlpEndpoint is not null || TraceFile is not null || ShowChain || CollectSpans;

    /// <summary>Returns a message naming the bad option, or null when the options are valid.</summary>
    public string? Validate()
    {
        if (double.IsNaN(SampleRatio) || SampleRatio < 0 || SampleRatio > 1)
        {
            return $"--trace-sample must be between 0 and 1, not {SampleRatio}";
        }

        if (OptionChecks.CheckHttpEndpoint(OtlpEndpoint) is { } endpoint)
        {
            return $"--otlp {endpoint}";
        }

        if (OtlpEndpoint is null && OptionChecks.CheckHttpEndpoint(EffectiveOtlpEndpoint) is { } fromEnvironment)
        {
            return $"OTEL_EXPORTER_OTLP_ENDPOINT {fromEnvironment}";
        }

        if (OptionChecks.CheckWritableFile(TraceFile) is { } traceFile)
        {
            return $"--trace-file {traceFile}";
        }

        if (OtlpProtocol is not null and not ("grpc" or "http/protobuf"))
        {
            return $"--otlp-protocol must be grpc or http/protobuf, not '{OtlpProtocol}'";
        }

        return null;
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
