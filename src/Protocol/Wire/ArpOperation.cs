namespace Edsos.Protocol.Wire;

/// <summary>The ARP opcode (RFC 826 ar$op).</summary>
public enum ArpOperation : ushort
{
    /// <summary>ares_op$REQUEST.</summary>
    Request = 1,

    /// <summary>ares_op$REPLY.</summary>
    Reply = 2,
}
