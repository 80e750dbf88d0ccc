using System.Diagnostics;
using System.Runtime.CompilerServices;
using Edsos.Memory;
using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Tcp.Core;

/// <summary>
/// One TCP connection (RFC 9293, RFC 5961, RFC 7323 window scaling, RFC 5681 / RFC 6582 NewReno, RFC 6298 RTO,
/// RFC 8985 tail loss probe, RFC 5482 user timeout) as a plain state machine, the way smoltcp's <c>socket/tcp.rs</c>
/// is one: <see cref="Process"/> takes an arriving segment, the user operations (<see cref="Open"/>,
/// <see cref="Send"/>, <see cref="Consume"/>, <see cref="Shutdown"/>, <see cref="Close"/>, <see cref="Abort"/>)
/// take the application's requests, and <see cref="Poll"/> runs the timers once <see cref="PollAt"/> is reached.
/// Segments leave through <see cref="ITcpConnectionHost.Transmit"/> as a header plus a range of a held
/// <see cref="SendChunk"/>; in-order data and lifecycle events go to the same host. Time always comes in as a
/// parameter: the connection reads no clock, owns no timer and no thread.
/// </summary>
/// <remarks>
/// Ownership: every payload node handed in (<see cref="Process"/>, <see cref="Accept"/>, <see cref="Send"/>) is the
/// connection's from then on, and it is released exactly once: when its bytes are acknowledged (send chunks), when
/// it is handed to <see cref="ITcpConnectionHost.Deliver"/> (ownership moves), when a rule drops it, or when the
/// connection is deleted. After <see cref="ITcpConnectionHost.Closed"/> the connection holds nothing.
/// </remarks>
public sealed partial class TcpConnection
{
    private readonly TcpOptions _options;
    private readonly MemoryManager _memory;
    private readonly TsId _ts;
    private readonly ITcpConnectionHost _host;
    private readonly TcpStatistics _stats;
    private readonly int _mtu;
    private readonly bool _offload;
    private readonly List<SendChunk> _chunks = new();
    private readonly ReassemblyQueue<Capability> _outOfOrder = new();
    private readonly RttSampler _sampler = new();
    private readonly ProgressWatch _progress = new();
    private readonly List<Capability> _scratch = new();
    private DateTimeOffset _now;
    private bool _opened;
    private bool _destroyed;

    // Set when a segment could not be sent because its payload was revoked: the connection aborts at the next Poll.
    private DateTimeOffset? _revokedAt;

    /// <summary>
    /// A connection between <paramref name="local"/> and <paramref name="remote"/> in state CLOSED, with initial send
    /// sequence <paramref name="iss"/>. <paramref name="receiveWindow"/> is the most its receive window may promise
    /// (<see cref="TcpOptions.ReceiveBuffer"/> bounded by <see cref="ReceiveMemory.WindowClamp"/>); the Window Scale
    /// shift is the smallest that covers it. Payload nodes live in <paramref name="ts"/> of <paramref name="memory"/>.
    /// <paramref name="segmentationOffload"/> lets new data leave as TSO super-segments when an MSS-sized segment
    /// fits <paramref name="mtu"/> whole.
    /// </summary>
    public TcpConnection(
        ulong id,
        Ipv4Endpoint local,
        Ipv4Endpoint remote,
        uint iss,
        int receiveWindow,
        TcpOptions options,
        MemoryManager memory,
        TsId ts,
        ITcpConnectionHost host,
        TcpStatistics statistics,
        bool segmentationOffload = false,
        int mtu = 1500)
    {
        Id = id;
        Local = local;
        Remote = remote;
        _options = options;
        _memory = memory;
        _ts = ts;
        _host = host;
        _stats = statistics;
        _offload = segmentationOffload;
        _mtu = mtu;
        Rto = new RtoEstimator(options.InitialRto, options.MinRto, options.MaxRto, options.TimerTick);
        Congestion = new NewRenoCongestion(options.Mss);
        Mss = options.Mss;
        ReceiveBuffer = receiveWindow;
        WantedRcvWndShift = TcpOptions.WindowShiftFor(receiveWindow);
        Iss = iss;
        SndUna = iss;
        SndNxt = iss;
        SndMax = iss;
        SndSml = iss;
        SendEnd = iss + 1;
    }

