namespace Edsos.Host.Demo;

/// <summary>
/// The JSON summary of <c>edsos demo --fault</c> (snake_case names): the run, the fault and what
/// it did, app A's results, the bystander, frames from lifted pages, and the leak report.
/// </summary>
public sealed record FaultDemoReport
{
    /// <summary>Always <c>zerocopy</c>: faults are injected into the zero-copy path.</summary>
    public required string Mode { get; init; }

    /// <summary>Always <c>udp</c> for now.</summary>
    public required string Proto { get; init; }

    /// <summary>App A's <c>sendto</c> calls.</summary>
    public required int Sends { get; init; }

    /// <summary>Payload bytes per datagram.</summary>
    public required int Size { get; init; }

    /// <summary>The fault, <c>FAULT@POINT</c>.</summary>
    public required string Fault { get; init; }

    /// <summary>What the fault does, in words.</summary>
    public required string FaultDescription { get; init; }

    /// <summary>True when the fault fired.</summary>
    public required bool FaultFired { get; init; }

    /// <summary>The hit of the injection point that fired it.</summary>
    public required int FaultHit { get; init; }

    /// <summary>Paths of the CTRNs the TS exit lifted.</summary>
    public required IReadOnlyList<string> LiftedCtrns { get; init; }

    /// <summary>Nodes the lift revoked (CTRNs included).</summary>
    public required int LiftedNodes { get; init; }

    /// <summary>App A's syscalls.</summary>
    public required int Syscalls { get; init; }

    /// <summary>App A's results by outcome ("ok" or the errno).</summary>
    public required IReadOnlyDictionary<string, int> SyscallResults { get; init; }

    /// <summary>The bystander app's sends on host A.</summary>
    public required int BystanderSends { get; init; }

    /// <summary>Of those, how many succeeded.</summary>
    public required int BystanderOk { get; init; }

    /// <summary>Frames host A put on the wire.</summary>
    public required long FramesTx { get; init; }

    /// <summary>App A's frames after its TS was lifted (must be 0).</summary>
    public required long FramesFromLiftedPages { get; init; }

    /// <summary>Exceptions that escaped actors (an injected crash shows once).</summary>
    public required IReadOnlyList<string> ActorFailures { get; init; }

    /// <summary>Pages in use after both hosts closed everything.</summary>
    public required int LeakedPages { get; init; }

    /// <summary>CTRNs live after both hosts closed everything.</summary>
    public required int LeakedCtrns { get; init; }

    /// <summary>Nodes live after both hosts closed everything.</summary>
    public required int LeakedNodes { get; init; }

    /// <summary>DMA pins held after both hosts closed everything.</summary>
    public required int LeakedPins { get; init; }

    /// <summary>True when the system behaved as designed.</summary>
    public required bool Ok { get; init; }

    /// <summary>The invariants that failed, in words.</summary>
    public required IReadOnlyList<string> Violations { get; init; }

    /// <summary>True when a signal stopped app A's sends early; the checks cover what ran.</summary>
    public bool Interrupted { get; init; }

    /// <summary>The pcap file written (<c>--pcap</c>); null for none.</summary>
    public string? PcapPath { get; init; }

    /// <summary>Frames written to the pcap file (0 without <c>--pcap</c>).</summary>
    public long PcapFrames { get; init; }

    /// <summary>Wall time of the run.</summary>
    public required double ElapsedSeconds { get; init; }
}
