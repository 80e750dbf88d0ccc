using System.Diagnostics.Metrics;
using Edsos.Scheduler;

namespace Edsos.Protocol.Qdisc;

/// <summary>The qdisc's instruments, on <see cref="EdsosMetrics.Meter"/>, tagged <c>edsos.host</c> by the caller.</summary>
public static class QdiscMetrics
{
    /// <summary><c>edsos.qdisc.backlog</c>: frames waiting in the qdisc.</summary>
    public static readonly UpDownCounter<long> QdiscBacklog = EdsosMetrics.Meter.CreateUpDownCounter<long>("edsos.qdisc.backlog", "{frame}", "frames queued in the qdisc");
}
