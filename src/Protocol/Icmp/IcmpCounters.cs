namespace Edsos.Protocol.Icmp;

/// <summary>Counters of the ICMP service (reply to <see cref="InetStackProtocol.GetCounters"/>).</summary>
/// <param name="EchoRequestsSent">Pings sent.</param>
/// <param name="EchoRepliesSent">Echo requests answered.</param>
/// <param name="UnreachablesSent">Destination unreachable messages sent.</param>
/// <param name="PingReplies">Pings answered by their destination.</param>
/// <param name="PingTimeouts">Pings that timed out.</param>
/// <param name="UnmatchedReplies">Echo replies matching no outstanding ping.</param>
public sealed record IcmpCounters(
    long EchoRequestsSent,
    long EchoRepliesSent,
    long UnreachablesSent,
    long PingReplies,
    long PingTimeouts,
    long UnmatchedReplies);
