namespace Edsos.Protocol.Tcp;

/// <summary>Counters of the TCP worker (the demo reports <see cref="Retransmits"/> and <see cref="BytesAcked"/>).</summary>
/// <param name="SegmentsSent">Segments sent, retransmissions included; a TSO super-segment counts as the segments the NIC cuts it into.</param>
/// <param name="SegmentsReceived">Segments received with a valid checksum.</param>
/// <param name="Retransmits">Segments sent again (timeout, fast retransmit, partial ACK).</param>
/// <param name="FastRetransmits">Fast retransmits on three duplicate ACKs (RFC 5681 3.2).</param>
/// <param name="Timeouts">Retransmission timer expiries.</param>
/// <param name="BytesAcked">Payload bytes the peers acknowledged.</param>
/// <param name="BytesDelivered">In-order payload bytes handed to sockets.</param>
/// <param name="OutOfOrderQueued">Segments held for reassembly.</param>
/// <param name="ResetsSent">RST segments sent.</param>
/// <param name="ResetsReceived">Acceptable RST segments received.</param>
/// <param name="ZeroWindowProbes">Zero-window probes sent.</param>
/// <param name="ActiveConnections">TCBs alive now (TIME_WAIT included).</param>
/// <param name="ChunksHeld">Send chunks (payload references) held for retransmission now.</param>
/// <param name="RevokedAborts">Connections aborted because queued payload was lifted with its exited TS.</param>
/// <param name="TsoSends">Super-segments handed to IPv4 for the NIC to cut (TCP segmentation offload).</param>
public sealed record TcpCounters(
    long SegmentsSent,
    long SegmentsReceived,
    long Retransmits,
    long FastRetransmits,
    long Timeouts,
    long BytesAcked,
    long BytesDelivered,
    long OutOfOrderQueued,
    long ResetsSent,
    long ResetsReceived,
    long ZeroWindowProbes,
    int ActiveConnections,
    int ChunksHeld,
    long RevokedAborts,
    long TsoSends);
