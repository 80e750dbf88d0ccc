namespace Edsos.Driver.Ring;

/// <summary>
/// The parts of the TX descriptor layout every format shares (8254x SDM 3.3.3-3.3.7): 16 bytes, the
/// command byte at offset 11 with DEXT telling legacy from extended, the descriptor type in bits
/// 20-23 of the little-endian dword at offset 8, and the status byte (DD, EC) at offset 12, where the
/// device writes back whatever the format.
/// </summary>
public static class TxDescriptorLayout
{
    /// <summary>Bytes per descriptor, whatever its format.</summary>
    public const int Size = 16;

    /// <summary>Offset of the command byte (CMD, TUCMD or DCMD).</summary>
    public const int CommandOffset = 11;

    /// <summary>Offset of the status byte (STA, low nibble).</summary>
    public const int StatusOffset = 12;

    /// <summary>Offset of the dword whose bits 20-23 hold DTYP (extended formats).</summary>
    public const int TypeDwordOffset = 8;

    /// <summary>DEXT: descriptor extension, set in both TCP/IP formats and clear in a legacy descriptor.</summary>
    public const byte Dext = 0x20;

    /// <summary>The 20-bit length field of the extended formats (PAYLEN, DTALEN) holds at most this.</summary>
    public const int MaxExtendedLength = (1 << 20) - 1;

    /// <summary>DTYP of a TCP/IP context descriptor.</summary>
    public const int ContextType = 0;

    /// <summary>DTYP of a TCP/IP data descriptor.</summary>
    public const int DataType = 1;

    /// <summary>
    /// Tells the format of the descriptor in the first <see cref="Size"/> bytes of <paramref name="slot"/>.
    /// Throws <see cref="ArgumentException"/> when fewer bytes are given.
    /// </summary>
    public static TxDescriptorKind Classify(ReadOnlySpan<byte> slot)
    {
        if (slot.Length < Size)
        {
            throw new ArgumentException($"a TX descriptor is {Size} bytes, got {slot.Length}", nameof(slot));
        }

        if ((slot[CommandOffset] & Dext) == 0)
        {
            return TxDescriptorKind.Legacy;
        }

        return (slot[TypeDwordOffset + 2] >> 4) switch
        {
            ContextType => TxDescriptorKind.Context,
            DataType => TxDescriptorKind.Data,
            _ => TxDescriptorKind.Reserved,
        };
    }

    /// <summary>Packs a 20-bit length, the 4-bit DTYP and the command byte into the dword at offset 8.</summary>
    internal static uint PackTypeDword(int length, int type, byte command)
    {
        if (length < 0 || length > MaxExtendedLength)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, $"an extended descriptor's length is 20 bits (0..{MaxExtendedLength})");
        }

        return (uint)length | ((uint)type << 20) | ((uint)command << 24);
    }
}
