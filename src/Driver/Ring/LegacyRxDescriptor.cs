using System.Buffers.Binary;

namespace Edsos.Driver.Ring;

/// <summary>
/// An e1000 legacy receive descriptor (8254x SDM, 3.2.3): 16 bytes, little-endian.
/// <code>
/// 0      8        10         12       13       14
/// | addr | length | checksum | status | errors | special |
/// </code>
/// The driver posts it with the buffer address and a clear status; the device fills in the
/// length, the status (DD | EOP, and on the EOP descriptor the checksum indication) and the errors.
/// </summary>
/// <param name="BufferAddress">Physical address of the receive buffer (an arena offset).</param>
/// <param name="Length">Bytes the device wrote into the buffer.</param>
/// <param name="Checksum">Packet checksum (unused by the model, written as zero).</param>
/// <param name="Status">Status bits (<see cref="RxDescriptorStatus"/>).</param>
/// <param name="Errors">Error bits (<see cref="RxDescriptorErrors"/>): RXE for a failed write, IPE/TCPE for a checksum the device found wrong.</param>
/// <param name="Special">VLAN tag (unused by the model).</param>
public readonly record struct LegacyRxDescriptor(
    ulong BufferAddress,
    ushort Length,
    ushort Checksum,
    RxDescriptorStatus Status,
    byte Errors,
    ushort Special)
{
    /// <summary>Bytes per descriptor.</summary>
    public const int Size = 16;

    /// <summary>Offset of the buffer address (u64).</summary>
    public const int AddressOffset = 0;

    /// <summary>Offset of the length (u16).</summary>
    public const int LengthOffset = 8;

    /// <summary>Offset of the packet checksum (u16).</summary>
    public const int ChecksumOffset = 10;

    /// <summary>Offset of the status (u8).</summary>
    public const int StatusOffset = 12;

    /// <summary>Offset of the errors (u8).</summary>
    public const int ErrorsOffset = 13;

    /// <summary>Offset of the special field (u16).</summary>
    public const int SpecialOffset = 14;

    /// <summary>
    /// Parses the first <see cref="Size"/> bytes of <paramref name="source"/>. Throws
    /// <see cref="ArgumentException"/> when fewer bytes are given.
    /// </summary>
    public static LegacyRxDescriptor Read(ReadOnlySpan<byte> source)
    {
        if (source.Length < Size)
        {
            throw new ArgumentException($"an RX descriptor is {Size} bytes, got {source.Length}", nameof(source));
        }

        return new LegacyRxDescriptor(
            BinaryPrimitives.ReadUInt64LittleEndian(source),
            BinaryPrimitives.ReadUInt16LittleEndian(source[LengthOffset..]),
            BinaryPrimitives.ReadUInt16LittleEndian(source[ChecksumOffset..]),
            (RxDescriptorStatus)source[StatusOffset],
            source[ErrorsOffset],
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
            throw new ArgumentException($"an RX descriptor is {Size} bytes, got {destination.Length}", nameof(destination));
        }

        BinaryPrimitives.WriteUInt64LittleEndian(destination, BufferAddress);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[LengthOffset..], Length);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[ChecksumOffset..], Checksum);
        destination[StatusOffset] = (byte)Status;
        destination[ErrorsOffset] = Errors;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[SpecialOffset..], Special);
    }

    /// <summary>A descriptor as the driver posts it: the buffer's address, everything else clear.</summary>
    public static LegacyRxDescriptor Posted(ulong address) => new(address, 0, 0, RxDescriptorStatus.None, 0, 0);
}