    /// <summary>The connection id its driver minted.</summary>
    public ulong Id { get; }

    /// <summary>Our end.</summary>
    public Ipv4Endpoint Local { get; }

    /// <summary>The peer's end.</summary>
    public Ipv4Endpoint Remote { get; }

    /// <summary>RFC 9293 3.3.2 state.</summary>
    public TcpState State { get; private set; }

    /// <summary>True for a passive open (<see cref="Accept"/>): a reset before ESTABLISHED goes back to LISTEN silently.</summary>
    public bool IsPassive { get; private set; }

    /// <summary>The socket closed (<see cref="Close"/>): no reader will take data again.</summary>
    public bool SocketClosed { get; private set; }

    /// <summary>ISS.</summary>
    public uint Iss { get; }

    /// <summary>SND.UNA.</summary>
    public uint SndUna { get; private set; }

    /// <summary>SND.NXT.</summary>
    public uint SndNxt { get; private set; }

    /// <summary>SND.MAX: the highest sequence number sent so far; anything below it sent again is a retransmission.</summary>
    public uint SndMax { get; private set; }

    /// <summary>
    /// SND.SML (Minshall's Nagle variant, as Linux's tcp_minshall_check): the end of the last segment sent shorter than
    /// the MSS. Nagle holds a small segment only while this one is unacknowledged.
    /// </summary>
    public uint SndSml { get; private set; }

    /// <summary>The peer's window in bytes (SEG.WND scaled by <see cref="SndWndShift"/> on every non-SYN segment).</summary>
    public uint SndWnd { get; private set; }

    /// <summary>MAX.SND.WND (RFC 5961 5.2): the largest window the peer ever offered.</summary>
    public uint MaxSndWnd { get; private set; }

    /// <summary>SND.WL1.</summary>
    public uint SndWl1 { get; private set; }

    /// <summary>SND.WL2.</summary>
    public uint SndWl2 { get; private set; }

    /// <summary>Effective send MSS: ours bounded by the peer's option.</summary>
    public int Mss { get; private set; }

    /// <summary>Our SYN or SYN-ACK carries the Window Scale option (decided once, kept for retransmissions).</summary>
    public bool OfferWindowScale { get; private set; }

    /// <summary>The shift our buffer wants (RFC 7323 2.2): what our Window Scale option announces.</summary>
    public int WantedRcvWndShift { get; }

    /// <summary>Shift applied to the peer's SEG.WND (0 unless both SYNs carried the option).</summary>
    public int SndWndShift { get; private set; }

    /// <summary>Shift applied to the windows we advertise (0 unless both SYNs carried the option).</summary>
    public int RcvWndShift { get; private set; }

    /// <summary>Payload held for (re)transmission in sequence order; the first holds SND.UNA once data is outstanding.</summary>
    public IReadOnlyList<SendChunk> Chunks => _chunks;

    /// <summary>Sequence number after the last queued byte.</summary>
    public uint SendEnd { get; private set; }

    /// <summary>Close or shutdown asked for a FIN after the queued data.</summary>
    public bool FinQueued { get; private set; }

    /// <summary>Our FIN went out at least once.</summary>
    public bool FinSent { get; private set; }

    /// <summary>Sequence number of our FIN (valid once <see cref="FinSent"/>).</summary>
    public uint FinSequence { get; private set; }

    /// <summary>TCP_NODELAY: Nagle's rule off.</summary>
    public bool NoDelay { get; private set; }

    /// <summary>IRS.</summary>
    public uint Irs { get; private set; }

    /// <summary>RCV.NXT.</summary>
    public uint RcvNxt { get; private set; }

    /// <summary>The most the receive window may promise.</summary>
    public int ReceiveBuffer { get; }

    /// <summary>Bytes delivered (or held for the reader) and not yet consumed.</summary>
    public int RcvUnread { get; private set; }

    /// <summary>The right edge last advertised (RCV.NXT + RCV.WND then), which never moves left (RFC 9293 3.8.6.2.2).</summary>
    public uint RcvAdvertisedEdge { get; private set; }

    /// <summary>The peer's FIN was received in order.</summary>
    public bool FinReceived { get; private set; }

