namespace Edsos.Protocol.Wire;

/// <summary>A parsed Ethernet/IPv4 ARP packet (RFC 826).</summary>
/// <param name="Operation">Request or reply.</param>
/// <param name="SenderHardwareAddress">ar$sha.</param>
/// <param name="SenderProtocolAddress">ar$spa.</param>
/// <param name="TargetHardwareAddress">ar$tha (zero in a request: it is what is being asked for).</param>
/// <param name="TargetProtocolAddress">ar$tpa.</param>
public readonly record struct ArpRepr(
    ArpOperation Operation,
    MacAddress SenderHardwareAddress,
    Ipv4Address SenderProtocolAddress,
    MacAddress TargetHardwareAddress,
    Ipv4Address TargetProtocolAddress)
{
    /// <summary>Length on the wire.</summary>
    public const int BufferLength = ArpPacket.Length;

    /// <summary>A "who has <paramref name="targetIp"/>? tell <paramref name="senderIp"/>" request.</summary>
    public static ArpRepr Request(MacAddress senderMac, Ipv4Address senderIp, Ipv4Address targetIp)
    {
        return new ArpRepr(ArpOperation.Request, senderMac, senderIp, MacAddress.Zero, targetIp);
    }

    /// <summary>The reply to <paramref name="request"/> announcing that <paramref name="ourMac"/> owns its target address.
    /// RFC 826: swap sender and target, put our own address in the sender fields.</summary>
    public static ArpRepr ReplyTo(in ArpRepr request, MacAddress ourMac)
    {
        return new ArpRepr(
            ArpOperation.Reply,
            ourMac,
            request.TargetProtocolAddress,
            request.SenderHardwareAddress,
            request.SenderProtocolAddress);
    }

    /// <summary>Validates the fields the view does not: hardware type Ethernet (1), protocol type IPv4
    /// (0x0800) and a request/reply opcode.</summary>
    /// <returns>False with <see cref="WireError.Unsupported"/> for other hardware/protocol types or opcodes
    /// (RARP, InARP); <paramref name="repr"/> is then default.</returns>
    public static bool TryParse(ArpPacket packet, out ArpRepr repr, out WireError error)
    {
        repr = default;
        if (packet.HardwareType != ArpPacket.HardwareTypeEthernet || packet.ProtocolType != EtherType.Ipv4)
        {
            error = WireError.Unsupported;
            return false;
        }

        ArpOperation operation = packet.Operation;
        if (operation is not (ArpOperation.Request or ArpOperation.Reply))
        {
            error = WireError.Unsupported;
            return false;
        }

        repr = new ArpRepr(
            operation,
            packet.SenderHardwareAddress,
            packet.SenderProtocolAddress,
            packet.TargetHardwareAddress,
            packet.TargetProtocolAddress);
        error = WireError.None;
        return true;
    }

    /// <summary>Writes all 28 bytes, including the constant type and length fields.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The packet buffer is shorter than 28 bytes.</exception>
    public void Emit(ArpPacket packet)
    {
        packet.HardwareType = ArpPacket.HardwareTypeEthernet;
        packet.ProtocolType = EtherType.Ipv4;
        packet.HardwareLength = MacAddress.Length;
        packet.ProtocolLength = Ipv4Address.Length;
        packet.Operation = Operation;
        packet.SenderHardwareAddress = SenderHardwareAddress;
        packet.SenderProtocolAddress = SenderProtocolAddress;
        packet.TargetHardwareAddress = TargetHardwareAddress;
        packet.TargetProtocolAddress = TargetProtocolAddress;
    }
}
