using Edsos.Scheduler.Faults;

namespace Edsos.Protocol;

/// <summary>The protocol stack's fault injection points (seed 000 stage 3 → 4).</summary>
public static class StackFaultPoints
{
    /// <summary>The IPv4 worker has merged header and payload into the skb node.</summary>
    public static readonly FaultPoint SkbMerge = new("skb-merge", "after the skb merge", FaultKind.TsExit | FaultKind.SocketClose);

    /// <summary>The datagram is parked on an unresolved ARP entry.</summary>
    public static readonly FaultPoint ArpParked = new("arp-parked", "while the datagram is parked on ARP", FaultKind.TsExit | FaultKind.SocketClose);

    /// <summary>The skb is enqueued on the qdisc.</summary>
    public static readonly FaultPoint Qdisc = new("qdisc", "while the skb is in the qdisc", FaultKind.TsExit | FaultKind.QdiscFull | FaultKind.SocketClose);
}
