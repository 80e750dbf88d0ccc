using System.Diagnostics;
using OpenTelemetry;

namespace Edsos.Host.Telemetry;

/// <summary>
/// An in-memory OpenTelemetry exporter: keeps the finished spans of every host of a run (up to a
/// limit; later ones are only counted) for the trace file and the console chain. Thread-safe:
/// hosts' tracer providers export into one collector from their actor threads.
/// </summary>
public sealed class SpanCollector
{
    private readonly Lock _gate = new();
    private readonly List<CollectedSpan> _spans = [];
    private readonly int _limit;
    private long _dropped;

    /// <summary>Creates a collector keeping at most <paramref name="limit"/> spans.</summary>
    public SpanCollector(int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        _limit = limit;
    }

    /// <summary>Spans finished but not kept because the limit was reached.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>A snapshot of the kept spans, in the order they finished.</summary>
    public IReadOnlyList<CollectedSpan> Spans
    {
        get
        {
            lock (_gate)
            {
                return [.. _spans];
            }
        }
    }

    /// <summary>An exporter that adds to this collector under <paramref name="serviceName"/>.</summary>
    public BaseExporter<Activity> CreateExporter(string serviceName) => new Exporter(this, serviceName);

    private void Add(string serviceName, in Batch<Activity> batch)
    {
        lock (_gate)
        {
            foreach (var span in batch)
            {
                if (_spans.Count < _limit)
                {
                    _spans.Add(new CollectedSpan(serviceName, span));
                }
                else
                {
                    _dropped++;
                }
            }
        }
    }

    private sealed class Exporter(SpanCollector collector, string serviceName) : BaseExporter<Activity>
    {
        public override ExportResult Export(in Batch<Activity> batch)
        {
            collector.Add(serviceName, batch);
            return ExportResult.Success;
        }
    }
}
