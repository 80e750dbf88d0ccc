namespace Edsos.Protocol.Wire;

/// <summary>Codes of the destination unreachable message (RFC 792; 4 is RFC 1191's "fragmentation needed").</summary>
public enum IcmpV4UnreachableCode : byte
{
    /// <summary>Net unreachable.</summary>
    NetUnreachable = 0,

    /// <summary>Host unreachable (e.g. ARP gave up).</summary>
    HostUnreachable = 1,

    /// <summary>Protocol unreachable: no handler for the IP protocol number.</summary>
    ProtocolUnreachable = 2,

    /// <summary>Port unreachable: no UDP socket bound to the destination port.</summary>
    PortUnreachable = 3,

    /// <summary>Fragmentation needed and DF set.</summary>
    FragmentationNeeded = 4,
}
