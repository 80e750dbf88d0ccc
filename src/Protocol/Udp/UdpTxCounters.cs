namespace Edsos.Protocol.Udp;

/// <summary>Counters of the UDP transmit worker (reply to <see cref="InetStackProtocol.GetCounters"/>).</summary>
/// <param name="Requests">Transmit requests received.</param>
/// <param name="Faults">Requests whose payload could not be read (revoked): EFAULT.</param>
public sealed record UdpTxCounters(long Requests, long Faults);
