namespace Edsos.Driver.Ring;

/// <summary>
/// The errors byte of an e1000 legacy receive descriptor (8254x SDM, 3.2.3.2). <see cref="Rxe"/> is a frame error (the
/// driver drops the frame); <see cref="Tcpe"/> and <see cref="Ipe"/> only report a checksum the device found wrong, and
/// the frame is handed up with that report, as e1000 drivers do, for the stack to count and drop.
/// </summary>
[Flags]
public enum RxDescriptorErrors : byte
{
    /// <summary>No error.</summary>
    None = 0,

    /// <summary>TCP/UDP checksum error (valid with <see cref="RxDescriptorStatus.TcpCs"/>).</summary>
    Tcpe = 0x20,

    /// <summary>IPv4 header checksum error (valid with <see cref="RxDescriptorStatus.IpCs"/>).</summary>
    Ipe = 0x40,

    /// <summary>RX data error: the frame's bytes could not be written (in the model, a failed DMA write).</summary>
    Rxe = 0x80,

    /// <summary>The checksum reports, which do not make a frame bad.</summary>
    Checksums = Tcpe | Ipe,
}