    /// <summary>Out-of-order segments held.</summary>
    public int OutOfOrderSegments => _outOfOrder.Count;

    /// <summary>The RTO estimator (RFC 6298).</summary>
    public RtoEstimator Rto { get; }

    /// <summary>NewReno congestion control (RFC 5681 / RFC 6582).</summary>
    public NewRenoCongestion Congestion { get; }

    /// <summary>Retransmissions of the current SND.UNA (or SYN) without progress.</summary>
    public int Backoffs { get; private set; }

    /// <summary>When the retransmission timer fires (null: not running).</summary>
    public DateTimeOffset? RtoDeadline { get; private set; }

    /// <summary>When a tail loss probe goes out if no ACK comes first.</summary>
    public DateTimeOffset? ProbeTimeoutDeadline { get; private set; }

    /// <summary>When a delayed ACK goes out.</summary>
    public DateTimeOffset? DelayedAckDeadline { get; private set; }

    /// <summary>When the next zero-window probe (or SWS override) goes out.</summary>
    public DateTimeOffset? PersistDeadline { get; private set; }

    /// <summary>When TIME_WAIT ends and the connection is deleted.</summary>
    public DateTimeOffset? TimeWaitDeadline { get; private set; }

    /// <summary>Segments (and FIN/SYN) this connection sent again.</summary>
    public long Retransmits { get; private set; }

    /// <summary>Payload bytes the peer acknowledged.</summary>
    public long BytesAcked { get; private set; }

    /// <summary>Bytes in flight: SND.NXT − SND.UNA.</summary>
    public int FlightSize => SeqNum.Diff(SndUna, SndNxt);

    /// <summary>True in the states where the peer may still send us data.</summary>
    public bool CanReceive => State is TcpState.Established or TcpState.FinWait1 or TcpState.FinWait2 or TcpState.SynReceived;

    /// <summary>True in the states where we may still send data.</summary>
    public bool CanSend => State is TcpState.Established or TcpState.CloseWait;

    /// <summary>True when <see cref="Send"/> takes more data: a sending state and no FIN queued.</summary>
    public bool AcceptsData => CanSend && !FinQueued;

    /// <summary>True once both SYNs are acknowledged.</summary>
    public bool IsSynchronized => State is not (TcpState.Closed or TcpState.SynSent or TcpState.SynReceived);

    /// <summary>
    /// The earliest time <see cref="Poll"/> has something to do (a timer: RTO, loss probe, delayed ACK, persist,
    /// TIME_WAIT, user timeout; or an abort that is due); null when nothing waits on the clock.
    /// </summary>
    public DateTimeOffset? PollAt
    {
        get
        {
            if (State == TcpState.Closed)
            {
                return null;
            }

            if (_revokedAt is { } revoked)
            {
                return revoked;
            }

            DateTimeOffset? at = TimeWaitDeadline;
            at = Earliest(at, DelayedAckDeadline);
            at = Earliest(at, ProbeTimeoutDeadline);
            at = Earliest(at, RtoDeadline);
            at = Earliest(at, PersistDeadline);
            if (_options.UserTimeout > TimeSpan.Zero && _progress.WaitingSince is { } since)
            {
                at = Earliest(at, since + _options.UserTimeout);
            }

            return at;
        }
    }

    /// <summary>When SND.UNA's segment was last resent by fast retransmit or in recovery.</summary>
    private DateTimeOffset ResentAt { get; set; }

    /// <summary>A loss probe (or a timeout) went out and no ACK of new data came since: no second probe.</summary>
    private bool LossProbeSent { get; set; }

    /// <summary>Full-sized segments received since the last ACK (RFC 5681 4.2: ACK at least every second one).</summary>
    private int UnackedSegments { get; set; }

    /// <summary>A zero-window probe byte (at SND.NXT) is out: an ACK of SND.NXT + 1 is then acceptable.</summary>
    private bool ProbeOutstanding { get; set; }

    /// <summary>Set while the persist timer's override (RFC 9293 3.8.6.2.1) lets a window-cut runt go with nothing in flight.</summary>
    private bool SwsOverride { get; set; }

