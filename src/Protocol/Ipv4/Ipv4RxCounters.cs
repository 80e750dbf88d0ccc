namespace Edsos.Protocol.Ipv4;

/// <summary>Counters of the IPv4 receive worker (reply to <see cref="InetStackProtocol.GetCounters"/>).</summary>
/// <param name="Frames">Frames received (injected loopback frames included).</param>
/// <param name="Truncated">Dropped: shorter than their headers or length fields claim.</param>
/// <param name="Malformed">Dropped: bad version, header length, source or length fields.</param>
/// <param name="BadIpChecksum">Dropped: IPv4 header checksum failed.</param>
/// <param name="BadUdpChecksum">Dropped: UDP checksum failed.</param>
/// <param name="BadIcmpChecksum">Dropped: ICMP checksum failed.</param>
/// <param name="NotForUs">Dropped: IPv4 destination not one of ours.</param>
/// <param name="NoSocket">UDP datagrams for an unbound port (answered with port unreachable when allowed).</param>
/// <param name="UnknownProtocol">Dropped: EtherType or IP protocol this stack does not handle.</param>
/// <param name="ArpReceived">ARP packets processed.</param>
/// <param name="FragmentsReceived">IPv4 fragments offered to the reassembler.</param>
/// <param name="FragmentsDropped">Fragments released by the reassembler (duplicate, overlap, invalid, evicted).</param>
/// <param name="Reassembled">Datagrams reassembled.</param>
/// <param name="ReassemblyTimeouts">Datagrams whose reassembly timed out.</param>
/// <param name="UdpDelivered">UDP datagrams delivered to sockets.</param>
/// <param name="EchoRequests">ICMP echo requests received.</param>
/// <param name="EchoReplies">ICMP echo replies received.</param>
/// <param name="IcmpOther">Other ICMP messages (errors) received and dropped.</param>
/// <param name="Faults">Frames whose memory failed to read or share (revoked), dropped.</param>
/// <param name="TcpSegments">TCP segments handed to the TCP worker.</param>
/// <param name="TcpCoalesced">TCP segments joined to the one before them (receive offload, <see cref="Tcp.TcpCoalescing"/>) instead of handed on alone.</param>
/// <param name="BadTcpChecksum">TCP segments whose checksum did not verify, dropped.</param>
/// <param name="ChecksumOffloaded">TCP segments and UDP datagrams whose checksum the NIC verified good (receive checksum offload), so it was not summed here.</param>
public sealed record Ipv4RxCounters(
    long Frames,
    long Truncated,
    long Malformed,
    long BadIpChecksum,
    long BadUdpChecksum,
    long BadIcmpChecksum,
    long NotForUs,
    long NoSocket,
    long UnknownProtocol,
    long ArpReceived,
    long FragmentsReceived,
    long FragmentsDropped,
    long Reassembled,
    long ReassemblyTimeouts,
    long UdpDelivered,
    long EchoRequests,
    long EchoReplies,
    long IcmpOther,
    long Faults,
    long TcpSegments = 0,
    long BadTcpChecksum = 0,
    long TcpCoalesced = 0,
    long ChecksumOffloaded = 0)
{
    /// <summary>Every frame dropped for a fault of its own (all the drop counters summed).</summary>
    public long Dropped => Truncated + Malformed + BadIpChecksum + BadUdpChecksum + BadIcmpChecksum + NotForUs + NoSocket + UnknownProtocol + FragmentsDropped + Faults + BadTcpChecksum;
}
