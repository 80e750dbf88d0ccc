using Edsos.Protocol.Tcp;
using Edsos.Protocol.Wire;
using Edsos.SocketService;

namespace Edsos.Host;

/// <summary>How one EDSOS host is built: its name, interface addresses, data path and sizes.</summary>
public sealed record EdsosHostOptions
{
    /// <summary>The host's name; also the actor system's name and the NIC's name prefix.</summary>
    public required string Name { get; init; }

    /// <summary>The interface address and prefix, e.g. <c>10.0.0.1/24</c>.</summary>
    public required Ipv4Cidr Address { get; init; }

    /// <summary>The NIC's MAC address.</summary>
    public required MacAddress Mac { get; init; }

    /// <summary>Zero copy (EDSOS) or the Linux copy path.</summary>
    public DataPathMode Mode { get; init; } = DataPathMode.ZeroCopy;

    /// <summary>Pages in the host's arena (4 KiB each).</summary>
    public int ArenaPages { get; init; } = 8192;

    /// <summary>Runtime worker threads for this host (two hosts share the machine's two cores).</summary>
    public int Workers { get; init; } = 1;

    /// <summary>Interface MTU.</summary>
    public int Mtu { get; init; } = 1500;

    /// <summary>TCP tunables (receive buffer and window scaling, MSL, timers).</summary>
    public TcpOptions Tcp { get; init; } = new();
}
