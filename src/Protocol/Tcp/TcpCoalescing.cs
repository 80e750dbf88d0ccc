using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Tcp;

/// <summary>
/// The rule of generic receive offload for TCP (Linux <c>tcp_gro_receive</c>): which arriving segments of one flow may be
/// joined into one larger segment before TCP sees them, so that TCP handles (and acknowledges) a burst once. Only plain
/// in-order data joins: the same 4-tuple, no SYN, FIN, RST, URG, ECE or CWR, no options, the same acknowledgement and
/// window, the next segment starting where the held one ends; a segment with PSH may end a run but not continue one.
/// The joined segment stays under <see cref="MaxLength"/>. Plain and stateless: the receive worker holds the segment and
/// does the memory work (<c>merge</c> of the payload nodes).
/// </summary>
public static class TcpCoalescing
{
    /// <summary>The longest payload a joined segment may carry (what fits one IPv4 datagram, as GRO's limit).</summary>
    public const int MaxLength = 65535 - 20 - TcpRepr.MinHeaderLength;

    /// <summary>
    /// True when <paramref name="next"/> (<paramref name="nextLength"/> payload bytes, from <paramref name="nextSource"/> to
    /// <paramref name="nextDestination"/>) may be appended to the held segment <paramref name="held"/>.
    /// </summary>
    public static bool CanAppend(
        in TcpRepr held,
        int heldLength,
        Ipv4Address heldSource,
        Ipv4Address heldDestination,
        in TcpRepr next,
        int nextLength,
        Ipv4Address nextSource,
        Ipv4Address nextDestination) =>
        heldLength > 0
        && nextLength > 0
        && heldLength + nextLength <= MaxLength
        && held.Flags == TcpFlags.Ack
        && (next.Flags & ~TcpFlags.Psh) == TcpFlags.Ack
        && heldSource == nextSource
        && heldDestination == nextDestination
        && held.SourcePort == next.SourcePort
        && held.DestinationPort == next.DestinationPort
        && held.Acknowledgement == next.Acknowledgement
        && held.Window == next.Window
        && held.MaxSegmentSize == 0 && next.MaxSegmentSize == 0
        && held.WindowScale is null && next.WindowScale is null
        && unchecked(held.Sequence + (uint)heldLength) == next.Sequence;

    /// <summary>The header of the joined segment: the held one's, with <paramref name="next"/>'s PSH carried over.</summary>
    public static TcpRepr Append(in TcpRepr held, in TcpRepr next) => held with { Flags = held.Flags | (next.Flags & TcpFlags.Psh) };
}
