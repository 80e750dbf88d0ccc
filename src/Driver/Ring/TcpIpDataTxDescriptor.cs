using System.Buffers.Binary;

namespace Edsos.Driver.Ring;

/// <summary>
/// An e1000 TCP/IP data transmit descriptor (8254x SDM 3.3.7): 16 bytes, little-endian; one buffer
/// of a packet sent under the last context loaded.
/// <code>
/// 0      8              10.4   11     12    13      14
/// | addr | DTALEN (20b) | DTYP | DCMD | STA | POPTS | special |
/// </code>
/// A plain value: <see cref="Read"/> parses a slot, <see cref="Write"/> emits it with DTYP 1.
/// </summary>
/// <param name="BufferAddress">Physical address of the buffer (an arena offset).</param>
/// <param name="Length">DTALEN (20 bits): bytes in the buffer that belong to the packet.</param>
/// <param name="Command">DCMD bits (DEXT is always written).</param>
/// <param name="Status">STA (DD, and EC when the model dropped the packet).</param>
/// <param name="Options">POPTS: which checksums to insert (read from a packet's first descriptor).</param>
/// <param name="Special">VLAN tag (unused by the model).</param>
public readonly record struct TcpIpDataTxDescriptor(
    ulong BufferAddress,
    int Length,
    TxDataCommand Command,
    TxDescriptorStatus Status,
    TxPacketOptions Options,
    ushort Special)
{
    /// <summary>Bytes per descriptor.</summary>
    public const int Size = TxDescriptorLayout.Size;

    /// <summary>Offset of the buffer address (u64).</summary>
    public const int AddressOffset = 0;

    /// <summary>Offset of the dword holding DTALEN (bits 0-19), DTYP (20-23) and DCMD (24-31).</summary>
    public const int LengthOffset = TxDescriptorLayout.TypeDwordOffset;

    /// <summary>Offset of STA (u8).</summary>
    public const int StatusOffset = TxDescriptorLayout.StatusOffset;

    /// <summary>Offset of POPTS (u8).</summary>
    public const int OptionsOffset = 13;

    /// <summary>Offset of the special field (u16).</summary>
    public const int SpecialOffset = 14;

    /// <summary>
    /// Parses the first <see cref="Size"/> bytes of <paramref name="source"/> as a data descriptor
    /// (whatever DTYP says: classify first with <see cref="TxDescriptorLayout.Classify"/>). Throws
    /// <see cref="ArgumentException"/> when fewer bytes are given.
    /// </summary>
    public static TcpIpDataTxDescriptor Read(ReadOnlySpan<byte> source)
    {
        if (source.Length < Size)
        {
            throw new ArgumentException($"a TX descriptor is {Size} bytes, got {source.Length}", nameof(source));
        }

        uint typed = BinaryPrimitives.ReadUInt32LittleEndian(source[LengthOffset..]);
        return new TcpIpDataTxDescriptor(
            BinaryPrimitives.ReadUInt64LittleEndian(source),
            (int)(typed & TxDescriptorLayout.MaxExtendedLength),
            (TxDataCommand)(typed >> 24),
            (TxDescriptorStatus)(source[StatusOffset] & 0x0F),
            (TxPacketOptions)source[OptionsOffset],
            BinaryPrimitives.ReadUInt16LittleEndian(source[SpecialOffset..]));
    }

    /// <summary>
    /// Emits the descriptor (DTYP 1, DEXT set) into the first <see cref="Size"/> bytes of
    /// <paramref name="destination"/>. Throws <see cref="ArgumentException"/> when fewer bytes are
    /// given and <see cref="ArgumentOutOfRangeException"/> when <see cref="Length"/> does not fit 20 bits.
    /// </summary>
    public void Write(Span<byte> destination)
    {
        if (destination.Length < Size)
        {
            throw new ArgumentException($"a TX descriptor is {Size} bytes, got {destination.Length}", nameof(destination));
        }

        BinaryPrimitives.WriteUInt64LittleEndian(destination, BufferAddress);
        var command = (byte)(Command | TxDataCommand.Dext);
        BinaryPrimitives.WriteUInt32LittleEndian(
            destination[LengthOffset..],
            TxDescriptorLayout.PackTypeDword(Length, TxDescriptorLayout.DataType, command));
        destination[StatusOffset] = (byte)Status;
        destination[OptionsOffset] = (byte)Options;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[SpecialOffset..], Special);
    }

    /// <summary>A data descriptor for one buffer of a TSO packet, as the driver writes it: status clear.</summary>
    public static TcpIpDataTxDescriptor ForBuffer(ulong address, int length, TxDataCommand command, TxPacketOptions options) =>
        new(address, length, command | TxDataCommand.Dext, TxDescriptorStatus.None, options, 0);
}
