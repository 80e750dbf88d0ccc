using Akka.Actor;
using System.Diagnostics.Metrics;

namespace Edsos.Scheduler;

/// <summary>
/// EDSOS's metrics (<see cref="System.Diagnostics.Metrics"/>), one static meter named
/// <see cref="ActivitySources.MeterName"/>: sends, bytes, the send latency, TX ring occupancy and
/// qdisc backlog recorded by the services, and observable gauges over every live host's memory
/// counters (payload bytes copied, live CTRNs, pages in use). Every measurement is tagged
/// <c>edsos.host</c>. Recording with no listener costs a check and allocates nothing.
/// </summary>
public static class EdsosMetrics
{
    private static readonly Lock s_gate = new();
    private static ActorSystem[] s_systems = [];

    /// <summary>The meter every EDSOS instrument belongs to.</summary>
    public static readonly Meter Meter = new(ActivitySources.MeterName);

    /// <summary><c>edsos.sends</c>: send/sendto syscalls that returned a byte count.</summary>
    public static readonly Counter<long> Sends = Meter.CreateCounter<long>("edsos.sends", "{send}", "send/sendto syscalls that succeeded");

    /// <summary><c>edsos.bytes_sent</c>: bytes those syscalls reported sent.</summary>
    public static readonly Counter<long> BytesSent = Meter.CreateCounter<long>("edsos.bytes_sent", "By", "bytes reported sent by send/sendto");

    /// <summary><c>edsos.send.duration</c>: time from the call to its return, in microseconds.</summary>
    public static readonly Histogram<double> SendLatency = Meter.CreateHistogram<double>("edsos.send.duration", "us", "send/sendto latency");

    /// <summary><c>edsos.driver.tx_ring.in_use</c>: TX descriptors handed to the device and not yet reclaimed.</summary>
    public static readonly UpDownCounter<long> RingOccupancy = Meter.CreateUpDownCounter<long>("edsos.driver.tx_ring.in_use", "{descriptor}", "TX ring descriptors in flight");

    /// <summary><c>edsos.qdisc.backlog</c>: frames waiting in the qdisc.</summary>
    public static readonly UpDownCounter<long> QdiscBacklog = Meter.CreateUpDownCounter<long>("edsos.qdisc.backlog", "{frame}", "frames queued in the qdisc");

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
