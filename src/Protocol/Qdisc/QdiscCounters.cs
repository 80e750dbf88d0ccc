namespace Edsos.Protocol.Qdisc;

/// <summary>Counters of the qdisc actor (reply to <see cref="InetStackProtocol.GetCounters"/>).</summary>
/// <param name="Enqueued">Frames queued.</param>
/// <param name="Dropped">Frames tail-dropped because the queue was at its limit.</param>
/// <param name="Transmitted">Frames handed to the driver.</param>
/// <param name="Completed">Completions received from the driver.</param>
/// <param name="Runs">Qdisc runs (each hands out at most the quota).</param>
/// <param name="Reschedules">Runs that used up the quota with frames left and rescheduled themselves.</param>
/// <param name="Blocked">Runs stopped because the driver had too few free descriptors.</param>
/// <param name="Backlog">Frames queued now.</param>
/// <param name="InFlight">Frames handed to the driver and not completed yet.</param>
/// <param name="Credit">Free TX descriptors as the qdisc sees them.</param>
public sealed record QdiscCounters(
    long Enqueued,
    long Dropped,
    long Transmitted,
    long Completed,
    long Runs,
    long Reschedules,
    long Blocked,
    int Backlog,
    int InFlight,
    int Credit);
