using Akka.Actor;

namespace Edsos.Host.Cluster;

/// <summary>Marks the messages that cross processes in a console cluster (bound to <see cref="EdsosJsonSerializer"/>).</summary>
public interface IClusterMessage
{
}

/// <summary>
/// The messages between <c>edsos cluster demo</c>'s coordinator (<see cref="ClusterCoordinator"/>) and the
/// <c>edsos node</c> processes (<see cref="NodeAgent"/>), over Akka.Remote. Plain data: no capability, handle or
/// payload byte crosses; each host's arena stays in its own process. Coordinator-to-node messages that start
/// work are sent with <c>TellTraced</c>, so a node's handling joins the coordinator's trace.
/// </summary>
public static class ClusterProtocol
{
    /// <summary>Node → coordinator, once the node is an Up member and its host runs. <paramref name="Node"/> is its <see cref="NodeAgent"/>.</summary>
    public sealed record NodeReady(string Host, string Role, int Pid, string Address, IActorRef Node) : IClusterMessage;

    /// <summary>
    /// Coordinator → host A's node: run the echo client against host B's echo app. When
    /// <paramref name="NotifyAt"/> is positive, the node tells <see cref="EchoReached"/> each time the echoes that
    /// came back reach a multiple of it (the coordinator's cue to kill a process). With <paramref name="Resume"/>, a client whose peer went
    /// down waits for it to come back (it is being restarted) instead of stopping. Reply: <see cref="EchoDone"/>.
    /// </summary>
    public sealed record RunEcho(string Proto, int Sends, int Size, int NotifyAt, double EchoTimeoutSeconds, bool Resume) : IClusterMessage;

    /// <summary>Node A → coordinator: <paramref name="Echoed"/> echoes verified so far (sent at every multiple of <see cref="RunEcho.NotifyAt"/>).</summary>
    public sealed record EchoReached(int Echoed) : IClusterMessage;

    /// <summary>
    /// Coordinator → node A: the cluster saw the peer host unreachable (<paramref name="Down"/> true) or back
    /// up (false). While it is down the client starts no send, and a round waiting for its echo ends at once.
    /// </summary>
    public sealed record PeerStatus(bool Down, string Host) : IClusterMessage;

    /// <summary>Node A → coordinator: the echo client's tally (reply to <see cref="RunEcho"/>).</summary>
    public sealed record EchoDone(
        int Ok, int Bad, int Lost, int Attempted, int LostToPeerDown, double LoopSeconds,
        double SendP50Us, double SendP99Us, double RttP50Us, string[] Errors, double SteadyPerSec, int SteadyFromRound) : IClusterMessage;

    /// <summary>
    /// Coordinator → host A's node: end the echo client's loop now (a chaos run's echo runs until its kills are done);
    /// a round waiting for its echo is not counted, and the client answers <see cref="EchoDone"/> as usual.
    /// </summary>
    public sealed record EndEcho(string Reason) : IClusterMessage;

    /// <summary>Coordinator → node: close every app and the host, then reply <see cref="NodeReport"/> and exit.</summary>
    public sealed record Finish(string Reason) : IClusterMessage;

    /// <summary>
    /// Node → coordinator: what the process's arena and NIC counted, read after it closed its part of the host. The
    /// leaked CTRNs and nodes are those of the process's own TSs; <paramref name="LeakedPages"/> and
    /// <see cref="ArenaNodes"/> are the whole arena's (a role process's arena is its host's: the last of them to close
    /// reports what its host leaked).
    /// </summary>
    public sealed record NodeReport(
        string Host, string Role, int Pid, long PayloadBytesCopied, long HeaderBytesCopied, long DmaBytes, long FramesTx,
        long WireFramesDropped, int EchoedByServer, int LeakedPages, int LeakedCtrns, int LeakedNodes, string[] Leaks) : IClusterMessage
    {
        /// <summary>The arena file (empty: a private arena, <c>--role all</c>).</summary>
        public string Arena { get; init; } = string.Empty;

        /// <summary>Live nodes in the whole arena when this process closed (any process's).</summary>
        public int ArenaNodes { get; init; }

        /// <summary>Dead peer processes of its host this process reaped.</summary>
        public int ReapedProcesses { get; init; }

        /// <summary>Nodes (CTRNs and the rest) the TS exits of those processes revoked.</summary>
        public int LiftedNodes { get; init; }

        /// <summary>Of <see cref="LiftedNodes"/>, the CTRNs.</summary>
        public int LiftedCtrns { get; init; }

        /// <summary>When this process noticed each peer death and had reaped it (Unix time, ms; one machine, one clock).</summary>
        public long[] DeathsHandledAtUnixMs { get; init; } = [];

        /// <summary>What happened to its peers (deaths, reaps, re-attachments), one line each.</summary>
        public string[] Events { get; init; } = [];
    }
}
