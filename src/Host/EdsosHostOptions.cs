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

    /// <summary>
    /// The actor system's name when it differs from <see cref="Name"/>: the members of one Akka.Cluster must
    /// share a system name, so every <c>edsos node</c> calls its system <c>edsos</c>. Null: <see cref="Name"/>.
    /// </summary>
    public string? SystemName { get; init; }

    /// <summary>HOCON laid over the runtime's defaults (<see cref="Scheduler.EdsrtOptions.ExtraConfig"/>): remoting, the cluster. Null: none.</summary>
    public string? AkkaConfig { get; init; }

    /// <summary>Zero copy (EDSOS) or the Linux copy path.</summary>
    public DataPathMode Mode { get; init; } = DataPathMode.ZeroCopy;

    /// <summary>Pages in the host's arena (4 KiB each).</summary>
    public int ArenaPages { get; init; } = 8192;

    /// <summary>
    /// Runtime worker threads for this host, with <see cref="Scheduler.EdsrtDispatcher.Shared"/> or
    /// <see cref="Scheduler.EdsrtDispatcher.ForkJoin"/> (the per-CPU default gives each host one queue and thread).
    /// </summary>
    public int Workers { get; init; } = 1;

    /// <summary>
    /// The runtime's executor: by default one shared by the process's hosts with a run queue per CPU, each host bound to
    /// one (<see cref="Scheduler.EdsrtDispatcher.SharedPerCpu"/>: the hosts run side by side, as machines would).
    /// </summary>
    public Scheduler.EdsrtDispatcher Dispatcher { get; init; } = Scheduler.EdsrtDispatcher.SharedPerCpu;

    /// <summary>Interface MTU.</summary>
    public int Mtu { get; init; } = 1500;

    /// <summary>The TCP tunables of the host's inet stack (timers, receive buffer, MSS); validated when the stack starts.</summary>
    public TcpOptions Tcp { get; init; } = new();

    /// <summary>
    /// TCP segmentation offload: the NIC's driver enables it (<see cref="Driver.NicOptions.Tso"/>) and the stack
    /// is told so (<see cref="Protocol.InetStackOptions.Tso"/>), so TCP hands the NIC super-segments of up to
    /// 64 KiB that it cuts into MSS-sized frames. Default true, as on any modern NIC; false makes
    /// <c>tcp_tx_worker</c> cut every segment itself and the NIC refuse offloaded skbs. UDP is the same either way.
    /// </summary>
    public bool Tso { get; init; } = true;

    /// <summary>
    /// Batching below the socket (<see cref="Protocol.InetStackOptions.Batching"/>): a burst travels between the
    /// stack's stages and the driver as one event per stage. Default true; false sends one event per frame. The
    /// environment variable <c>EDSOS_BATCHING=0</c> turns it off for a run (to compare the two in one build).
    /// </summary>
    public bool Batching { get; init; } = true;

    /// <summary>
    /// Large frames on the wire (<see cref="Driver.NicOptions.LargeFrames"/>), for a wire whose other end has them
    /// too (a <c>LoopbackWire</c> pair of two such hosts; never a TAP device or a peer built without it): with
    /// <see cref="Tso"/> a TCP super-segment of up to 64 KiB crosses the wire as one frame instead of about 45, as over
    /// Linux's loopback with its 64 KiB MTU; the NIC then posts page-sized RX buffers (4096 bytes) on a 1024-slot RX
    /// ring and joins the buffers of a large frame by <c>merge</c>. The IPv4 MTU, and so UDP and what TCP announces,
    /// stay as <see cref="Mtu"/> says. Default false.
    /// </summary>
    public bool LargeFrames { get; init; }
}
