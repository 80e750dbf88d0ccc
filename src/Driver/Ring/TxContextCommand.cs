namespace Edsos.Driver.Ring;

/// <summary>The TUCMD byte of an e1000 TCP/IP context descriptor (8254x SDM 3.3.6.1).</summary>
[Flags]
public enum TxContextCommand : byte
{
    /// <summary>No command bit.</summary>
    None = 0,

    /// <summary>TCP: the transport is TCP (clear: UDP). The model segments TCP only.</summary>
    Tcp = 0x01,

    /// <summary>IP: the network layer is IPv4 (clear: IPv6). The model segments IPv4 only.</summary>
    Ip = 0x02,

    /// <summary>TSE: this context describes a TCP segmentation; the TSE data descriptors that follow use it.</summary>
    Tse = 0x04,

    /// <summary>RS: the device writes DD back into this descriptor once it has loaded the context.</summary>
    Rs = 0x08,

    /// <summary>DEXT: an extended descriptor (always set in a context descriptor).</summary>
    Dext = 0x20,

    /// <summary>IDE: interrupt delay enable (not modelled).</summary>
    Ide = 0x80,
}
