namespace Edsos.Protocol.Wire;

/// <summary>The TCP control bits (RFC 9293 section 3.1; ECE/CWR from RFC 3168 are carried, never set).</summary>
[Flags]
public enum TcpFlags : byte
{
    /// <summary>No bit set.</summary>
    None = 0,

    /// <summary>No more data from the sender.</summary>
    Fin = 0x01,

    /// <summary>Synchronize sequence numbers.</summary>
    Syn = 0x02,

    /// <summary>Reset the connection.</summary>
    Rst = 0x04,

    /// <summary>Push function.</summary>
    Psh = 0x08,

    /// <summary>The acknowledgment field is significant.</summary>
    Ack = 0x10,

    /// <summary>The urgent pointer is significant (never sent here; ignored on receive).</summary>
    Urg = 0x20,

    /// <summary>ECN echo (RFC 3168).</summary>
    Ece = 0x40,

    /// <summary>Congestion window reduced (RFC 3168).</summary>
    Cwr = 0x80,
}