    /// <summary>Zero-window probes sent without the window opening (their back-off exponent).</summary>
    private int PersistShift { get; set; }

    /// <summary>Start of the current RFC 5961 7 challenge-ACK budget period.</summary>
    private DateTimeOffset ChallengeAckPeriodStart { get; set; }

    /// <summary>Challenge ACKs sent in the current period.</summary>
    private int ChallengeAcksInPeriod { get; set; }

    // ---- user operations ------------------------------------------------------------------------

    /// <summary>Active open (RFC 9293 3.10.1 OPEN): SYN-SENT, our SYN sent. Only from CLOSED, once.</summary>
    /// <exception cref="InvalidOperationException">The connection was opened already.</exception>
    public void Open(DateTimeOffset now)
    {
        RequireFresh();
        _now = now;
        OfferWindowScale = WantedRcvWndShift > 0;
        State = TcpState.SynSent;
        StartSynTiming();
        SendSyn(ack: false);
        AfterEvent();
    }

    /// <summary>
    /// Passive open from a listener's SYN (RFC 9293 3.10.7.2; the caller checked it is a SYN without ACK or RST and that
    /// the backlog has room): SYN-RECEIVED, our SYN-ACK sent. Text on the SYN (<paramref name="payload"/>, owned by the
    /// connection from now on) is held until ESTABLISHED.
    /// </summary>
    /// <exception cref="InvalidOperationException">The connection was opened already.</exception>
    public void Accept(in TcpRepr syn, Capability payload, int length, DateTimeOffset now)
    {
        RequireFresh();
        _now = now;
        IsPassive = true;
        Irs = syn.Sequence;
        RcvNxt = syn.Sequence + 1;
        RcvAdvertisedEdge = RcvNxt;
        TakePeerMss(syn);

        // RFC 7323 2.2: a SYN-ACK carries Window Scale only in answer to a SYN that did; then both sides scale.
        OfferWindowScale = syn.WindowScale is not null;
        TakePeerWindowScale(syn);
        SetSendWindow(syn.Window);
        SndWl1 = syn.Sequence;
        SndWl2 = Iss;
        State = TcpState.SynReceived;
        HoldSynData(payload, length);
        StartSynTiming();
        SendSyn(ack: true);
        AfterEvent();
    }

    /// <summary>
    /// Queues <paramref name="length"/> bytes at <paramref name="gva"/> of <paramref name="node"/> (owned by the
    /// connection from now on, released once acknowledged or when the connection is deleted) after the data already
    /// queued, and sends what the windows allow. The caller checked <see cref="AcceptsData"/>. Returns the chunk.
    /// </summary>
    /// <exception cref="InvalidOperationException">The connection does not accept data (<see cref="AcceptsData"/> is false).</exception>
    public SendChunk Send(ulong token, Capability node, Gva gva, int length, ActivityContext cause, DateTimeOffset now)
    {
        if (!AcceptsData || length <= 0)
        {
            throw new InvalidOperationException($"TCP connection {Id} takes no data in {State} (FIN queued: {FinQueued}, length {length})");
        }

        _now = now;
        var chunk = new SendChunk(token, node, gva, length, SendEnd, cause);
        if (_chunks.Count > 0)
        {
            // A segment's payload may run on into this chunk: the host walks the link to find its bytes.
            _chunks[^1].Next = chunk;
        }

        _chunks.Add(chunk);
        SendEnd += (uint)length;
        Output();
        AfterEvent();
        return chunk;
    }

    /// <summary>
    /// The reader consumed <paramref name="bytes"/>: the window opens, and a window update goes out once that matters
    /// (receiver SWS avoidance, RFC 1122 4.2.3.3).
    /// </summary>
    public void Consume(int bytes, DateTimeOffset now)
    {
        _now = now;
        RcvUnread = Math.Max(0, RcvUnread - bytes);
        int after = AdvertisableWindow();

        // The window the peer believes it has: up to the right edge we last advertised.
        int advertised = Math.Max(0, SeqNum.Diff(RcvNxt, RcvAdvertisedEdge));

        // A window update once reading has opened the window enough to matter: receiver SWS avoidance
        // (RFC 1122 4.2.3.3: by at least min(buffer / 2, MSS)), and, like Linux's tcp_cleanup_rbuf, only
        // while the peer's view is at most half the buffer and the new window at least doubles it, so a
        // reader draining a busy connection does not answer every read with an ACK. Without it a sender
        // that stopped at a window smaller than one segment (no runts) would wait for unrelated traffic.
        bool worthIt = after - advertised >= Math.Min(ReceiveBuffer / 2, Mss);
        if (CanReceive && IsSynchronized && worthIt && 2 * advertised <= ReceiveBuffer && after >= 2 * advertised)
        {
            SendAck();
        }

        AfterEvent();
    }

