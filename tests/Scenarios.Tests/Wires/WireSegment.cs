using Edsos.Protocol.Wire;

namespace Edsos.Scenarios.Tests.Wires;

/// <summary>
/// One TCP segment as a <see cref="ScriptedLink"/> saw it cross, parsed from the frame's bytes (not from the
/// stack's own types, so the wire is an independent witness). Sequence numbers are also given relative to
/// the sending side's SYN, Wireshark style: the first data byte of a flow is relative sequence 0, and an
/// ACK of it is relative acknowledgement 1 ... of the other flow (-1 before that flow's SYN was seen).
/// </summary>
/// <param name="Index">Position among every TCP segment the link carried, both directions, in transmit order.</param>
/// <param name="Direction">Which host transmitted it.</param>
/// <param name="At">When it was transmitted, since the link was created.</param>
/// <param name="Payload">A copy of the segment's data bytes (empty for a bare control segment).</param>
/// <param name="RelativeSequence">Sequence minus the sender's ISS + 1 (the SYN itself is -1).</param>
/// <param name="RelativeAck">Acknowledgement minus the receiver's ISS + 1 (0: the receiver's SYN acknowledged, nothing more).</param>
/// <param name="Fate">What the link did with it.</param>
internal sealed record WireSegment(
    int Index,
    LinkDirection Direction,
    TimeSpan At,
    ushort SourcePort,
    ushort DestinationPort,
    uint Sequence,
    uint Acknowledgement,
    TcpFlags Flags,
    ushort Window,
    byte[] Payload,
    int RelativeSequence,
    int RelativeAck,
    WireFate Fate)
{
    /// <summary>Payload bytes carried.</summary>
    public int Length => Payload.Length;

    /// <summary>True when the segment carries data.</summary>
    public bool HasData => Payload.Length > 0;

    /// <summary>Relative sequence number after the segment's data.</summary>
    public int RelativeEnd => RelativeSequence + Payload.Length;

    /// <summary>True when every flag in <paramref name="flags"/> is set.</summary>
    public bool Has(TcpFlags flags) => (Flags & flags) == flags;

    /// <summary>An acknowledgement and nothing else: no data, no SYN, FIN or RST (PSH ignored).</summary>
    public bool IsBareAck => !HasData && (Flags & ~TcpFlags.Psh) == TcpFlags.Ack;

    public override string ToString() =>
        $"#{Index} {At.TotalMilliseconds,8:F1} ms {Direction} {Flags} seq={RelativeSequence} ack={RelativeAck} win={Window} len={Length} {Fate}";
}
