using System.Diagnostics.Tracing;
using System.Net.Sockets;

namespace Edsos.Host.Telemetry;

/// <summary>
/// What really happened to an OTLP export. The exporter never throws: it reports a failed export on
/// its event source (<c>OpenTelemetry-Exporter-OpenTelemetryProtocol</c>: an error, or over gRPC a
/// <c>TransientHttpError</c> warning) and drops the batch. This
/// listener keeps the first error there in one line (say <c>HttpRequestException: Connection refused
/// (127.0.0.1:9)</c>) and counts them, so a run can say "export failed: connection refused" rather
/// than guess at a timeout. <see cref="Probe"/> checks before a run that something accepts
/// connections at the endpoint, for an early warning.
/// </summary>
public sealed class OtlpExportMonitor : EventListener
{
    private const string ExporterSource = "OpenTelemetry-Exporter-OpenTelemetryProtocol";

    // Written from the exporter's threads.
    private string? _firstError;
    private int _errors;

    /// <summary>The first export error, in one line; null while none happened.</summary>
    public string? FirstError => Volatile.Read(ref _firstError);

    /// <summary>Export errors the exporter reported.</summary>
    public int Errors => Volatile.Read(ref _errors);

    /// <summary>
    /// Tries a TCP connection to <paramref name="endpoint"/>'s host and port within
    /// <paramref name="timeout"/>; returns null when something accepted it, else what went wrong in
    /// words (connection refused, no such host, no answer).
    /// </summary>
    public static string? Probe(Uri endpoint, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        try
        {
            using var client = new TcpClient();
            if (!client.ConnectAsync(endpoint.Host, endpoint.Port).Wait(timeout))
            {
                return $"no answer from {endpoint.Host}:{endpoint.Port} within {timeout.TotalSeconds:0.#} s";
            }

            return null;
        }
        catch (AggregateException e) when (e.InnerException is SocketException socket)
        {
            return $"{socket.Message} ({endpoint.Host}:{endpoint.Port})";
        }
        catch (SocketException socket)
        {
            return $"{socket.Message} ({endpoint.Host}:{endpoint.Port})";
        }
    }

    /// <inheritdoc />
    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        ArgumentNullException.ThrowIfNull(eventSource);
        if (eventSource.Name == ExporterSource)
        {
            EnableEvents(eventSource, EventLevel.Warning);
        }
    }

    /// <inheritdoc />
    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        ArgumentNullException.ThrowIfNull(eventData);
        // Errors, and warnings that carry an exception: the gRPC path reports a refused connection as
        // a warning (TransientHttpError) and then drops the batch all the same.
        if (eventData.EventSource.Name != ExporterSource
            || eventData.Level > EventLevel.Warning
            || (eventData.Level == EventLevel.Warning && !(eventData.Payload ?? []).Any(p => p is string text && text.Contains("Exception", StringComparison.Ordinal))))
        {
            return;
        }

        Interlocked.Increment(ref _errors);
        Interlocked.CompareExchange(ref _firstError, Describe(eventData), null);
    }

    /// <summary>The exception's first line (its type without namespace and its message), else the event's text.</summary>
    private static string Describe(EventWrittenEventArgs e)
    {
        foreach (object? item in e.Payload ?? [])
        {
            if (item is string text && text.Contains("Exception", StringComparison.Ordinal))
            {
                string line = text.Split('\n', 2)[0].Trim();
                int colon = line.IndexOf(": ", StringComparison.Ordinal);
                if (colon > 0)
                {
                    string type = line[..colon];
                    return $"{type[(type.LastIndexOf('.') + 1)..]}{line[colon..]}";
                }

                return line;
            }
        }

        string message = e.Message ?? e.EventName ?? "export failed";
        return e.Payload is { Count: > 0 } payload ? string.Format(System.Globalization.CultureInfo.InvariantCulture, message, [.. payload]) : message;
    }
}
