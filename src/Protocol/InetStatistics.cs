using Edsos.Protocol.Icmp;
using Edsos.Protocol.Inet;
using Edsos.Protocol.Ipv4;
using Edsos.Protocol.Qdisc;
using Edsos.Protocol.Udp;

namespace Edsos.Protocol;

/// <summary>Every counter of one stack, as collected by <see cref="InetStackHandle.GetStatisticsAsync"/>.</summary>
/// <param name="Rx">Receive side: frames, drops by reason, reassembly, deliveries.</param>
/// <param name="Tx">IPv4 output: datagrams, frames, no route, ARP.</param>
/// <param name="Qdisc">Queue: enqueued, dropped (queue full), runs, reschedules.</param>
/// <param name="Icmp">Pings and ICMP messages sent.</param>
/// <param name="Udp">UDP transmit requests.</param>
/// <param name="Family">Registered protocols and bound ports.</param>
public sealed record InetStatistics(
    Ipv4RxCounters Rx,
    Ipv4TxCounters Tx,
    QdiscCounters Qdisc,
    IcmpCounters Icmp,
    UdpTxCounters Udp,
    InetFamilyCounters Family);
