using Edsos.Scheduler.Faults;

namespace Edsos.Host.Faults;

/// <summary>What a <see cref="FaultScenario"/> runs: the fault, and the app's traffic around it.</summary>
public sealed record FaultScenarioOptions
{
    /// <summary>The fault to inject into app A's sends (null: a clean run, for comparison).</summary>
    public FaultSpecName? Fault { get; init; }

    /// <summary>Datagrams app A sends to B (one <c>sendto</c> each). Default 12.</summary>
    public int Sends { get; init; } = 12;

    /// <summary>Payload bytes per datagram (up to 65507; above one MTU datagrams are fragmented, and the watched wire follows a datagram's fragments by its IP identification). Default 256.</summary>
    public int Size { get; init; } = 256;

    /// <summary>Sends that complete before the fault may fire ("partway through"). Default 3; 0 at <c>arp-parked</c>, where only the first send parks.</summary>
    public int FaultAfterSends { get; init; } = 3;

    /// <summary>How long one syscall may take before it counts as "no result". Default 20 s.</summary>
    public TimeSpan SyscallTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Arena pages per host. Default 2048.</summary>
    public int ArenaPages { get; init; } = 2048;

    /// <summary>Write every frame of the wire (both directions, seen at host A's end) to this pcap file; null for none.</summary>
    public string? PcapPath { get; init; }
}
