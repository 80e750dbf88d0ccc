using System.Diagnostics.Tracing;
using System.Globalization;

namespace Edsos.Host.Bench;

/// <summary>
/// Samples what the process allocates, by type, from the runtime's own <c>GCAllocationTick</c> events (one
/// per about 100 KB allocated, naming the type of the object that crossed the mark), so a bench can say
/// which types its bytes per round are made of. Off unless a bench is run with <c>EDSOS_ALLOC_TYPES=N</c>,
/// which prints the top N types to standard error at the end; an aid for profiling, not a figure.
/// </summary>
public sealed class AllocationSampler : EventListener
{
    private const int GcAllocationTick = 10;
    private readonly Dictionary<string, long> _bytes = [];
    private readonly object _gate = new();
    private long _total;

    /// <summary>A sampler when <c>EDSOS_ALLOC_TYPES</c> asks for one, else null.</summary>
    public static AllocationSampler? FromEnvironment() =>
        int.TryParse(Environment.GetEnvironmentVariable("EDSOS_ALLOC_TYPES"), out int top) && top > 0 ? new AllocationSampler(top) : null;

    private AllocationSampler(int top) => Top = top;

    /// <summary>How many types <see cref="WriteTo"/> lists.</summary>
    public int Top { get; }

    /// <inheritdoc />
    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, (EventKeywords)0x1);
        }
    }

    /// <inheritdoc />
    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.EventId != GcAllocationTick || eventData.Payload is null || eventData.PayloadNames is null)
        {
            return;
        }

        int nameAt = eventData.PayloadNames.IndexOf("TypeName");
        int amountAt = eventData.PayloadNames.IndexOf("AllocationAmount64");
        if (nameAt < 0 || amountAt < 0)
        {
            return;
        }

        string type = eventData.Payload[nameAt] as string ?? "?";
        long amount = Convert.ToInt64(eventData.Payload[amountAt], CultureInfo.InvariantCulture);
        lock (_gate)
        {
            _bytes[type] = _bytes.GetValueOrDefault(type) + amount;
            _total += amount;
        }
    }

    /// <summary>Writes the top types with their share of the sampled bytes.</summary>
    public void WriteTo(TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(error);
        lock (_gate)
        {
            error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"allocation samples: {_total / 1e6:0.0} MB sampled"));
            foreach (var (type, bytes) in _bytes.OrderByDescending(p => p.Value).Take(Top))
            {
                error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {100.0 * bytes / Math.Max(_total, 1),5:0.0} %  {type}"));
            }
        }
    }
}
