using System.Diagnostics;

namespace Edsos.Host.Telemetry;

/// <summary>One finished span as the <see cref="SpanCollector"/> kept it, with the service (host) that produced it.</summary>
/// <param name="ServiceName">The service name of the host's tracer provider, e.g. <c>edsos-host-a</c>.</param>
/// <param name="Span">The finished activity.</param>
public sealed record CollectedSpan(string ServiceName, Activity Span);
