using Edsos.Memory;
using Edsos.Protocol.Icmp;
using Edsos.Protocol.Inet;
using Edsos.Protocol.Ipv4;
using Edsos.Protocol.Qdisc;
using Edsos.Protocol.Udp;
using Akka.Actor;
using Edsos.Scheduler;

namespace Edsos.Protocol;

/// <summary>
/// A running inet stack, as returned by <see cref="InetStack.Start"/>: the actors to talk to and the
/// tree spaces payload must be shared into.
/// </summary>
/// <param name="Options">The options it was started with.</param>
/// <param name="Family">The AF_INET family: <see cref="InetProtocol.OpenEndpoint"/>, <see cref="InetProtocol.BindRequest"/>, <see cref="InetProtocol.Unbind"/>, <see cref="InetProtocol.RegisterProtocol"/>.</param>
/// <param name="UdpTx">The UDP transmit worker: <see cref="InetProtocol.XmitRequest"/> with payload shared into <paramref name="TxTs"/>.</param>
/// <param name="IpTx">The IPv4 transmit worker (<see cref="Ipv4Protocol.IpQueueXmit"/>), for transports plugged in later.</param>
/// <param name="RxWorker">The IPv4 receive worker (attached to the driver's RX side).</param>
/// <param name="Qdisc">The pfifo_fast qdisc (attached to the driver's TX side).</param>
/// <param name="Icmp">The ICMP service: <see cref="InetProtocol.PingRequest"/>.</param>
/// <param name="FamilyTs">TS of the family (<c>/net/ipv4</c>).</param>
/// <param name="TxTs">TS of the transmit side (<c>/net/ipv4/tx</c>).</param>
/// <param name="RxTs">TS of the receive side (<c>/net/ipv4/rx</c>).</param>
/// <param name="Tcp">The TCP worker (<see cref="Tcp.TcpWorker"/>): stream sockets' requests, <see cref="Tcp.TcpProtocol.GetTcpCounters"/>.</param>
/// <param name="TcpTs">TS of the TCP worker (<c>/net/ipv4/tx/tcp</c>), where stream sockets share payload.</param>
public sealed record InetStackHandle(
    InetStackOptions Options,
    IActorRef Family,
    IActorRef UdpTx,
    IActorRef IpTx,
    IActorRef RxWorker,
    IActorRef Qdisc,
    IActorRef Icmp,
    TsId FamilyTs,
    TsId TxTs,
    TsId RxTs,
    IActorRef? Tcp = null,
    TsId TcpTs = default)
{
    /// <summary>Every actor of the stack, in the order a stop quiesces them (senders of nodes first).</summary>
    public IReadOnlyList<IActorRef> Actors => Tcp is null ? [RxWorker, Family, UdpTx, Icmp, IpTx, Qdisc] : [RxWorker, Family, UdpTx, Tcp, Icmp, IpTx, Qdisc];

    /// <summary>
    /// Collects every actor's counters. Throws <see cref="AskTimeoutException"/> when an actor does not
    /// answer within <paramref name="timeout"/> (default 5 s).
    /// </summary>
    public async Task<InetStatistics> GetStatisticsAsync(TimeSpan? timeout = null)
    {
        TimeSpan wait = timeout ?? TimeSpan.FromSeconds(5);
        var rx = RxWorker.Ask<Ipv4RxCounters>(InetStackProtocol.GetCounters.Instance, wait);
        var tx = IpTx.Ask<Ipv4TxCounters>(InetStackProtocol.GetCounters.Instance, wait);
        var qdisc = Qdisc.Ask<QdiscCounters>(InetStackProtocol.GetCounters.Instance, wait);
        var icmp = Icmp.Ask<IcmpCounters>(InetStackProtocol.GetCounters.Instance, wait);
        var udp = UdpTx.Ask<UdpTxCounters>(InetStackProtocol.GetCounters.Instance, wait);
        var family = Family.Ask<InetFamilyCounters>(InetStackProtocol.GetCounters.Instance, wait);
        return new InetStatistics(Rx: await rx, Tx: await tx, Qdisc: await qdisc, Icmp: await icmp, Udp: await udp, Family: await family);
    }
}
