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
}
