using Edsos.Memory;
using Akka.Actor;
using Edsos.Scheduler;
using Edsos.SocketService;

namespace Edsos.Kpn;

/// <summary>What a <see cref="KpnActor"/> serves: the process's TS, the socket table, the ICMP service, the data path, limits.</summary>
public sealed record KpnOptions
{
    /// <summary>The process's (user) TS: every GVA of a call must belong to it.</summary>
    public required TsId UserTs { get; init; }

    /// <summary>The socket table that <c>socket()</c> asks.</summary>
    public required IActorRef SocketTable { get; init; }

    /// <summary>The ICMP service <c>ping</c> is forwarded to; null: ping answers ENETUNREACH.</summary>
    public IActorRef? Icmp { get; init; }

    /// <summary>
    /// The data path the host runs. In <see cref="DataPathMode.Copy"/> (Linux) there is no
    /// zero-copy receive: <see cref="KpnProtocol.RecvZeroCopy"/> answers EOPNOTSUPP.
    /// </summary>
    public DataPathMode Mode { get; init; } = DataPathMode.ZeroCopy;

    /// <summary>Most descriptors open at once (RLIMIT_NOFILE); one more gets EMFILE.</summary>
    public int MaxDescriptors { get; init; } = 1024;
}
