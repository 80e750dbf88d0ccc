namespace Edsos.Host.Cluster;

/// <summary>One process of a cluster run: its role, host and pid, and how it ended.</summary>
/// <param name="Role">The node's roles (<c>all</c>).</param>
/// <param name="Host">The EDSOS host it ran (<c>A</c> or <c>B</c>).</param>
/// <param name="Pid">Its process id.</param>
/// <param name="Ended">How it ended: <c>exit N</c>, <c>SIGKILL (the demo's kill)</c>, or <c>killed at cleanup</c>.</param>
/// <param name="Lanes">A role process's lane figures as it reported them at its end (messages sent and received by lane, left to Akka.Remote, transit p50 and p99); null for a process without lanes or one that did not end cleanly.</param>
public sealed record ClusterProcessInfo(string Role, string Host, int Pid, string Ended, string? Lanes = null);

/// <summary>
/// What <c>edsos cluster demo</c> measured, with the demo's field names (snake_case in <c>--json</c>): the echo tally
/// from host A's client, the memory and NIC counters summed over every arena that survived to report, the processes,
/// and, with a kill, the cluster's failure detection as the coordinator saw it.
/// </summary>
public sealed record ClusterDemoReport
{
    public required string Mode { get; init; }
    public required string Proto { get; init; }
    public required int Sends { get; init; }
    public required int Size { get; init; }
    public required int EchoedOk { get; init; }
    public required int EchoedBad { get; init; }
    public required int Lost { get; init; }

    /// <summary>Rounds lost because the peer's process died while they were in flight.</summary>
    public required int LostToPeerDown { get; init; }

    /// <summary>Rounds started (fewer than <see cref="Sends"/> when the client stopped after a kill without restart).</summary>
    public required int Attempted { get; init; }

    public bool Interrupted { get; init; }
    public required long FramesTx { get; init; }
    public required long PayloadBytesCopied { get; init; }
    public required long HeaderBytesCopied { get; init; }
    public required long DmaBytes { get; init; }
    public required int LeakedPages { get; init; }
    public required int LeakedCtrns { get; init; }
    public required int LeakedNodes { get; init; }

    /// <summary>Arenas whose leak report is in the sums (every host process that was not killed).</summary>
    public required int ArenasReported { get; init; }

    /// <summary>Peer processes the survivors reaped (a killed role process: 1).</summary>
    public int ReapedProcesses { get; init; }

    /// <summary>Nodes the reaps revoked: every node of the dead process's TSs and every CTRN originating in them.</summary>
    public int LiftedNodes { get; init; }

    /// <summary>Of <see cref="LiftedNodes"/>, the CTRNs.</summary>
    public int LiftedCtrns { get; init; }

    /// <summary>A killed role process: seconds from the SIGKILL until the last surviving process of its host had noticed and reaped it.</summary>
    public double? ReapedAfterS { get; init; }

    public required double SendsPerSec { get; init; }

    /// <summary>The client's verified rounds per second once the rate settled (every process's JIT warm-up left out; rule in <c>EchoTally.SteadyPerSec</c>).</summary>
    public double SteadySendsPerSec { get; init; }

    /// <summary>The verified rounds <see cref="SteadySendsPerSec"/> left out as warm-up.</summary>
    public int SteadyFromRound { get; init; }
    public required double SendP50Us { get; init; }
    public required double SendP99Us { get; init; }
    public required double RttP50Us { get; init; }
    public required double ElapsedSeconds { get; init; }

    /// <summary>Every node process started, in start order.</summary>
    public required IReadOnlyList<ClusterProcessInfo> Processes { get; init; }

    /// <summary>The process the demo killed (SIGKILL), or null.</summary>
    public ClusterProcessInfo? Killed { get; init; }

    /// <summary>Echoes verified when the kill was sent.</summary>
    public int? KilledAfterEchoes { get; init; }

    /// <summary>Seconds from the SIGKILL until the coordinator's cluster saw the member unreachable.</summary>
    public double? UnreachableAfterS { get; init; }

    /// <summary>Seconds from the SIGKILL until the member was removed (downed by the split-brain resolver).</summary>
    public double? RemovedAfterS { get; init; }

    /// <summary>Seconds from the SIGKILL until the restarted host was an Up member with its apps running.</summary>
    public double? RejoinedAfterS { get; init; }

    /// <summary>Echoes verified after the restarted host came back.</summary>
    public int? EchoedAfterRestart { get; init; }

    /// <summary>A chaos run's seed (<c>--chaos K --seed S</c>), or null.</summary>
    public int? ChaosSeed { get; init; }

    /// <summary>A chaos run's kills in order, each with the cluster's removal and the successor's return (empty without <c>--chaos</c>).</summary>
    public IReadOnlyList<ClusterKillRecord> Kills { get; init; } = [];

    /// <summary>The failure detector and downing in force (the same for every member).</summary>
    public required string FailureDetection { get; init; }

    /// <summary>The serializer of the messages between processes.</summary>
    public required string Serializer { get; init; }

    public required IReadOnlyList<string> Leaks { get; init; }
    public required IReadOnlyList<string> Errors { get; init; }

    /// <summary>The verdict: the system behaved as designed (the exit code is 0 exactly then).</summary>
    public required bool Ok { get; init; }
}
