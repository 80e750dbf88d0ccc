using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Ipv4;

/// <summary>The receive worker's running counters, and which counter a wire error falls under; <see cref="Snapshot"/> answers GetCounters.</summary>
internal sealed class Ipv4RxTally
{
    public long Frames { get; set; }

    public long Truncated { get; set; }

    public long Malformed { get; set; }

    public long BadIpChecksum { get; set; }

    public long BadUdpChecksum { get; set; }

    public long BadIcmpChecksum { get; set; }

    public long NotForUs { get; set; }

    public long NoSocket { get; set; }

    public long UnknownProtocol { get; set; }

    public long ArpReceived { get; set; }

    public long FragmentsReceived { get; set; }

    public long FragmentsDropped { get; set; }

    public long Reassembled { get; set; }

    public long ReassemblyTimeouts { get; set; }

    public long UdpDelivered { get; set; }

    public long EchoRequests { get; set; }

    public long EchoReplies { get; set; }

    public long IcmpOther { get; set; }

    public long Faults { get; set; }

    public long TcpSegments { get; set; }

    public long BadTcpChecksum { get; set; }

    public long TcpCoalesced { get; set; }

    public long ChecksumOffloaded { get; set; }

    /// <summary>Counts a drop for <paramref name="error"/> from a transport or ARP parser.</summary>
    public void Count(WireError error)
    {
        switch (error)
        {
            case WireError.Truncated:
                Truncated++;
                break;
            case WireError.Unsupported:
                UnknownProtocol++;
                break;
            default:
                Malformed++;
                break;
        }
    }

    /// <summary>Counts a drop for <paramref name="error"/> from the IPv4 header parsers (a bad version counts as malformed).</summary>
    public void CountIp(WireError error)
    {
        switch (error)
        {
            case WireError.Truncated:
                Truncated++;
                break;
            case WireError.BadChecksum:
                BadIpChecksum++;
                break;
            default:
                Malformed++;
                break;
        }
    }

    public Ipv4RxCounters Snapshot() => new(
        Frames: Frames,
        Truncated: Truncated,
        Malformed: Malformed,
        BadIpChecksum: BadIpChecksum,
        BadUdpChecksum: BadUdpChecksum,
        BadIcmpChecksum: BadIcmpChecksum,
        NotForUs: NotForUs,
        NoSocket: NoSocket,
        UnknownProtocol: UnknownProtocol,
        ArpReceived: ArpReceived,
        FragmentsReceived: FragmentsReceived,
        FragmentsDropped: FragmentsDropped,
        Reassembled: Reassembled,
        ReassemblyTimeouts: ReassemblyTimeouts,
        UdpDelivered: UdpDelivered,
        EchoRequests: EchoRequests,
        EchoReplies: EchoReplies,
        IcmpOther: IcmpOther,
        Faults: Faults,
        TcpSegments: TcpSegments,
        BadTcpChecksum: BadTcpChecksum,
        TcpCoalesced: TcpCoalesced,
        ChecksumOffloaded: ChecksumOffloaded);
}
