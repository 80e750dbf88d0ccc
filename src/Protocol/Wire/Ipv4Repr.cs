namespace Edsos.Protocol.Wire;

/// <summary>
/// A parsed IPv4 header (RFC 791 3.1). Options are accepted and skipped on parse and never emitted,
/// so an emitted header is always 20 bytes. Fragment fields are carried because reassembly needs them.
/// </summary>
/// <param name="Source">Source address.</param>
/// <param name="Destination">Destination address.</param>
/// <param name="Protocol">Upper-layer protocol.</param>
/// <param name="PayloadLength">Data length in bytes (total length minus header length).</param>
public readonly record struct Ipv4Repr(Ipv4Address Source, Ipv4Address Destination, IpProtocol Protocol, int PayloadLength)
{
    /// <summary>Length of an emitted header (no options).</summary>
    public const int EmittedHeaderLength = Ipv4Packet.MinHeaderLength;

    /// <summary>Largest datagram the 16-bit total length field can describe.</summary>
    public const int MaxTotalLength = ushort.MaxValue;

    /// <summary>Default TTL; Linux's net.ipv4.ip_default_ttl is 64 (RFC 1700 recommends 64 too).</summary>
    public const byte DefaultTtl = 64;

    /// <summary>Time to live.</summary>
    public byte Ttl { get; init; } = DefaultTtl;

    /// <summary>DSCP (RFC 2474).</summary>
    public byte Dscp { get; init; }

    /// <summary>ECN (RFC 3168).</summary>
    public byte Ecn { get; init; }

    /// <summary>Identification.</summary>
    public ushort Identification { get; init; }

    /// <summary>Don't Fragment.</summary>
    public bool DontFragment { get; init; }

    /// <summary>More Fragments.</summary>
    public bool MoreFragments { get; init; }

    /// <summary>Fragment offset in bytes; a multiple of 8.</summary>
    public int FragmentOffset { get; init; }

    /// <summary>Header length seen on parse, options included (20 for headers this stack emits).</summary>
    public int HeaderLength { get; init; } = EmittedHeaderLength;

    /// <summary>True when this header belongs to a fragment rather than a whole datagram.</summary>
    public bool IsFragment => MoreFragments || FragmentOffset != 0;

    /// <summary>The old TOS byte (DSCP and ECN), which pfifo_fast's priority map reads.</summary>
    public byte TypeOfService => (byte)((Dscp << 2) | (Ecn & 0x03));

    /// <summary>Bytes needed to emit this header plus its payload.</summary>
    public int BufferLength => EmittedHeaderLength + PayloadLength;

    /// <summary>Validates and reads the header of a packet accepted by <see cref="Ipv4Packet.TryCreate"/>.</summary>
    /// <param name="packet">The checked view.</param>
    /// <param name="repr">The header on success, default otherwise.</param>
    /// <param name="error">Why parsing failed.</param>
    /// <param name="verifyChecksum">False when the NIC already verified it (checksum offload).</param>
    /// <returns>
    /// False with <see cref="WireError.Unsupported"/> for a version other than 4;
    /// <see cref="WireError.BadChecksum"/> when the header checksum fails;
    /// <see cref="WireError.Malformed"/> when the source is multicast or limited broadcast (RFC 1122
    /// 3.2.1.3 says to discard those) or fragment offset plus length exceeds 65535 (RFC 791: no
    /// datagram is longer; the "ping of death").
    /// </returns>
    public static bool TryParse(Ipv4Packet packet, out Ipv4Repr repr, out WireError error, bool verifyChecksum = true)
    {
        repr = default;
        if (packet.Version != 4)
        {
            error = WireError.Unsupported;
            return false;
        }

        if (verifyChecksum && !packet.VerifyChecksum())
        {
            error = WireError.BadChecksum;
            return false;
        }

        Ipv4Address source = packet.Source;
        if (source.IsMulticast || source.IsBroadcast)
        {
            error = WireError.Malformed;
            return false;
        }

        if (packet.FragmentOffset + packet.TotalLength > MaxTotalLength)
        {
            error = WireError.Malformed;
            return false;
        }

        repr = new Ipv4Repr(source, packet.Destination, packet.Protocol, packet.TotalLength - packet.HeaderLength)
        {
            Ttl = packet.Ttl,
            Dscp = packet.Dscp,
            Ecn = packet.Ecn,
            Identification = packet.Identification,
            DontFragment = packet.DontFragment,
            MoreFragments = packet.MoreFragments,
            FragmentOffset = packet.FragmentOffset,
            HeaderLength = packet.HeaderLength,
        };
        error = WireError.None;
        return true;
    }

    /// <summary>
    /// Writes a 20-byte header (version 4, IHL 5, no options) and, unless offloaded, its checksum.
    /// The payload bytes after the header are not touched.
    /// </summary>
    /// <exception cref="InvalidOperationException">The repr cannot be put on the wire: payload length
    /// negative or above 65515, fragment offset not a multiple of 8 or above 65528, DSCP above 63.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The packet buffer is shorter than 20 bytes.</exception>
    public void Emit(Ipv4Packet packet, bool fillChecksum = true)
    {
        if (PayloadLength < 0 || PayloadLength > MaxTotalLength - EmittedHeaderLength)
        {
            throw new InvalidOperationException($"IPv4 payload length {PayloadLength} does not fit a datagram.");
        }

        if (FragmentOffset < 0 || FragmentOffset % 8 != 0 || FragmentOffset > 0x1FFF * 8)
        {
            throw new InvalidOperationException($"Fragment offset {FragmentOffset} is not a multiple of 8 in 0..65528.");
        }

        if (Dscp > 63)
        {
            throw new InvalidOperationException($"DSCP {Dscp} does not fit six bits.");
        }

        if (packet.Buffer.Length < EmittedHeaderLength)
        {
            throw new ArgumentOutOfRangeException(nameof(packet), "The buffer cannot hold an IPv4 header.");
        }

        // Byte 6 holds flags and offset together; clear it so stale bits (e.g. the reserved flag) go.
        packet.Buffer[Ipv4Packet.FlagsAndFragmentOffsetOffset] = 0;
        packet.Buffer[Ipv4Packet.FlagsAndFragmentOffsetOffset + 1] = 0;
        packet.Buffer[Ipv4Packet.VersionAndHeaderLengthOffset] = 0x45;
        packet.Dscp = Dscp;
        packet.Ecn = Ecn;
        packet.TotalLength = EmittedHeaderLength + PayloadLength;
        packet.Identification = Identification;
        packet.DontFragment = DontFragment;
        packet.MoreFragments = MoreFragments;
        packet.FragmentOffset = FragmentOffset;
        packet.Ttl = Ttl;
        packet.Protocol = Protocol;
        packet.Source = Source;
        packet.Destination = Destination;
        if (fillChecksum)
        {
            packet.FillChecksum();
        }
        else
        {
            packet.HeaderChecksum = 0;
        }
    }
}
