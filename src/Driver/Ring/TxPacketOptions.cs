namespace Edsos.Driver.Ring;

/// <summary>The POPTS byte of an e1000 TCP/IP data descriptor (8254x SDM 3.3.7.2); read from a packet's first data descriptor.</summary>
[Flags]
public enum TxPacketOptions : byte
{
    /// <summary>No checksum insertion.</summary>
    None = 0,

    /// <summary>IXSM: insert the IPv4 header checksum (at the context's IPCSO).</summary>
    Ixsm = 0x01,

    /// <summary>TXSM: insert the TCP/UDP checksum (at the context's TUCSO).</summary>
    Txsm = 0x02,
}
