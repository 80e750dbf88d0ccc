using Edsos.Protocol.Arp;
using Edsos.Protocol.Ipv4;
using Edsos.Protocol.Qdisc;
using Edsos.Protocol.Routing;
using Edsos.Protocol.Wire;

namespace Edsos.Protocol;

/// <summary>
/// Configuration of one inet stack instance (one interface, like QEMU user-net's static set-up in
/// seed 002). Every property but <see cref="Mac"/> and <see cref="Address"/> has a working default.
/// </summary>
public sealed record InetStackOptions
{
    /// <summary>Interface name, for logs and statistics (<c>eth0</c>).</summary>
    public string InterfaceName { get; init; } = "eth0";

    /// <summary>The interface's hardware address.</summary>
    public required MacAddress Mac { get; init; }

    /// <summary>The interface address and its on-link prefix, for example <c>10.0.0.1/24</c>.</summary>
    public required Ipv4Cidr Address { get; init; }

    /// <summary>Default gateway; null for none (then only the on-link prefix and <see cref="Routes"/> are reachable).</summary>
    public Ipv4Address? Gateway { get; init; }

    /// <summary>Extra routes besides the on-link prefix and the default route (all through this interface).</summary>
    public IReadOnlyList<Route> Routes { get; init; } = [];

    /// <summary>Link MTU (largest IP packet, header included); datagrams above it are fragmented. At least 68.</summary>
    public int Mtu { get; init; } = 1500;

    /// <summary>
    /// The NIC does TCP segmentation offload (its driver accepts <see cref="Driver.TxOffload"/> skbs, see
    /// <see cref="Driver.NicOptions.Tso"/>). When true, TCP hands IPv4 one super-segment of up to 64 KiB
    /// (whole MSS-sized pieces) per send where it may, IPv4 sends it unfragmented with DF and the qdisc passes
    /// the offload to the driver; the NIC cuts it into MSS-sized frames. False (the default): TCP cuts every
    /// segment itself. Tell the stack what the NIC does, as with <see cref="Mtu"/>: an offload the NIC refuses
    /// fails the segment (retransmission then sends it again, the same way).
    /// </summary>
    public bool Tso { get; init; }

    /// <summary>ARP cache timers and limits (retransmit interval, tries before EHOSTUNREACH, parked packets per address).</summary>
    public ArpCacheOptions Arp { get; init; } = new();

    /// <summary>Reassembly limits; <see cref="FragmentReassemblerOptions.Timeout"/> is the reassembly timeout.</summary>
    public FragmentReassemblerOptions Reassembly { get; init; } = new();

    /// <summary>Frames the qdisc hands the driver per run before it reschedules itself (Linux dev_tx_weight is 64).</summary>
    public int QdiscQuota { get; init; } = 64;

    /// <summary>Frames the qdisc holds before it tail-drops (txqueuelen).</summary>
    public int QdiscLimit { get; init; } = PfifoFast<object>.DefaultLimit;

    /// <summary>
    /// Batching below the socket (seed 000's io_uring-style proposal carried down the chain): a burst a stage handles
    /// leaves it as one batch event per receiver (the socket's batch of sends to the UDP worker, IPv4, the qdisc and
    /// the driver; the driver's completions and each NAPI poll's frames back up; IPv4's datagrams to each socket), so
    /// the cost per datagram falls as load rises. The stack attaches to the driver with batches, so the driver end must
    /// take them (<see cref="Edsos.Driver.DriverBatchProtocol.XmitSkbBatchEvent"/>: the in-process driver does; the console
    /// cluster's link to a driver process does not, and leaves this off). Every receiver of a batch handles it as its
    /// items one after another, so a batch means exactly what its events mean alone. False (the default): one event per
    /// item, as before.
    /// </summary>
    public bool Batching { get; init; }

    /// <summary>Send a gratuitous ARP announcement of our address at start (RFC 5227 2.3).</summary>
    public bool AnnounceOnStart { get; init; } = true;

    /// <summary>Send one ARP request for the gateway at start; its reply proves the receive path works (seed 002).</summary>
    public bool ProbeGatewayOnStart { get; init; } = true;

    /// <summary>
    /// Root of the stack's tree spaces (<c>/net/ipv4</c>): the family lives there, the transmit side in
    /// <c>{root}/tx</c>, the receive side in <c>{root}/rx</c>. A second stack in one system needs another root.
    /// </summary>
    public string TsRoot { get; init; } = "/net/ipv4";

    /// <summary>Prefix of the stack's actor names, unique per system (a second stack needs another).</summary>
    public string ActorNamePrefix { get; init; } = "inet";

    /// <summary>The TCP's tunables (MSS, buffers, timers).</summary>
    public Tcp.TcpOptions Tcp { get; init; } = new();

    /// <summary>Throws <see cref="ArgumentException"/> naming the first option out of range.</summary>
    public void Validate()
    {
        Tcp.Validate();
        if (Mtu < Fragmenter.MinimumMtu || Mtu > ushort.MaxValue)
        {
            throw new ArgumentException($"MTU {Mtu} is outside {Fragmenter.MinimumMtu}..65535", nameof(Mtu));
        }

        if (QdiscQuota < 1 || QdiscLimit < 1)
        {
            throw new ArgumentException($"qdisc quota {QdiscQuota} and limit {QdiscLimit} must be positive");
        }

        if (Address.Address.IsUnspecified || Address.Address.IsMulticast || Address.Address.IsBroadcast)
        {
            throw new ArgumentException($"{Address} is not a unicast interface address", nameof(Address));
        }

        if (string.IsNullOrEmpty(TsRoot) || TsRoot[0] != '/')
        {
            throw new ArgumentException($"TS root '{TsRoot}' must start with '/'", nameof(TsRoot));
        }
    }

    /// <summary>True for the addresses this host answers for: the interface address and 127.0.0.0/8.</summary>
    public bool IsLocalAddress(Ipv4Address address) => address == Address.Address || address.IsLoopback;

    /// <summary>
    /// The source address for a datagram to <paramref name="destination"/> when the socket is bound to
    /// 0.0.0.0 (Linux picks the route's preferred source): 127.0.0.1 towards the loopback net, the
    /// interface address otherwise.
    /// </summary>
    public Ipv4Address SelectSource(Ipv4Address destination) =>
        destination.IsLoopback ? new Ipv4Address(127, 0, 0, 1) : Address.Address;
}
