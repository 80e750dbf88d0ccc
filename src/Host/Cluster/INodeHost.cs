using Akka.Actor;
using Edsos.Kpn;
using Edsos.Memory;

namespace Edsos.Host.Cluster;

/// <summary>
/// What an <c>edsos node</c> runs its session on: the whole host in this process (<see cref="AllRolesHost"/>) or one
/// role of it on a shared arena (<see cref="RoleHost"/>).
/// </summary>
internal interface INodeHost : IAsyncDisposable
{
    /// <summary>This process's runtime.</summary>
    ActorSystem System { get; }

    /// <summary>The host's arena as this process sees it.</summary>
    MemoryManager Memory { get; }

    /// <summary>
    /// The TS paths whose leftover nodes are this process's leaks when it closes (<c>/</c> for a whole host; a role's
    /// own subtrees otherwise: the other roles of the host may still hold theirs).
    /// </summary>
    IReadOnlyList<string> LeakScope { get; }

    /// <summary>Starts user process <paramref name="name"/> (a role host: only the user role, once net is found).</summary>
    Task<Libc> StartProcessAsync(string name, CancellationToken stop);

    /// <summary>Frames the NIC sent (0 without a NIC in this process).</summary>
    Task<long> FramesSentAsync();

    /// <summary>Closes the process's part of the host in order, so a leak report afterwards names only true leaks.</summary>
    Task StopAsync();

    /// <summary>Peer processes this one reaped, the nodes their exits revoked and of those the CTRNs (0 for a whole host).</summary>
    (int Processes, int LiftedNodes, int LiftedCtrns) Reaped { get; }

    /// <summary>When each peer death was noticed and reaped (Unix time, ms).</summary>
    IReadOnlyList<long> DeathsHandledAt { get; }

    /// <summary>What happened to peer processes, one line each.</summary>
    IReadOnlyList<string> Events { get; }
}
