namespace Edsos.Driver.Device;

/// <summary>Interrupt causes (the ICR/IMS bits of the 8254x that the model raises).</summary>
[Flags]
public enum InterruptCause
{
    /// <summary>No cause.</summary>
    None = 0,

    /// <summary>TXDW: the device wrote back transmit descriptors (one per processed batch).</summary>
    TxDescriptorWritten = 0x01,

    /// <summary>RXT0: the device wrote received frames into posted buffers.</summary>
    RxTimer = 0x80,

    /// <summary>Both causes the model raises.</summary>
    All = TxDescriptorWritten | RxTimer,
}
