using Akka.Actor;
using Edsos.Scheduler;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Edsos.Host.Telemetry;

/// <summary>
/// The OpenTelemetry set-up of one run. Each host gets its own tracer provider, listening to that
/// host's source only (<see cref="ActivitySources.ForSystem"/>) and carrying its own resource, so
/// each host is its own service (<c>edsos-host-a</c>, <c>edsos-host-b</c>) in Jaeger; one provider
/// with a per-span attribute would put every span under one process, since Jaeger takes the
/// service from the resource. Sampling is parent-based over a trace-id ratio, so a syscall's trace
/// is kept or dropped whole. One meter provider exports <see cref="EdsosMetrics"/> over OTLP.
/// <para>
/// Nothing is attached when the options trace nothing (<see cref="TelemetryOptions.TracesAnything"/>):
/// no listener, so the runtime starts no span at all.
/// </para>
/// </summary>
public sealed class TelemetrySession : IDisposable
{
    private readonly List<TracerProvider> _tracers = [];
    private MeterProvider? _meters;
    private OtlpExportMonitor? _monitor;
    private bool _disposed;

    private TelemetrySession(TelemetryOptions options)
    {
        Options = options;
    }

    /// <summary>The options the session was started with.</summary>
    public TelemetryOptions Options { get; }

    /// <summary>The in-memory spans (for the trace file and the chain); null when neither was asked for.</summary>
    public SpanCollector? Collector { get; private set; }

    /// <summary>True when the hosts' spans are listened to.</summary>
    public bool IsTracing => _tracers.Count > 0;

    /// <summary>True when spans and metrics go out over OTLP.</summary>
    public bool IsExporting => _monitor is not null;

    /// <summary>The first error the OTLP exporter reported (one line); null when none or not exporting.</summary>
    public string? ExportError => _monitor?.FirstError;

    /// <summary>
    /// Starts tracer providers for the hosts named <paramref name="hostNames"/> (the actor systems'
    /// names) as <paramref name="options"/> ask. Call before the hosts send anything. Throws
    /// <see cref="ArgumentException"/> for options <see cref="TelemetryOptions.Validate"/> rejects.
    /// <paramref name="serviceHost"/> names the service when it is not the system's name: a console-cluster node's
    /// system is <c>edsos</c> in every process, and its service is <c>edsos-host-a</c> after the host it runs.
    /// </summary>
    public static TelemetrySession Start(TelemetryOptions options, IReadOnlyList<string> hostNames, string? serviceHost = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(hostNames);
        string? invalid = options.Validate();
        if (invalid is not null)
        {
            throw new ArgumentException(invalid, nameof(options));
        }

        var session = new TelemetrySession(options);
        if (!options.TracesAnything)
        {
            return session;
        }

        string baseName = BaseServiceName(options);
        bool otlp = options.EffectiveOtlpEndpoint is not null;
        if (otlp)
        {
            session._monitor = new OtlpExportMonitor();
        }

        if (options.TraceFile is not null || options.ShowChain || options.CollectSpans)
        {
            session.Collector = new SpanCollector(options.MaxCollectedSpans);
        }

        foreach (string host in hostNames)
        {
            string service = ServiceNameFor(baseName, serviceHost ?? host);
            var builder = Sdk.CreateTracerProviderBuilder()
                .AddSource(ActivitySources.ForSystem(host))
                .SetResourceBuilder(ResourceBuilder.CreateDefault()
                    .AddService(service)
                    .AddAttributes([new KeyValuePair<string, object>("edsos.host", serviceHost ?? host)]))
                .SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(options.SampleRatio)));
            if (session.Collector is not null)
            {
                // Simple (synchronous) export: the file and the chain must hold every span of the run.
                builder.AddProcessor(new SimpleActivityExportProcessor(session.Collector.CreateExporter(service)));
            }

            if (otlp)
            {
                builder.AddOtlpExporter(o => ConfigureOtlp(o, options, "v1/traces"));
            }

            session._tracers.Add(builder.Build());
        }

        if (otlp)
        {
            session._meters = Sdk.CreateMeterProviderBuilder()
                .AddMeter(ActivitySources.MeterName)
                .SetResourceBuilder(ResourceBuilder.CreateDefault().AddService(baseName))
                .AddOtlpExporter((o, reader) =>
                {
                    ConfigureOtlp(o, options, "v1/metrics");
                    reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = 5000;
                })
                .Build();
        }

        return session;
    }

    /// <summary>The service name of host <paramref name="host"/>: <c>&lt;base&gt;-host-&lt;name in lower case&gt;</c>.</summary>
    public static string ServiceNameFor(string baseName, string host) =>
        $"{baseName}-host-{host.ToLowerInvariant()}";

    /// <summary>
    /// Exports what is buffered (OTLP batches, metrics); returns false when an exporter failed or timed
    /// out (<see cref="ExportError"/> then says which, when the exporter told).
    /// </summary>
    public bool Flush(int timeoutMilliseconds = 10_000)
    {
        bool ok = true;
        foreach (var tracer in _tracers)
        {
            ok &= tracer.ForceFlush(timeoutMilliseconds);
        }

        if (_meters is not null)
        {
            ok &= _meters.ForceFlush(timeoutMilliseconds);
        }

        return ok;
    }

    /// <summary>Flushes and shuts the providers down; the hosts' sources are no longer listened to.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (var tracer in _tracers)
        {
            tracer.Dispose();
        }

        _meters?.Dispose();
        _monitor?.Dispose();
    }

    private static string BaseServiceName(TelemetryOptions options)
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable("OTEL_SERVICE_NAME");
        return options.ServiceName ?? (string.IsNullOrWhiteSpace(fromEnvironment) ? "edsos" : fromEnvironment);
    }

    /// <remarks>
    /// An endpoint given on the command line is used as is for gRPC; for HTTP/protobuf the signal's
    /// path is appended (the exporter does that only for an endpoint from the environment).
    /// </remarks>
    private static void ConfigureOtlp(OtlpExporterOptions o, TelemetryOptions options, string signalPath)
    {
        string? protocol = options.OtlpProtocol ?? Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_PROTOCOL");
        if (options.OtlpEndpoint is null)
        {
            // The exporter reads OTEL_EXPORTER_OTLP_ENDPOINT / _PROTOCOL itself.
            return;
        }

        var endpoint = new Uri(options.OtlpEndpoint);
        bool http = protocol is null ? endpoint.Port == 4318 : protocol == "http/protobuf";
        o.Protocol = http ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;
        if (http && endpoint.AbsolutePath.Trim('/').Length == 0)
        {
            endpoint = new Uri(endpoint, signalPath);
        }

        o.Endpoint = endpoint;
    }
}
