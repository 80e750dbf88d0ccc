namespace Edsos.Driver.Ring;

/// <summary>The CMD byte of an e1000 legacy transmit descriptor (8254x SDM, 3.3.3.1).</summary>
[Flags]
public enum TxCommand : byte
{
    /// <summary>No command bit.</summary>
    None = 0,

    /// <summary>End of packet: this descriptor holds the frame's last bytes.</summary>
    Eop = 0x01,

    /// <summary>Insert FCS: the device appends the Ethernet CRC (the model's wire carries frames without it).</summary>
    Ifcs = 0x02,

    /// <summary>Report status: the device writes <see cref="TxDescriptorStatus.Dd"/> back once it is done with this descriptor.</summary>
    Rs = 0x08,
}
