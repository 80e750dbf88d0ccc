namespace Edsos.Driver.Ring;

/// <summary>The DCMD byte of an e1000 TCP/IP data descriptor (8254x SDM 3.3.7.1).</summary>
[Flags]
public enum TxDataCommand : byte
{
    /// <summary>No command bit.</summary>
    None = 0,

    /// <summary>EOP: this descriptor holds the packet's (for TSE, the whole super-frame's) last bytes.</summary>
    Eop = 0x01,

    /// <summary>IFCS: append the Ethernet CRC (the model's wire carries frames without it).</summary>
    Ifcs = 0x02,

    /// <summary>TSE: the packet is a TCP segmentation under the last TSE context loaded.</summary>
    Tse = 0x04,

    /// <summary>RS: write DD back into this descriptor once done with it.</summary>
    Rs = 0x08,

    /// <summary>DEXT: an extended descriptor (always set in a data descriptor).</summary>
    Dext = 0x20,

    /// <summary>VLE: insert the VLAN tag (not modelled).</summary>
    Vle = 0x40,

    /// <summary>IDE: interrupt delay enable (not modelled).</summary>
    Ide = 0x80,
}
