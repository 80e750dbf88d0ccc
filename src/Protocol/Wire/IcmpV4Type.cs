namespace Edsos.Protocol.Wire;

/// <summary>ICMP for IPv4 message types this stack understands (RFC 792).</summary>
public enum IcmpV4Type : byte
{
    /// <summary>Echo reply (ping answer).</summary>
    EchoReply = 0,

    /// <summary>Destination unreachable; the code says why.</summary>
    DestinationUnreachable = 3,

    /// <summary>Echo request (ping).</summary>
    EchoRequest = 8,

    /// <summary>Time exceeded (TTL expired in transit, or fragment reassembly timed out).</summary>
    TimeExceeded = 11,
}
