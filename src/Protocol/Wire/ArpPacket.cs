using System.Buffers.Binary;

namespace Edsos.Protocol.Wire;

/// <summary>
/// A view over an ARP packet (RFC 826) for Ethernet hardware addresses and IPv4 protocol addresses, the
/// only combination this stack speaks. The address fields sit at fixed offsets because
/// <see cref="TryCreate"/> refuses any other hardware/protocol address length.
/// </summary>
public readonly ref struct ArpPacket
{
    /// <summary>Offset of ar$hrd, the hardware type.</summary>
    public const int HardwareTypeOffset = 0;

    /// <summary>Offset of ar$pro, the protocol type (an EtherType).</summary>
    public const int ProtocolTypeOffset = 2;

    /// <summary>Offset of ar$hln, the hardware address length.</summary>
    public const int HardwareLengthOffset = 4;

    /// <summary>Offset of ar$pln, the protocol address length.</summary>
    public const int ProtocolLengthOffset = 5;

    /// <summary>Offset of ar$op.</summary>
    public const int OperationOffset = 6;

    /// <summary>Offset of ar$sha (sender MAC).</summary>
    public const int SenderHardwareAddressOffset = 8;

    /// <summary>Offset of ar$spa (sender IPv4 address).</summary>
    public const int SenderProtocolAddressOffset = 14;

    /// <summary>Offset of ar$tha (target MAC).</summary>
    public const int TargetHardwareAddressOffset = 18;

    /// <summary>Offset of ar$tpa (target IPv4 address).</summary>
    public const int TargetProtocolAddressOffset = 24;

    /// <summary>Length of the fixed part before the addresses.</summary>
    public const int FixedHeaderLength = 8;

    /// <summary>Length of an Ethernet/IPv4 ARP packet.</summary>
    public const int Length = 28;

    /// <summary>ar$hrd value for Ethernet (RFC 826 "ares_hrd$Ethernet").</summary>
    public const ushort HardwareTypeEthernet = 1;

    private readonly Span<byte> _buffer;

    private ArpPacket(Span<byte> buffer)
    {
        _buffer = buffer;
    }

    /// <summary>Wraps a buffer of at least 28 bytes without checking; for emitting.</summary>
    public static ArpPacket CreateUnchecked(Span<byte> buffer) => new(buffer);

    /// <summary>Wraps untrusted bytes after checking lengths.</summary>
    /// <returns>
    /// False with <see cref="WireError.Truncated"/> if the fixed part or the addresses it announces do not fit;
    /// <see cref="WireError.Unsupported"/> if ar$hln is not 6 or ar$pln is not 4 (the offsets of this view
    /// would be wrong for any other sizes). Hardware and protocol type are checked by <see cref="ArpRepr.TryParse"/>.
    /// </returns>
    public static bool TryCreate(Span<byte> buffer, out ArpPacket packet, out WireError error)
    {
        packet = default;
        if (buffer.Length < FixedHeaderLength)
        {
            error = WireError.Truncated;
            return false;
        }

        int hardwareLength = buffer[HardwareLengthOffset];
        int protocolLength = buffer[ProtocolLengthOffset];
        if (buffer.Length < FixedHeaderLength + (2 * (hardwareLength + protocolLength)))
        {
            error = WireError.Truncated;
            return false;
        }

        if (hardwareLength != MacAddress.Length || protocolLength != Ipv4Address.Length)
        {
            error = WireError.Unsupported;
            return false;
        }

        packet = new ArpPacket(buffer);
        error = WireError.None;
        return true;
    }

    /// <summary>The underlying bytes (may extend past <see cref="Length"/> with Ethernet padding).</summary>
    public Span<byte> Buffer => _buffer;

    /// <summary>ar$hrd.</summary>
    public ushort HardwareType
    {
        get => BinaryPrimitives.ReadUInt16BigEndian(_buffer[HardwareTypeOffset..]);
        set => BinaryPrimitives.WriteUInt16BigEndian(_buffer[HardwareTypeOffset..], value);
    }

    /// <summary>ar$pro.</summary>
    public EtherType ProtocolType
    {
        get => (EtherType)BinaryPrimitives.ReadUInt16BigEndian(_buffer[ProtocolTypeOffset..]);
        set => BinaryPrimitives.WriteUInt16BigEndian(_buffer[ProtocolTypeOffset..], (ushort)value);
    }

    /// <summary>ar$hln.</summary>
    public byte HardwareLength
    {
        get => _buffer[HardwareLengthOffset];
        set => _buffer[HardwareLengthOffset] = value;
    }

    /// <summary>ar$pln.</summary>
    public byte ProtocolLength
    {
        get => _buffer[ProtocolLengthOffset];
        set => _buffer[ProtocolLengthOffset] = value;
    }

    /// <summary>ar$op.</summary>
    public ArpOperation Operation
    {
        get => (ArpOperation)BinaryPrimitives.ReadUInt16BigEndian(_buffer[OperationOffset..]);
        set => BinaryPrimitives.WriteUInt16BigEndian(_buffer[OperationOffset..], (ushort)value);
    }

    /// <summary>ar$sha.</summary>
    public MacAddress SenderHardwareAddress
    {
        get => new(_buffer.Slice(SenderHardwareAddressOffset, MacAddress.Length));
        set => value.WriteTo(_buffer.Slice(SenderHardwareAddressOffset, MacAddress.Length));
    }

    /// <summary>ar$spa.</summary>
    public Ipv4Address SenderProtocolAddress
    {
        get => Ipv4Address.Read(_buffer[SenderProtocolAddressOffset..]);
        set => value.WriteTo(_buffer[SenderProtocolAddressOffset..]);
    }

    /// <summary>ar$tha.</summary>
    public MacAddress TargetHardwareAddress
    {
        get => new(_buffer.Slice(TargetHardwareAddressOffset, MacAddress.Length));
        set => value.WriteTo(_buffer.Slice(TargetHardwareAddressOffset, MacAddress.Length));
    }

    /// <summary>ar$tpa.</summary>
    public Ipv4Address TargetProtocolAddress
    {
        get => Ipv4Address.Read(_buffer[TargetProtocolAddressOffset..]);
        set => value.WriteTo(_buffer[TargetProtocolAddressOffset..]);
    }
}
