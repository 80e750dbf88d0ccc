namespace Edsos.Driver.Ring;

/// <summary>
/// What a 16-byte TX ring slot holds (8254x SDM 3.3.3, 3.3.6, 3.3.7): the command byte at offset 11
/// has DEXT (0x20) clear for a legacy descriptor; with DEXT set, DTYP (bits 20-23 of the dword at
/// offset 8, the high nibble of byte 10) says context (0) or data (1).
/// </summary>
public enum TxDescriptorKind
{
    /// <summary>A legacy descriptor (<see cref="LegacyTxDescriptor"/>): DEXT clear.</summary>
    Legacy,

    /// <summary>A TCP/IP context descriptor (<see cref="TcpIpContextTxDescriptor"/>): DEXT set, DTYP 0.</summary>
    Context,

    /// <summary>A TCP/IP data descriptor (<see cref="TcpIpDataTxDescriptor"/>): DEXT set, DTYP 1.</summary>
    Data,

    /// <summary>DEXT set with a DTYP the SDM reserves: the device treats the frame as malformed.</summary>
    Reserved,
}
