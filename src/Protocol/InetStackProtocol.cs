namespace Edsos.Protocol;

/// <summary>
/// Lifecycle and statistics events every actor of an inet stack answers. <see cref="InetStack.StopAsync"/>
/// drives the two-phase stop; <see cref="InetStackHandle.GetStatisticsAsync"/> collects the counters.
/// </summary>
public static class InetStackProtocol
{
    /// <summary>
    /// Phase 1 of an orderly stop: from now on the actor starts no new work and pops every node that
    /// still reaches it (completing requests with <see cref="Errno.ENETDOWN"/>). Reply: <see cref="Quiesced"/>.
    /// </summary>
    public sealed record Quiesce
    {
        /// <summary>The one instance.</summary>
        public static Quiesce Instance { get; } = new();
    }

    /// <summary>Reply to <see cref="Quiesce"/>.</summary>
    public sealed record Quiesced(string Actor);

    /// <summary>
    /// Phase 2, sent once every actor of the stack is quiesced (so no node is in flight between them):
    /// pop everything held (parked datagrams, queued frames, partial reassemblies). Reply:
    /// <see cref="Released"/> with how many nodes were popped.
    /// </summary>
    public sealed record Release
    {
        /// <summary>The one instance.</summary>
        public static Release Instance { get; } = new();
    }

    /// <summary>Reply to <see cref="Release"/>.</summary>
    public sealed record Released(string Actor, int NodesPopped);

    /// <summary>Anyone → a stack actor: reply with that actor's counters record.</summary>
    public sealed record GetCounters
    {
        /// <summary>The one instance.</summary>
        public static GetCounters Instance { get; } = new();
    }
}
