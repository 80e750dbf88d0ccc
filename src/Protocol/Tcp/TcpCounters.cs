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
/// <param name="ChallengeAcks">RFC 5961 challenge ACKs sent: for a RST in the window but not at RCV.NXT (3.2), a SYN in a synchronized state (4.2), an unacceptable ACK (5.2).</param>
/// <param name="ChallengeAcksThrottled">Challenge ACKs not sent because the connection's budget (RFC 5961 7) was spent.</param>
/// <param name="ResetsIgnored">RST segments that reset nothing: outside the window, or in it but not at RCV.NXT (RFC 5961 3.2).</param>
/// <param name="AcksDropped">Segments dropped for an ACK of data never sent or older than SND.UNA − MAX.SND.WND (RFC 5961 5.2).</param>
/// <param name="SynDataHeld">SYNs whose text was held for delivery after the handshake (RFC 9293 3.10.7.2).</param>
/// <param name="TimeWaitReopened">SYNs that opened a new connection on a 4-tuple in TIME_WAIT (RFC 6191 2 / RFC 1122 4.2.2.13).</param>
/// <param name="ConnectsRefusedInUse">Connects refused with EADDRINUSE because the 4-tuple was in use (TIME_WAIT included).</param>
/// <param name="ReceiveMemoryDrops">Out-of-order segments dropped, on arrival or from the queue, because the arena was short (<see cref="ReceiveMemory"/>).</param>
/// <param name="UserTimeouts">Connections aborted with ETIMEDOUT because data waited <see cref="TcpOptions.UserTimeout"/> without progress (RFC 5482).</param>
/// <param name="LostRetransmits">Segments resent again in recovery because their retransmission was lost too (<see cref="NewRenoCongestion.ResentSegmentLost"/>), without waiting for the RTO.</param>
/// <param name="LossProbes">Tail loss probes sent (RFC 8985 7: new data or the last segment again after about two round trips without an ACK).</param>
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
    long TsoSends,
    long ChallengeAcks,
    long ChallengeAcksThrottled,
    long ResetsIgnored,
    long AcksDropped,
    long SynDataHeld,
    long TimeWaitReopened,
    long ConnectsRefusedInUse,
    long ReceiveMemoryDrops,
    long UserTimeouts,
    long LostRetransmits,
    long LossProbes);
