using System.Buffers.Binary;

namespace Edsos.Driver.Ring;

/// <summary>
/// An e1000 legacy transmit descriptor (8254x SDM, 3.3.3): 16 bytes, little-endian.
/// <code>
/// 0      8        10    11    12    13    14
/// | addr | length | CSO | CMD | STA | CSS | special |
/// </code>
/// A plain value: <see cref="Read"/> parses the bytes of a ring slot, <see cref="Write"/> emits them.
/// </summary>
/// <param name="BufferAddress">Physical address of the buffer (an arena offset).</param>
/// <param name="Length">Bytes in the buffer that belong to the frame.</param>
/// <param name="ChecksumOffset">CSO: where the device would insert a TCP checksum (unused by the model).</param>
/// <param name="Command">CMD bits.</param>
/// <param name="Status">STA bits (only the low nibble is defined).</param>
/// <param name="ChecksumStart">CSS: where the device would start a checksum (unused by the model).</param>
/// <param name="Special">VLAN tag (unused by the model).</param>
public readonly record struct LegacyTxDescriptor(
    ulong BufferAddress,
    ushort Length,
    byte ChecksumOffset,
    TxCommand Command,
    TxDescriptorStatus Status,
    byte ChecksumStart,
    ushort Special)
{
    /// <summary>Bytes per descriptor.</summary>
    public const int Size = 16;

    /// <summary>Offset of the buffer address (u64).</summary>
    public const int AddressOffset = 0;

    /// <summary>Offset of the length (u16).</summary>
    public const int LengthOffset = 8;

    /// <summary>Offset of CSO (u8).</summary>
    public const int CsoOffset = 10;

    /// <summary>Offset of CMD (u8).</summary>
    public const int CommandOffset = 11;

    /// <summary>Offset of STA (u8); the device writes DD here.</summary>
    public const int StatusOffset = 12;

    /// <summary>Offset of CSS (u8).</summary>
    public const int CssOffset = 13;

    /// <summary>Offset of the special field (u16).</summary>
    public const int SpecialOffset = 14;

    /// <summary>
    /// Parses the first <see cref="Size"/> bytes of <paramref name="source"/>. Throws
    /// <see cref="ArgumentException"/> when fewer bytes are given; every bit pattern is a valid descriptor.
    /// </summary>
    public static LegacyTxDescriptor Read(ReadOnlySpan<byte> source)
    {
        if (source.Length < Size)
        {
            throw new ArgumentException($"a TX descriptor is {Size} bytes, got {source.Length}", nameof(source));
        }

        return new LegacyTxDescriptor(
            BinaryPrimitives.ReadUInt64LittleEndian(source),
            BinaryPrimitives.ReadUInt16LittleEndian(source[LengthOffset..]),
            source[CsoOffset],
            (TxCommand)source[CommandOffset],
            (TxDescriptorStatus)source[StatusOffset],
            source[CssOffset],
            BinaryPrimitives.ReadUInt16LittleEndian(source[SpecialOffset..]));
    }

    /// <summary>
    /// Emits the descriptor into the first <see cref="Size"/> bytes of <paramref name="destination"/>.
    /// Throws <see cref="ArgumentException"/> when fewer bytes are given.
    /// </summary>
    public void Write(Span<byte> destination)
    {
        if (destination.Length < Size)
        {
            throw new ArgumentException($"a TX descriptor is {Size} bytes, got {destination.Length}", nameof(destination));
        }

        BinaryPrimitives.WriteUInt64LittleEndian(destination, BufferAddress);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[LengthOffset..], Length);
        destination[CsoOffset] = ChecksumOffset;
        destination[CommandOffset] = (byte)Command;
        destination[StatusOffset] = (byte)Status;
        destination[CssOffset] = ChecksumStart;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[SpecialOffset..], Special);
    }

    /// <summary>A descriptor for one buffer of a frame, as the driver writes it: status clear, no checksum offload.</summary>
    public static LegacyTxDescriptor ForBuffer(ulong address, ushort length, TxCommand command) =>
        new(address, length, 0, command, TxDescriptorStatus.None, 0, 0);
}
