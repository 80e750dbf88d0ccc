namespace Edsos.Protocol.Tcp.Core;

/// <summary>
/// Counters shared by every connection of one TCP instance (the driver's <see cref="TcpCounters"/> snapshot reads
/// them). Plain fields: one thread (the driving actor) touches them.
/// </summary>
public sealed class TcpStatistics
{
    /// <summary>Segments sent again (timeout, fast retransmit, partial ACK, probes resending data).</summary>
    public long Retransmits;

    /// <summary>Fast retransmits (RFC 5681 3.2).</summary>
    public long FastRetransmits;

    /// <summary>Retransmission timeouts.</summary>
    public long Timeouts;

    /// <summary>Payload bytes newly acknowledged by peers.</summary>
    public long BytesAcked;

    /// <summary>Payload bytes delivered in order.</summary>
    public long BytesDelivered;

    /// <summary>Segments held for reassembly.</summary>
    public long OutOfOrderQueued;

    /// <summary>RSTs sent.</summary>
    public long ResetsSent;

    /// <summary>RSTs that reset a connection.</summary>
    public long ResetsReceived;

    /// <summary>Zero-window probes sent.</summary>
    public long ZeroWindowProbes;

    /// <summary>Connections aborted because their queued payload was revoked.</summary>
    public long RevokedAborts;

    /// <summary>RFC 5961 challenge ACKs sent.</summary>
    public long ChallengeAcks;

    /// <summary>Challenge ACKs the RFC 5961 7 budget held back.</summary>
    public long ChallengeAcksThrottled;

    /// <summary>RSTs ignored (outside the window, or in it but not at RCV.NXT).</summary>
    public long ResetsIgnored;

    /// <summary>Segments dropped for an ACK outside the RFC 5961 5.2 range.</summary>
    public long AcksDropped;

    /// <summary>SYNs whose text was held until ESTABLISHED.</summary>
    public long SynDataHeld;

    /// <summary>TIME_WAIT connections reopened by a new SYN.</summary>
    public long TimeWaitReopened;

    /// <summary>Active opens refused because the 4-tuple was in use.</summary>
    public long ConnectsRefusedInUse;

    /// <summary>Segments dropped for want of receive memory.</summary>
    public long ReceiveMemoryDrops;

    /// <summary>Connections aborted by the RFC 5482 user timeout.</summary>
    public long UserTimeouts;

    /// <summary>Retransmissions resent again because they were lost too.</summary>
    public long LostRetransmits;

    /// <summary>Tail loss probes sent.</summary>
    public long LossProbes;
}
