namespace Edsos.Host.Faults;

/// <summary>
/// What a <see cref="FaultScenario"/> saw. <see cref="Violations"/> lists each invariant that did
/// not hold; empty means the system behaved as designed.
/// </summary>
public sealed record FaultScenarioResult
{
    /// <summary>The fault as <c>FAULT@POINT</c>, or "none".</summary>
    public required string Fault { get; init; }

    /// <summary>True once the fault fired.</summary>
    public required bool FaultFired { get; init; }

    /// <summary>Which counted hit of the point fired it (0: did not fire).</summary>
    public required int FaultHit { get; init; }

    /// <summary>Paths of the CTRNs the TS exit lifted (ts-exit only).</summary>
    public required IReadOnlyList<string> LiftedCtrns { get; init; }

    /// <summary>Nodes the lift at the point revoked, CTRNs included (ts-exit only).</summary>
    public required int LiftedNodes { get; init; }

    /// <summary>App A's syscalls (sockets, sends, the injected close).</summary>
    public required int Syscalls { get; init; }

    /// <summary>Results by outcome: "ok" or the errno name, with counts; "none" counts calls that never returned.</summary>
    public required IReadOnlyDictionary<string, int> SyscallResults { get; init; }

    /// <summary>The bystander app's sends on host A (another TS, another socket) and how many succeeded.</summary>
    public required int BystanderSends { get; init; }

    /// <summary>Of <see cref="BystanderSends"/>, how many succeeded.</summary>
    public required int BystanderOk { get; init; }

    /// <summary>App A's frames on the wire after its TS was lifted: each carried bytes of a lifted page. Must be 0.</summary>
    public required long FramesFromLiftedPages { get; init; }

    /// <summary>Frames host A put on the wire.</summary>
    public required long FramesTx { get; init; }

    /// <summary>Exceptions that escaped actors, as "actor: message" (an injected driver crash shows here once).</summary>
    public required IReadOnlyList<string> ActorFailures { get; init; }

    /// <summary>Pages still in use on both hosts after everything closed.</summary>
    public required int LeakedPages { get; init; }

    /// <summary>CTRNs still live on both hosts after everything closed.</summary>
    public required int LeakedCtrns { get; init; }

    /// <summary>Nodes still live on both hosts after everything closed.</summary>
    public required int LeakedNodes { get; init; }

    /// <summary>DMA pins still held on both hosts after everything closed.</summary>
    public required int LeakedPins { get; init; }

    /// <summary>Each invariant that failed, in words; empty when the system behaved as designed.</summary>
    public required IReadOnlyList<string> Violations { get; init; }

    /// <summary>True when <see cref="Violations"/> is empty.</summary>
    public bool Ok => Violations.Count == 0;

    /// <summary>True when a signal stopped app A's sends early; the checks cover what ran.</summary>
    public bool Interrupted { get; init; }

    /// <summary>Frames written to the pcap file (0 without one).</summary>
    public long PcapFrames { get; init; }
}
