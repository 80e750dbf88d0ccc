using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Edsos.Host.Telemetry;

/// <summary>
/// Writes spans in the JSON the Jaeger UI opens through "JSON File" (the query service's
/// <c>/api/traces</c> shape): <c>{"data":[{"traceID","spans":[...],"processes":{...}}]}</c>, one
/// entry per trace, times in microseconds since the Unix epoch, span events as logs, links as
/// <c>FOLLOWS_FROM</c> references, and one process per service (host).
/// </summary>
public static class JaegerTraceFile
{
    /// <summary>Writes <paramref name="spans"/> to <paramref name="path"/>; IO errors propagate.</summary>
    public static void Write(string path, IReadOnlyList<CollectedSpan> spans)
    {
        using var stream = File.Create(path);
        Write(stream, spans);
    }

    /// <summary>Writes <paramref name="spans"/> as Jaeger trace JSON to <paramref name="stream"/>.</summary>
    public static void Write(Stream stream, IReadOnlyList<CollectedSpan> spans)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(spans);
        var traces = new Dictionary<ActivityTraceId, List<CollectedSpan>>();
        var order = new List<ActivityTraceId>();
        foreach (var span in spans)
        {
            if (!traces.TryGetValue(span.Span.TraceId, out var list))
            {
                traces[span.Span.TraceId] = list = [];
                order.Add(span.Span.TraceId);
            }

            list.Add(span);
        }

        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = false });
        json.WriteStartObject();
        json.WriteStartArray("data");
        foreach (var traceId in order)
        {
            WriteTrace(json, traceId, traces[traceId]);
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteTrace(Utf8JsonWriter json, ActivityTraceId traceId, List<CollectedSpan> spans)
    {
        var processes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var span in spans)
        {
            if (!processes.ContainsKey(span.ServiceName))
            {
                processes[span.ServiceName] = $"p{processes.Count + 1}";
            }
        }

        json.WriteStartObject();
        json.WriteString("traceID", traceId.ToHexString());
        json.WriteStartArray("spans");
        foreach (var span in spans)
        {
            WriteSpan(json, span.Span, processes[span.ServiceName]);
        }

        json.WriteEndArray();
        json.WriteStartObject("processes");
        foreach (var (service, id) in processes)
        {
            json.WriteStartObject(id);
            json.WriteString("serviceName", service);
            json.WriteStartArray("tags");
            json.WriteEndArray();
            json.WriteEndObject();
        }

        json.WriteEndObject();
        json.WriteNull("warnings");
        json.WriteEndObject();
    }

    private static void WriteSpan(Utf8JsonWriter json, Activity span, string processId)
    {
        json.WriteStartObject();
        json.WriteString("traceID", span.TraceId.ToHexString());
        json.WriteString("spanID", span.SpanId.ToHexString());
        json.WriteNumber("flags", (int)span.ActivityTraceFlags);
        json.WriteString("operationName", span.DisplayName);
        json.WriteStartArray("references");
        if (span.ParentSpanId != default)
        {
            WriteReference(json, "CHILD_OF", span.TraceId, span.ParentSpanId);
        }

        foreach (var link in span.Links)
        {
            WriteReference(json, "FOLLOWS_FROM", link.Context.TraceId, link.Context.SpanId);
        }

        json.WriteEndArray();
        json.WriteNumber("startTime", Micros(span.StartTimeUtc));
        json.WriteNumber("duration", Math.Max(0, (long)Math.Round(span.Duration.TotalMicroseconds)));
        json.WriteStartArray("tags");
        WriteTag(json, "span.kind", span.Kind.ToString().ToLowerInvariant());
        foreach (var tag in span.TagObjects)
        {
            WriteTag(json, tag.Key, tag.Value);
        }

        if (span.Status == ActivityStatusCode.Error)
        {
            WriteTag(json, "error", true);
            WriteTag(json, "otel.status_description", span.StatusDescription ?? string.Empty);
        }

        json.WriteEndArray();
        json.WriteStartArray("logs");
        foreach (var e in span.Events)
        {
            json.WriteStartObject();
            json.WriteNumber("timestamp", Micros(e.Timestamp.UtcDateTime));
            json.WriteStartArray("fields");
            WriteTag(json, "event", e.Name);
            foreach (var tag in e.Tags)
            {
                WriteTag(json, tag.Key, tag.Value);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteString("processID", processId);
        json.WriteNull("warnings");
        json.WriteEndObject();
    }

    private static void WriteReference(Utf8JsonWriter json, string type, ActivityTraceId traceId, ActivitySpanId spanId)
    {
        json.WriteStartObject();
        json.WriteString("refType", type);
        json.WriteString("traceID", traceId.ToHexString());
        json.WriteString("spanID", spanId.ToHexString());
        json.WriteEndObject();
    }

    private static void WriteTag(Utf8JsonWriter json, string key, object? value)
    {
        json.WriteStartObject();
        json.WriteString("key", key);
        switch (value)
        {
            case bool b:
                json.WriteString("type", "bool");
                json.WriteBoolean("value", b);
                break;
            case int or long or short or byte or uint or ushort:
                json.WriteString("type", "int64");
                json.WriteNumber("value", Convert.ToInt64(value, CultureInfo.InvariantCulture));
                break;
            case double or float:
                json.WriteString("type", "float64");
                json.WriteNumber("value", Convert.ToDouble(value, CultureInfo.InvariantCulture));
                break;
            default:
                json.WriteString("type", "string");
                json.WriteString("value", Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty);
                break;
        }

        json.WriteEndObject();
    }

    private static long Micros(DateTime utc) => (utc.Ticks - DateTime.UnixEpoch.Ticks) / 10;
}
