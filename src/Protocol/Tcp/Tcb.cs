using Edsos.Memory;
using Akka.Actor;
using Edsos.Scheduler;

namespace Edsos.Protocol.Tcp;

/// <summary>
/// One connection's transmission control block (RFC 9293 3.3.1): the send and receive sequence variables,
/// the payload references held for retransmission, the out-of-order queue, the RTO estimator and NewReno
/// state, and the timer deadlines. Owned by the <see cref="TcpTxWorker"/>; never shared between threads.
/// </summary>
internal sealed class Tcb
{
    /// <summary>
    /// A new TCB; <paramref name="receiveWindow"/> is the configured buffer as <see cref="ReceiveMemory.WindowClamp"/>
    /// bounds it for this host. The Window Scale shift is the smallest that covers that window: a larger one would
    /// only coarsen the window's granularity (2^shift bytes), by which the never-shrinking edge creeps on every ACK.
    /// </summary>
    public Tcb(ulong id, Ipv4Endpoint local, Ipv4Endpoint remote, TcpOptions options, int receiveWindow)
    {
        Id = id;
        Local = local;
        Remote = remote;
        Rto = new RtoEstimator(options.InitialRto, options.MinRto, options.MaxRto, options.TimerTick);
        Congestion = new NewRenoCongestion(options.Mss);
        Mss = options.Mss;
        ReceiveBuffer = receiveWindow;
        WantedRcvWndShift = TcpOptions.WindowShiftFor(receiveWindow);
    }

    public ulong Id { get; }

    public Ipv4Endpoint Local { get; }

    public Ipv4Endpoint Remote { get; }

    public TcpState State { get; set; }

    /// <summary>The socket served (null: detached by close, or not yet accepted).</summary>
    public IActorRef? Socket { get; set; }

    public TsId SocketTs { get; set; }

    /// <summary>Passive open: the listener's local endpoint (to announce to and count the backlog against).</summary>
    public Ipv4Endpoint? Listener { get; set; }

    /// <summary>Announced to the listener and not yet attached.</summary>
    public bool AwaitingAccept { get; set; }

    /// <summary>The socket closed (<see cref="InetProtocol.StreamClose"/>): no reader will take data again.</summary>
    public bool SocketClosed { get; set; }

    /// <summary>Active open: the connect request to answer.</summary>
    public ulong ConnectReqId { get; set; }

    public IActorRef? ConnectReplyTo { get; set; }

    // Send sequence variables (RFC 9293 3.3.1).
    public uint Iss { get; set; }

    public uint SndUna { get; set; }

    public uint SndNxt { get; set; }

    /// <summary>The highest sequence number sent so far (SND.MAX): anything below it sent again is a retransmission.</summary>
    public uint SndMax { get; set; }

    /// <summary>
    /// SND.SML (Minshall's Nagle variant, as Linux's tcp_minshall_check): the end of the last segment sent
    /// shorter than the MSS. Nagle holds a small segment only while this one is unacknowledged.
    /// </summary>
    public uint SndSml { get; set; }

    /// <summary>The peer's window in bytes (SEG.WND scaled by <see cref="SndWndShift"/> on every non-SYN segment).</summary>
    public uint SndWnd { get; set; }

    /// <summary>MAX.SND.WND (RFC 5961 5.2): the largest window the peer ever offered; bounds how old an acceptable ACK may be.</summary>
    public uint MaxSndWnd { get; set; }

    public uint SndWl1 { get; set; }

    public uint SndWl2 { get; set; }

    /// <summary>Effective send MSS: ours bounded by the peer's option.</summary>
    public int Mss { get; set; }

    /// <summary>Our SYN or SYN-ACK carries the Window Scale option (decided once, kept for retransmissions).</summary>
    public bool OfferWindowScale { get; set; }

    /// <summary>The shift our buffer wants (RFC 7323 2.2): what our Window Scale option announces.</summary>
    public int WantedRcvWndShift { get; }

    /// <summary>Shift applied to the peer's SEG.WND: its option's count, once both SYNs carried the option (else 0).</summary>
    public int SndWndShift { get; set; }

    /// <summary>Shift applied to the windows we advertise: <see cref="WantedRcvWndShift"/> once both SYNs carried the option (else 0).</summary>
    public int RcvWndShift { get; set; }

    /// <summary>Payload references in sequence order; the first holds SND.UNA once data is outstanding.</summary>
    public List<SendChunk> Chunks { get; } = new();

    /// <summary>Sequence number after the last queued byte.</summary>
    public uint SendEnd { get; set; }

    /// <summary>Close or shutdown asked for a FIN after the queued data.</summary>
    public bool FinQueued { get; set; }

    public bool FinSent { get; set; }

