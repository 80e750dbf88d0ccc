using System.Diagnostics.Metrics;
using Edsos.Scheduler;

namespace Edsos.Kpn;

/// <summary>The syscall gateway's instruments, on <see cref="EdsosMetrics.Meter"/>, tagged <c>edsos.host</c> by the caller.</summary>
public static class KpnMetrics
{
    /// <summary><c>edsos.sends</c>: send/sendto syscalls that returned a byte count.</summary>
    public static readonly Counter<long> Sends = EdsosMetrics.Meter.CreateCounter<long>("edsos.sends", "{send}", "send/sendto syscalls that succeeded");

    /// <summary><c>edsos.bytes_sent</c>: bytes those syscalls reported sent.</summary>
    public static readonly Counter<long> BytesSent = EdsosMetrics.Meter.CreateCounter<long>("edsos.bytes_sent", "By", "bytes reported sent by send/sendto");

    /// <summary><c>edsos.send.duration</c>: time from the call to its return, in microseconds.</summary>
    public static readonly Histogram<double> SendLatency = EdsosMetrics.Meter.CreateHistogram<double>("edsos.send.duration", "us", "send/sendto latency");
}
