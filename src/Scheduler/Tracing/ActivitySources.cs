namespace Edsos.Scheduler;

/// <summary>
/// The names of EDSOS's <see cref="System.Diagnostics.ActivitySource"/>s and its
/// <see cref="System.Diagnostics.Metrics.Meter"/>, in one place (Orleans' <c>ActivitySources</c>).
/// Each actor system (one EDSOS host) has its own source, <c>Edsos.&lt;system name&gt;</c>, so a
/// tracer provider per host can give each host its own service name; <see cref="All"/> subscribes
/// to every host at once.
/// </summary>
public static class ActivitySources
{
    /// <summary>The prefix of every EDSOS source name.</summary>
    public const string Prefix = "Edsos";

    /// <summary>A wildcard (as OpenTelemetry's <c>AddSource</c> accepts) matching every host's source.</summary>
    public const string All = Prefix + ".*";

    /// <summary>The name of the static meter (<see cref="EdsosMetrics"/>).</summary>
    public const string MeterName = Prefix;

    /// <summary>The source name of the actor system (host) called <paramref name="systemName"/>.</summary>
    public static string ForSystem(string systemName) => $"{Prefix}.{systemName}";
}