    /// <summary>Sequence number of our FIN (valid once <see cref="FinSent"/>).</summary>
    public uint FinSequence { get; set; }

    public bool NoDelay { get; set; }

    // Receive sequence variables.
    public uint Irs { get; set; }

    public uint RcvNxt { get; set; }

    /// <summary>The most the receive window may promise: <see cref="TcpOptions.ReceiveBuffer"/> bounded by the host's memory.</summary>
    public int ReceiveBuffer { get; }

    /// <summary>Bytes delivered to (or held for) the socket and not yet consumed by the app.</summary>
    public int RcvUnread { get; set; }

    /// <summary>The right edge last advertised (RCV.NXT + RCV.WND then), which never moves left (RFC 9293 3.8.6.2.2).</summary>
    public uint RcvAdvertisedEdge { get; set; }

    public bool FinReceived { get; set; }

    /// <summary>In-order data waiting for a socket to attach (accept), in the TCP TS.</summary>
    public Queue<(Capability Node, int Length)> Undelivered { get; } = new();

    public ReassemblyQueue<Capability> OutOfOrder { get; } = new();

    public RtoEstimator Rto { get; }

    public NewRenoCongestion Congestion { get; }

    /// <summary>RTT measurement per segment, Karn's rule per ACK (<see cref="RttSampler"/>).</summary>
    public RttSampler Sampler { get; } = new();

    /// <summary>RFC 5482 user timeout: since when sent data (or data a zero window holds) waits without progress.</summary>
    public ProgressWatch Progress { get; } = new();

    /// <summary>When SND.UNA's segment was last resent by fast retransmit or in recovery.</summary>
    public DateTimeOffset ResentAt { get; set; }

    /// <summary>Retransmissions of the current SND.UNA (or SYN) without progress.</summary>
    public int Backoffs { get; set; }

    public DateTimeOffset? RtoDeadline { get; set; }

    /// <summary>When a tail loss probe goes out if no ACK comes first (<see cref="LossProbe"/>).</summary>
    public DateTimeOffset? ProbeTimeoutDeadline { get; set; }

    /// <summary>A loss probe (or a timeout) went out and no ACK of new data came since: no second probe.</summary>
    public bool LossProbeSent { get; set; }

    public DateTimeOffset? DelayedAckDeadline { get; set; }

    /// <summary>Full-sized segments received since the last ACK (RFC 5681 4.2: ACK at least every second one).</summary>
    public int UnackedSegments { get; set; }

    public DateTimeOffset? PersistDeadline { get; set; }

    /// <summary>A zero-window probe byte (at SND.NXT) is out: an ACK of SND.NXT + 1 is then acceptable.</summary>
    public bool ProbeOutstanding { get; set; }

    /// <summary>
    /// A queued payload could not be read because the TS it came from exited and its pages were lifted:
    /// those bytes can never be sent, so the connection is aborted at the next tick (RST to the peer).
    /// </summary>
    public bool PayloadRevoked { get; set; }

    /// <summary>The closed socket waiting for <see cref="InetProtocol.StreamReleased"/> (the chunks it shared are still held).</summary>
    public IActorRef? ReleaseWaiter { get; set; }
    /// <summary>Set while the persist timer's override (RFC 9293 3.8.6.2.1) lets a window-cut runt go with nothing in flight.</summary>
    public bool SwsOverride { get; set; }

    /// <summary>Zero-window probes sent without the window opening (their back-off exponent).</summary>
    public int PersistShift { get; set; }

    public DateTimeOffset? TimeWaitDeadline { get; set; }

    /// <summary>
    /// The port binding the socket handed over at close (<see cref="InetProtocol.StreamClose"/>): given back
    /// to the family when this TCB is deleted, so the port stays taken through FIN_WAIT and TIME_WAIT.
    /// </summary>
    public Ipv4Endpoint? PortBinding { get; set; }

    /// <summary>Start of the current RFC 5961 7 challenge-ACK budget period.</summary>
    public DateTimeOffset ChallengeAckPeriodStart { get; set; }

    /// <summary>Challenge ACKs sent in the current period.</summary>
    public int ChallengeAcksInPeriod { get; set; }

    public long Retransmits { get; set; }

    public long BytesAcked { get; set; }

    public int FlightSize => SeqNum.Diff(SndUna, SndNxt);

    /// <summary>True in the states where the peer may still send us data.</summary>
    public bool CanReceive => State is TcpState.Established or TcpState.FinWait1 or TcpState.FinWait2 or TcpState.SynReceived;

    /// <summary>True in the states where we may still send data.</summary>
    public bool CanSend => State is TcpState.Established or TcpState.CloseWait;

    public bool IsSynchronized => State is not (TcpState.Closed or TcpState.SynSent or TcpState.SynReceived);
}