    /// <summary>Bytes delivered that will never be read (the reader is gone): they stop counting as unread.</summary>
    public void ForgetUnread(int bytes) => RcvUnread = Math.Max(0, RcvUnread - bytes);

    /// <summary>shutdown(SHUT_WR): a FIN after the queued data (SYN-RECEIVED, ESTABLISHED, CLOSE-WAIT; else nothing).</summary>
    public void Shutdown(DateTimeOffset now)
    {
        _now = now;
        QueueFin();
        AfterEvent();
    }

    /// <summary>TCP_NODELAY on or off; what Nagle held may go now.</summary>
    public void SetNoDelay(bool noDelay, DateTimeOffset now)
    {
        _now = now;
        NoDelay = noDelay;
        Output();
        AfterEvent();
    }

    /// <summary>
    /// The socket closed (RFC 9293 3.10.4 CLOSE). In SYN-SENT the connection is deleted. With <paramref name="abort"/>
    /// (SO_LINGER 0, or unread data the caller knows of) or unread data here, a RST tells the peer its data was lost
    /// (RFC 2525 2.17) and the connection is deleted; otherwise a FIN follows the queued data.
    /// </summary>
    public void Close(bool abort, DateTimeOffset now)
    {
        _now = now;
        SocketClosed = true;
        if (State == TcpState.Closed)
        {
            return;
        }

        if (State == TcpState.SynSent)
        {
            Destroy(Errno.None);
            return;
        }

        if (abort || RcvUnread > 0)
        {
            if (State != TcpState.TimeWait)
            {
                SendReset();
            }

            Destroy(Errno.None);
            return;
        }

        QueueFin();
        AfterEvent();
    }

    /// <summary>RFC 9293 3.10.5 ABORT: a RST to the peer (from a synchronized or SYN-RECEIVED state) and the connection deleted, reported with <see cref="Errno.None"/>.</summary>
    public void Abort(DateTimeOffset now) => Abort(now, Errno.None);

    /// <summary>
    /// As <see cref="Abort(DateTimeOffset)"/>, the host told <paramref name="error"/> (a reset the stack decided, such as
    /// bytes acknowledged and then lost before the reader had them: the reader learns why the stream ended).
    /// </summary>
    public void Abort(DateTimeOffset now, Errno error)
    {
        _now = now;
        if (State == TcpState.Closed)
        {
            return;
        }

        SendReset();
        Destroy(error);
    }

    /// <summary>Deletes the connection without a word to the peer (the stack is stopping): every node released, the host told with <paramref name="error"/>.</summary>
    public void Delete(Errno error)
    {
        if (State != TcpState.Closed)
        {
            Destroy(error);
        }
    }

    /// <summary>
    /// A SYN for this connection in TIME_WAIT that may open a new incarnation (RFC 6191 2 falling back to RFC 1122
    /// 4.2.2.13 without timestamps): no ACK and SEG.SEQ &gt; RCV.NXT, so no old duplicate can be taken for new data.
    /// <paramref name="iss"/> is then the new incarnation's ISS: SND.MAX + MAX.SND.WND of this one, past any window
    /// the peer offered it. The caller also needs a listener on the port; if it reopens, it deletes this connection
    /// (<see cref="Delete"/>) and accepts the SYN on a new one. Nothing changes here.
    /// </summary>
    public bool CanReopen(in TcpRepr syn, out uint iss)
    {
        iss = SndMax + Math.Max(MaxSndWnd, 1u);
        return State == TcpState.TimeWait
            && (syn.Flags & (TcpFlags.Syn | TcpFlags.Ack | TcpFlags.Rst)) == TcpFlags.Syn
            && SeqNum.Gt(syn.Sequence, RcvNxt);
    }

