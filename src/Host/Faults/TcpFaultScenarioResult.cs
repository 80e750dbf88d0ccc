using Edsos.Memory;
using Edsos.Protocol;
using Edsos.Scheduler;

namespace Edsos.Host.Faults;

/// <summary>
/// What a <see cref="TcpFaultScenario"/> saw. <see cref="Violations"/> lists each invariant that did
/// not hold; empty means the system behaved as designed.
/// </summary>
public sealed record TcpFaultScenarioResult
{
    /// <summary>The fault as <c>FAULT@POINT</c>, or "none".</summary>
    public required string Fault { get; init; }

    /// <summary>What the fault does to the stream, in words (<see cref="TcpFaultScenario.Describe"/>).</summary>
    public required string FaultDescription { get; init; }

    /// <summary>Whose side the fault hit: "client" (host A, the send path) or "server" (host B, the receive duals).</summary>
    public required string Victim { get; init; }

    /// <summary>True once the fault fired.</summary>
    public required bool FaultFired { get; init; }

    /// <summary>Which counted hit of the point fired it (0: did not fire).</summary>
    public required int FaultHit { get; init; }

    /// <summary>Paths of the CTRNs the TS exit lifted (ts-exit only).</summary>
    public required IReadOnlyList<string> LiftedCtrns { get; init; }

    /// <summary>Nodes the lift at the point revoked, CTRNs included (ts-exit only).</summary>
    public required int LiftedNodes { get; init; }

    /// <summary>True when the victim's TS exited (expected for ts-exit only).</summary>
    public required bool VictimExited { get; init; }

    /// <summary>True when the client's connect succeeded (false only when the fault hit the handshake: <c>arp-parked</c>).</summary>
    public required bool Connected { get; init; }

    /// <summary>The client's and the server's syscalls (sockets, connect, accept, sends, receives, closes, the injected close).</summary>
    public required int Syscalls { get; init; }

    /// <summary>Results by app and outcome ("client ok", "server ECONNRESET", ...), with counts; "none" counts calls that never returned.</summary>
    public required IReadOnlyDictionary<string, int> SyscallResults { get; init; }

    /// <summary>The client's <c>send</c> results in order; the client stops at the first failure.</summary>
    public required IReadOnlyList<Errno> SendResults { get; init; }

    /// <summary>Bytes the client meant to send (writes × write size).</summary>
    public required long StreamBytes { get; init; }

    /// <summary>The bytes the server read, in order (compare with <see cref="TcpFaultScenario.StreamByte"/>).</summary>
    public required ReadOnlyMemory<byte> Received { get; init; }

    /// <summary>True when <see cref="Received"/> is a prefix of the stream the client wrote (no byte wrong or out of place).</summary>
    public required bool StreamIntact { get; init; }

    /// <summary>How the server's reading ended: <see cref="Errno.None"/> at the end of the stream, else the errno.</summary>
    public required Errno ReaderEnd { get; init; }

    /// <summary>Segments the client's host retransmitted (how device faults are repaired).</summary>
    public required long Retransmits { get; init; }

    /// <summary>Rounds of the bystander connection (another app pair, its own connection, on the same two hosts).</summary>
    public required int BystanderRounds { get; init; }

    /// <summary>Of <see cref="BystanderRounds"/>, how many carried their bytes across.</summary>
    public required int BystanderOk { get; init; }

    /// <summary>Frames host A put on the wire.</summary>
    public required long FramesTx { get; init; }

    /// <summary>Frames carrying the client's bytes after its TS was lifted: each carried bytes of a lifted page. Must be 0.</summary>
    public required long FramesFromLiftedPages { get; init; }

    /// <summary>Exceptions that escaped actors on either host (an injected driver crash shows here once).</summary>
    public required IReadOnlyList<ActorFailed> Failures { get; init; }

    /// <summary><see cref="Failures"/> as "actor: exception: message".</summary>
    public required IReadOnlyList<string> ActorFailures { get; init; }

    /// <summary>Host A's leak report after both hosts closed everything.</summary>
    public required LeakReport LeakA { get; init; }

    /// <summary>Host B's leak report after both hosts closed everything.</summary>
    public required LeakReport LeakB { get; init; }

    /// <summary>Each invariant that failed, in words; empty when the system behaved as designed.</summary>
    public required IReadOnlyList<string> Violations { get; init; }

    /// <summary>Pages still in use on both hosts after everything closed.</summary>
    public int LeakedPages => LeakA.PagesInUse + LeakB.PagesInUse;

    /// <summary>CTRNs still live on both hosts after everything closed.</summary>
    public int LeakedCtrns => LeakA.Nodes.Count(n => n.IsCtrn) + LeakB.Nodes.Count(n => n.IsCtrn);

    /// <summary>Nodes still live on both hosts after everything closed.</summary>
    public int LeakedNodes => LeakA.Nodes.Count + LeakB.Nodes.Count;

    /// <summary>DMA pins still held on both hosts after everything closed.</summary>
    public int LeakedPins => LeakA.ActivePins + LeakB.ActivePins;

    /// <summary>True when <see cref="Violations"/> is empty.</summary>
    public bool Ok => Violations.Count == 0;
}
