using Edsos.Scheduler.Faults;

namespace Edsos.Host.Faults;

/// <summary>What a <see cref="TcpFaultScenario"/> runs: the fault, and the stream around it.</summary>
public sealed record TcpFaultScenarioOptions
{
    /// <summary>The fault (null: a clean run, for comparison). Any pair of <see cref="FaultCatalog.Supported"/>.</summary>
    public FaultSpecName? Fault { get; init; }

    /// <summary>The client's <c>send</c> calls, one after the other. Default 4.</summary>
    public int Writes { get; init; } = 4;

    /// <summary>Bytes per <c>send</c> (at least 32, so every segment of 31 bytes or more carries the watched marker). Default 128 KiB.</summary>
    public int WriteSize { get; init; } = 128 * 1024;

    /// <summary>
    /// Hits of the point that pass before the fault fires ("mid-stream"). Default 2. The scenario uses 0 at
    /// <c>arp-parked</c>, where only the stream's SYN ever waits on ARP.
    /// </summary>
    public int FaultAfterHits { get; init; } = 2;

    /// <summary>How long one syscall may take before it counts as "no result". Default 20 s.</summary>
    public TimeSpan SyscallTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Arena pages per host. Default 2048.</summary>
    public int ArenaPages { get; init; } = 2048;

    /// <summary>TCP segmentation offload on both hosts. Default on.</summary>
    public bool Tso { get; init; } = true;
}