    /// <summary>A snapshot for diagnostics; <paramref name="holdsPort"/> is the driver's (it keeps port bindings).</summary>
    public TcpConnectionInfo ToInfo(bool holdsPort) => new(
        Id, Local, Remote, State, SndUna, SndNxt, SndMax, SendEnd, SndWnd,
        Congestion.Cwnd, Congestion.Ssthresh, Congestion.InRecovery, RcvNxt, RcvUnread,
        _outOfOrder.Count, _chunks.Count, Rto.Rto, Backoffs, RtoDeadline is not null,
        PersistDeadline is not null, Retransmits, BytesAcked, SndWndShift, RcvWndShift,
        holdsPort,
        ReceiveBuffer);

    /// <summary>
    /// The answer to a segment that belongs to no connection (RFC 9293 3.10.7.1), or to a forbidden one in LISTEN /
    /// SYN-SENT / SYN-RECEIVED: with an ACK field &lt;SEQ=SEG.ACK&gt;&lt;CTL=RST&gt;; otherwise
    /// &lt;SEQ=0&gt;&lt;ACK=SEG.SEQ+SEG.LEN&gt;&lt;CTL=RST,ACK&gt;. Ports swapped. Null for a RST (never answered).
    /// </summary>
    public static TcpRepr? ResetFor(in TcpRepr segment, int payloadLength)
    {
        if ((segment.Flags & TcpFlags.Rst) != 0)
        {
            return null;
        }

        return (segment.Flags & TcpFlags.Ack) != 0
            ? new TcpRepr(segment.DestinationPort, segment.SourcePort, segment.Acknowledgement, 0, TcpFlags.Rst, 0)
            : new TcpRepr(segment.DestinationPort, segment.SourcePort, 0, segment.Sequence + (uint)segment.SegmentLength(payloadLength), TcpFlags.Rst | TcpFlags.Ack, 0);
    }

    private static DateTimeOffset? Earliest(DateTimeOffset? a, DateTimeOffset? b) =>
        a is null ? b : b is null ? a : (a.Value <= b.Value ? a : b);

    private void RequireFresh()
    {
        if (State != TcpState.Closed || SocketClosed || _opened)
        {
            throw new InvalidOperationException($"TCP connection {Id} was opened already");
        }

        _opened = true;
    }

    private void QueueFin()
    {
        if (FinQueued)
        {
            return;
        }

        switch (State)
        {
            case TcpState.SynReceived:
            case TcpState.Established:
            case TcpState.CloseWait:
                FinQueued = true;
                Output();
                break;
        }
    }

    /// <summary>
    /// After every event: the RFC 5482 user-timeout clock runs while data waits on the peer (in flight, or held by its
    /// zero window).
    /// </summary>
    private void AfterEvent()
    {
        bool waiting = IsSynchronized && State != TcpState.TimeWait
            && (SndUna != SndMax || (SndWnd == 0 && SeqNum.Lt(SndNxt, SendEnd)));
        _progress.Update(waiting, _now);
    }

    /// <summary>
    /// Deletes the connection (RFC 9293 "delete the TCB"): releases every node it holds, then tells the host with
    /// <paramref name="error"/> (<see cref="ITcpConnectionHost.Closed"/>).
    /// </summary>
    private void Destroy(Errno error)
    {
        if (_destroyed)
        {
            return;
        }

        _destroyed = true;
        State = TcpState.Closed;
        foreach (var chunk in _chunks)
        {
            Release(chunk.Node);
            chunk.Node = default;
        }

        _scratch.Clear();
        _outOfOrder.Clear(_scratch);
        foreach (var node in _scratch)
        {
            Release(node);
        }

        _scratch.Clear();
        RtoDeadline = null;
        ProbeTimeoutDeadline = null;
        DelayedAckDeadline = null;
        PersistDeadline = null;
        TimeWaitDeadline = null;
        _revokedAt = null;
        _host.Closed(this, error);
        _chunks.Clear();
    }

    /// <summary>Releases a node this connection owns, naming the caller's place for the leak report.</summary>
    private void Release(Capability node, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        _memory.Release(_ts, node, file, line);
}
