using System.Buffers.Binary;

namespace Edsos.Driver.Ring;

/// <summary>
/// An e1000 TCP/IP context transmit descriptor (8254x SDM 3.3.6): 16 bytes, little-endian. It carries
/// no buffer; it loads the offload context the TSE data descriptors after it use.
/// <code>
/// 0       1       2       4       5       6       8              10.4   11      12    13       14
/// | IPCSS | IPCSO | IPCSE | TUCSS | TUCSO | TUCSE | PAYLEN (20b) | DTYP | TUCMD | STA | HDRLEN | MSS |
/// </code>
/// Offsets count from the first byte of the frame (the Ethernet header). The checksum ends are
/// inclusive byte offsets; 0 means "to the end of the packet". A plain value: <see cref="Read"/>
/// parses a slot, <see cref="Write"/> emits it with DTYP 0.
/// </summary>
/// <param name="IpChecksumStart">IPCSS: the first byte of the IPv4 header.</param>
/// <param name="IpChecksumOffset">IPCSO: where the IPv4 header checksum goes.</param>
/// <param name="IpChecksumEnd">IPCSE: the last byte the IPv4 header checksum covers (inclusive).</param>
/// <param name="TcpChecksumStart">TUCSS: the first byte of the TCP header.</param>
/// <param name="TcpChecksumOffset">TUCSO: where the TCP checksum goes.</param>
/// <param name="TcpChecksumEnd">TUCSE: the last byte the TCP checksum covers; 0 for the end of each segment.</param>
/// <param name="PayloadLength">PAYLEN (20 bits): for TSE, the payload bytes after the headers, all segments together.</param>
/// <param name="Command">TUCMD bits (DEXT is always written).</param>
/// <param name="Status">STA (DD written back when <see cref="TxContextCommand.Rs"/>).</param>
/// <param name="HeaderLength">HDRLEN: bytes of Ethernet + IPv4 + TCP header copied in front of every segment.</param>
/// <param name="Mss">MSS: payload bytes per segment (the last one may be shorter).</param>
public readonly record struct TcpIpContextTxDescriptor(
    byte IpChecksumStart,
    byte IpChecksumOffset,
    ushort IpChecksumEnd,
    byte TcpChecksumStart,
    byte TcpChecksumOffset,
    ushort TcpChecksumEnd,
    int PayloadLength,
    TxContextCommand Command,
    TxDescriptorStatus Status,
    byte HeaderLength,
    ushort Mss)
{
    /// <summary>Bytes per descriptor.</summary>
    public const int Size = TxDescriptorLayout.Size;

    /// <summary>Offset of IPCSS (u8).</summary>
    public const int IpcssOffset = 0;

    /// <summary>Offset of IPCSO (u8).</summary>
    public const int IpcsoOffset = 1;

    /// <summary>Offset of IPCSE (u16).</summary>
    public const int IpcseOffset = 2;

    /// <summary>Offset of TUCSS (u8).</summary>
    public const int TucssOffset = 4;

    /// <summary>Offset of TUCSO (u8).</summary>
    public const int TucsoOffset = 5;

    /// <summary>Offset of TUCSE (u16).</summary>
    public const int TucseOffset = 6;

    /// <summary>Offset of the dword holding PAYLEN (bits 0-19), DTYP (20-23) and TUCMD (24-31).</summary>
    public const int PayloadLengthOffset = TxDescriptorLayout.TypeDwordOffset;

    /// <summary>Offset of STA (u8).</summary>
    public const int StatusOffset = TxDescriptorLayout.StatusOffset;

    /// <summary>Offset of HDRLEN (u8).</summary>
    public const int HeaderLengthOffset = 13;

    /// <summary>Offset of MSS (u16).</summary>
    public const int MssOffset = 14;

    /// <summary>
    /// Parses the first <see cref="Size"/> bytes of <paramref name="source"/> as a context descriptor
    /// (whatever DTYP says: classify first with <see cref="TxDescriptorLayout.Classify"/>). Throws
    /// <see cref="ArgumentException"/> when fewer bytes are given.
    /// </summary>
    public static TcpIpContextTxDescriptor Read(ReadOnlySpan<byte> source)
    {
        if (source.Length < Size)
        {
            throw new ArgumentException($"a TX descriptor is {Size} bytes, got {source.Length}", nameof(source));
        }

        uint typed = BinaryPrimitives.ReadUInt32LittleEndian(source[PayloadLengthOffset..]);
        return new TcpIpContextTxDescriptor(
            source[IpcssOffset],
            source[IpcsoOffset],
            BinaryPrimitives.ReadUInt16LittleEndian(source[IpcseOffset..]),
            source[TucssOffset],
            source[TucsoOffset],
            BinaryPrimitives.ReadUInt16LittleEndian(source[TucseOffset..]),
            (int)(typed & TxDescriptorLayout.MaxExtendedLength),
            (TxContextCommand)(typed >> 24),
            (TxDescriptorStatus)(source[StatusOffset] & 0x0F),
            source[HeaderLengthOffset],
            BinaryPrimitives.ReadUInt16LittleEndian(source[MssOffset..]));
    }

    /// <summary>
    /// Emits the descriptor (DTYP 0, DEXT set) into the first <see cref="Size"/> bytes of
    /// <paramref name="destination"/>. Throws <see cref="ArgumentException"/> when fewer bytes are
    /// given and <see cref="ArgumentOutOfRangeException"/> when <see cref="PayloadLength"/> does not fit 20 bits.
    /// </summary>
    public void Write(Span<byte> destination)
    {
        if (destination.Length < Size)
        {
            throw new ArgumentException($"a TX descriptor is {Size} bytes, got {destination.Length}", nameof(destination));
        }

        destination[IpcssOffset] = IpChecksumStart;
        destination[IpcsoOffset] = IpChecksumOffset;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[IpcseOffset..], IpChecksumEnd);
        destination[TucssOffset] = TcpChecksumStart;
        destination[TucsoOffset] = TcpChecksumOffset;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[TucseOffset..], TcpChecksumEnd);
        var command = (byte)(Command | TxContextCommand.Dext);
        BinaryPrimitives.WriteUInt32LittleEndian(
            destination[PayloadLengthOffset..],
            TxDescriptorLayout.PackTypeDword(PayloadLength, TxDescriptorLayout.ContextType, command));
        destination[StatusOffset] = (byte)Status;
        destination[HeaderLengthOffset] = HeaderLength;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[MssOffset..], Mss);
    }

    /// <summary>
    /// The context for a TCP/IPv4 segmentation as the driver writes it: the IPv4 header at
    /// <paramref name="networkOffset"/> (its checksum field at +10, covering the
    /// <paramref name="transportOffset"/> − <paramref name="networkOffset"/> bytes up to the TCP header),
    /// the TCP header at <paramref name="transportOffset"/> (checksum at +16, to the end of each segment),
    /// <paramref name="headerLength"/> header bytes in all, <paramref name="payloadLength"/> payload bytes
    /// cut into <paramref name="mss"/>-byte segments; TUCMD = DEXT | TSE | IP | TCP, status clear, no RS
    /// (the driver reads the write-back of the frame's last data descriptor only).
    /// </summary>
    public static TcpIpContextTxDescriptor ForTcpSegmentation(int networkOffset, int transportOffset, int headerLength, int payloadLength, int mss) =>
        new(
            checked((byte)networkOffset),
            checked((byte)(networkOffset + 10)),
            checked((ushort)(transportOffset - 1)),
            checked((byte)transportOffset),
            checked((byte)(transportOffset + 16)),
            0,
            payloadLength,
            TxContextCommand.Dext | TxContextCommand.Tse | TxContextCommand.Ip | TxContextCommand.Tcp,
            TxDescriptorStatus.None,
            checked((byte)headerLength),
            checked((ushort)mss));
}
