namespace Edsos.Driver.Ring;

/// <summary>The status byte of an e1000 legacy receive descriptor (8254x SDM, 3.2.3.1).</summary>
[Flags]
public enum RxDescriptorStatus : byte
{
    /// <summary>Not yet filled by the device.</summary>
    None = 0,

    /// <summary>Descriptor done: the device wrote a frame (or part of one) into the buffer.</summary>
    Dd = 0x01,

    /// <summary>End of packet: this buffer holds the frame's last bytes.</summary>
    Eop = 0x02,

    /// <summary>Ignore checksum indication: the device checked no checksum (receive checksum offload is off, RXCSUM clear).</summary>
    Ixsm = 0x04,

    /// <summary>TCP/UDP checksum calculated on the packet; <see cref="RxDescriptorErrors.Tcpe"/> tells whether it failed. On the EOP descriptor only.</summary>
    TcpCs = 0x20,

    /// <summary>IPv4 header checksum calculated on the packet; <see cref="RxDescriptorErrors.Ipe"/> tells whether it failed. On the EOP descriptor only.</summary>
    IpCs = 0x40,
}
