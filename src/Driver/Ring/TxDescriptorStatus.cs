namespace Edsos.Driver.Ring;

/// <summary>The STA byte of an e1000 legacy transmit descriptor (low nibble; 8254x SDM, 3.3.3.2).</summary>
[Flags]
public enum TxDescriptorStatus : byte
{
    /// <summary>Not yet processed.</summary>
    None = 0,

    /// <summary>Descriptor done: the device has consumed the buffer and will not touch it again.</summary>
    Dd = 0x01,

    /// <summary>
    /// Excess collisions. The model sets it, with <see cref="Dd"/>, on the end-of-packet
    /// descriptor of a frame it could not send (its buffers could not be DMA-read, or it was too
    /// long), so the driver can tell a drop from a sent frame.
    /// </summary>
    Ec = 0x02,
}
