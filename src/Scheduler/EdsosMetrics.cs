using Akka.Actor;
using System.Diagnostics.Metrics;

namespace Edsos.Scheduler;

/// <summary>
/// EDSOS's metrics (<see cref="System.Diagnostics.Metrics"/>), one static meter named
/// <see cref="ActivitySources.MeterName"/>, and the observable gauges over every live host's memory
/// counters (payload bytes copied, live CTRNs, pages in use). Each service declares its own
/// instruments on <see cref="Meter"/> (the KPN's sends, the driver's ring occupancy, the qdisc's
/// backlog). Every measurement is tagged <c>edsos.host</c> (<see cref="HostTag"/>). Recording with
/// no listener costs a check and allocates nothing.
/// </summary>
public static class EdsosMetrics
{
    private static readonly Lock s_gate = new();
    private static ActorSystem[] s_systems = [];

    /// <summary>The meter every EDSOS instrument belongs to.</summary>
    public static readonly Meter Meter = new(ActivitySources.MeterName);

    static EdsosMetrics()
    {
        Meter.CreateObservableCounter("edsos.memory.payload_bytes_copied", () => Observe(c => c.PayloadBytesCopied), "By", "payload bytes the CPU copied");
        Meter.CreateObservableCounter("edsos.memory.header_bytes_copied", () => Observe(c => c.HeaderBytesCopied), "By", "header bytes the CPU copied");
        Meter.CreateObservableGauge("edsos.memory.live_ctrns", () => Observe(c => c.LiveCtrns), "{ctrn}", "live CTRNs");
        Meter.CreateObservableGauge("edsos.memory.pages_in_use", () => Observe(c => c.PagesInUse), "{page}", "arena pages in use");
    }

    /// <summary>The <c>edsos.host</c> tag of <paramref name="system"/>'s measurements.</summary>
    public static KeyValuePair<string, object?> HostTag(ActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        return new KeyValuePair<string, object?>("edsos.host", system.Name);
    }

    internal static void Register(ActorSystem system)
    {
        lock (s_gate)
        {
            s_systems = [.. s_systems, system];
        }
    }

    internal static void Unregister(ActorSystem system)
    {
        lock (s_gate)
        {
            s_systems = Array.FindAll(s_systems, s => !ReferenceEquals(s, system));
        }
    }

    private static IEnumerable<Measurement<long>> Observe(Func<Memory.MemoryCounters, long> pick)
    {
        var systems = s_systems;
        var measurements = new List<Measurement<long>>(systems.Length);
        foreach (var system in systems)
        {
            try
            {
                measurements.Add(new Measurement<long>(pick(system.Memory.Counters), HostTag(system)));
            }
            catch (ObjectDisposedException)
            {
                // A host torn down between the snapshot of the list and this read: skip it.
            }
        }

        return measurements;
    }
}
