namespace Edsos.Protocol.Ipv4;

/// <summary>Counters of the IPv4 transmit worker (reply to <see cref="InetStackProtocol.GetCounters"/>).</summary>
/// <param name="Datagrams">Datagrams accepted for output.</param>
/// <param name="Frames">Frames handed to the qdisc (fragments counted one by one).</param>
/// <param name="Fragmented">Datagrams that needed fragmentation.</param>
/// <param name="LoopbackFrames">Frames injected into the receive side instead of the NIC.</param>
/// <param name="NoRoute">Datagrams failed with ENETUNREACH.</param>
/// <param name="ArpRequests">ARP requests sent (probes, misses, retries).</param>
/// <param name="ArpReplies">ARP replies sent.</param>
/// <param name="ArpFailures">Datagrams failed with EHOSTUNREACH after ARP gave up.</param>
/// <param name="ArpQueueDrops">Parked datagrams dropped because their address's queue was full.</param>
/// <param name="Faults">Datagrams failed with EFAULT (payload revoked).</param>
/// <param name="Completed">Datagrams completed successfully.</param>
/// <param name="Failed">Datagrams completed with an error.</param>
/// <param name="GatewayReachable">True once the gateway answered ARP (seed 002's receive path check).</param>
/// <param name="GsoDatagrams">TCP super-segments handed to the qdisc for the NIC to cut (TSO), counted once each in <paramref name="Frames"/>.</param>
public sealed record Ipv4TxCounters(
    long Datagrams,
    long Frames,
    long Fragmented,
    long LoopbackFrames,
    long NoRoute,
    long ArpRequests,
    long ArpReplies,
    long ArpFailures,
    long ArpQueueDrops,
    long Faults,
    long Completed,
    long Failed,
    bool GatewayReachable,
    long GsoDatagrams = 0);
