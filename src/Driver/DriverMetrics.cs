using System.Diagnostics.Metrics;
using Edsos.Scheduler;

namespace Edsos.Driver;

/// <summary>The driver's instruments, on <see cref="EdsosMetrics.Meter"/>, tagged <c>edsos.host</c> by the caller.</summary>
public static class DriverMetrics
{
    /// <summary><c>edsos.driver.tx_ring.in_use</c>: TX descriptors handed to the device and not yet reclaimed.</summary>
    public static readonly UpDownCounter<long> RingOccupancy = EdsosMetrics.Meter.CreateUpDownCounter<long>("edsos.driver.tx_ring.in_use", "{descriptor}", "TX ring descriptors in flight");
}
