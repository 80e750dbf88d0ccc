using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Ipv4;

/// <summary>
/// Plans the frames of each outgoing datagram over <see cref="Fragmenter"/> (RFC 791 3.2) and hands out IPv4
/// identifications: one per datagram, or one per segment the NIC will cut from a TCP super-segment, so the next
/// datagram's starts past them (Linux <c>ip_select_ident_segs</c>). Writes the Ethernet and IPv4 headers of each
/// frame. Touches no memory. Not thread-safe: one actor owns it.
/// </summary>
/// <param name="mtu">The link MTU (at least <see cref="Fragmenter.MinimumMtu"/>).</param>
public sealed class FragmentationPlanner(int mtu)
{
    private ushort _nextIdentification = 1;

    /// <summary>The identification the next datagram gets.</summary>
    public ushort NextIdentification => _nextIdentification;

    /// <summary>
    /// The plan for <paramref name="datagram"/>: a super-segment (<see cref="OutgoingDatagram.GsoSize"/> above 0)
    /// is one frame taking ceil(payload / GSO size) identifications; otherwise one frame when it fits the MTU
    /// (loopback has none), else one per fragment, all with one identification.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The datagram cannot be fragmented for the MTU (see <see cref="Fragmenter.CountFragments"/>).</exception>
    public FramePlan Plan(in OutgoingDatagram datagram, bool loopback)
    {
        if (datagram.GsoSize > 0)
        {
            int segments = Math.Max(1, (datagram.PayloadLength + datagram.GsoSize - 1) / datagram.GsoSize);
            ushort first = _nextIdentification;
            _nextIdentification = unchecked((ushort)(_nextIdentification + segments));
            return new FramePlan(first, 1, mtu, Gso: true);
        }

        int linkMtu = loopback ? ushort.MaxValue : mtu;
        int count = Fragmenter.CountFragments(datagram.IpPayloadLength, FrameLayout.Ipv4HeaderLength, linkMtu);
        return new FramePlan(_nextIdentification++, count, linkMtu, Gso: false);
    }

    /// <summary>
    /// Writes the Ethernet and IPv4 headers (<see cref="FrameLayout.EthernetIpv4HeaderLength"/> bytes) of the
    /// frame carrying <paramref name="piece"/> of <paramref name="datagram"/> into <paramref name="buffer"/>:
    /// DSCP/ECN from the TOS byte, TTL 64, DF on a super-segment (it must reach the NIC whole and its segments
    /// must not be fragmented on the way), MF and offset from the piece, the header checksum filled.
    /// </summary>
    public static void WriteHeaders(Span<byte> buffer, in OutgoingDatagram datagram, MacAddress sourceMac, MacAddress destinationMac, ushort identification, FragmentPiece piece)
    {
        new EthernetRepr(destinationMac, sourceMac, EtherType.Ipv4)
            .Emit(EthernetFrame.CreateUnchecked(buffer[..FrameLayout.EthernetHeaderLength]));
        var ip = new Ipv4Repr(datagram.Source, datagram.Destination, datagram.Protocol, piece.Length)
        {
            DontFragment = datagram.GsoSize > 0,
            Ttl = Ipv4Repr.DefaultTtl,
            Dscp = (byte)(datagram.Tos >> 2),
            Ecn = (byte)(datagram.Tos & 0x03),
            Identification = identification,
            MoreFragments = piece.MoreFragments,
            FragmentOffset = piece.Offset,
        };
        ip.Emit(Ipv4Packet.CreateUnchecked(buffer.Slice(FrameLayout.EthernetHeaderLength, FrameLayout.Ipv4HeaderLength)));
    }
}
