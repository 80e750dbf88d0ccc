namespace Edsos.Protocol.Tcp;

/// <summary>
/// Congestion control of RFC 5681 with the NewReno fast-recovery modification of RFC 6582: slow start
/// (cwnd += min(acked, SMSS) per ACK below ssthresh), congestion avoidance (about one SMSS per RTT, counted
/// in bytes acked), fast retransmit on the third duplicate ACK (ssthresh = max(FlightSize/2, 2·SMSS),
/// cwnd = ssthresh + 3·SMSS), inflation per further duplicate, partial ACKs that retransmit the next hole
/// and deflate, a full ACK at or past <see cref="Recover"/> that ends recovery (cwnd = ssthresh), and an
/// RTO that restarts slow start from one segment (RFC 5681 (4)). Pure: the caller retransmits.
/// </summary>
public sealed class NewRenoCongestion
{
    private int _bytesAckedInAvoidance;
    private bool _recoverSet;
    private int _lastAdvance;
    private int _duplicatesSinceResend;

    /// <summary>Creates the controller for a sender segment size <paramref name="smss"/>; initial window per RFC 5681 (3).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="smss"/> is not positive.</exception>
    public NewRenoCongestion(int smss)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(smss);
        Smss = smss;
        Cwnd = InitialWindow(smss);
        Ssthresh = int.MaxValue;
    }

    /// <summary>Sender maximum segment size.</summary>
    public int Smss { get; private set; }

    /// <summary>Congestion window in bytes.</summary>
    public int Cwnd { get; private set; }

    /// <summary>Slow-start threshold in bytes.</summary>
    public int Ssthresh { get; private set; }

    /// <summary>True between a fast retransmit and the ACK that covers <see cref="Recover"/>.</summary>
    public bool InRecovery { get; private set; }

    /// <summary>RFC 6582 "recover": the highest sequence number sent when recovery began.</summary>
    public uint Recover { get; private set; }

    /// <summary>Duplicate ACKs seen in a row.</summary>
    public int DuplicateAcks { get; private set; }

    /// <summary>
    /// RFC 5827 Early Retransmit: the duplicate ACKs that mean a loss when <paramref name="flightSize"/> bytes are
    /// outstanding in segments of <paramref name="smss"/> and no new data can go out (<paramref name="canSendNew"/>
    /// false): one less than the segments outstanding when those are 2 or 3, since no third duplicate can come;
    /// otherwise 3 (RFC 5681 3.2).
    /// </summary>
    public static int DuplicateThreshold(int flightSize, int smss, bool canSendNew)
    {
        int segments = (flightSize + smss - 1) / smss;
        return !canSendNew && segments is 2 or 3 ? segments - 1 : 3;
    }

    /// <summary>Fast retransmits triggered (for counters).</summary>
    public long FastRetransmits { get; private set; }

    /// <summary>RFC 5681 (3): IW = 2..4 segments by SMSS.</summary>
    public static int InitialWindow(int smss) => smss > 2190 ? 2 * smss : smss > 1095 ? 3 * smss : 4 * smss;

    /// <summary>The peer's MSS lowered (or raised) the segment size after the handshake: restart the initial window.</summary>
    public void SetSmss(int smss)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(smss);
        Smss = smss;
        Cwnd = InitialWindow(smss);
    }

    /// <summary>
    /// An ACK that advanced SND.UNA by <paramref name="acked"/> bytes to <paramref name="ack"/>.
    /// Returns true when it is a partial ACK during recovery: the caller retransmits the first unacknowledged segment (RFC 6582 3.2 (5)).
    /// </summary>
    public bool OnNewAck(uint ack, int acked)
    {
        DuplicateAcks = 0;
        _lastAdvance = acked;
        if (InRecovery)
        {
            if (SeqNum.Ge(ack, Recover))
            {
                // Full acknowledgment (RFC 6582 3.2 (5) first option): deflate to ssthresh.
                InRecovery = false;
                Cwnd = Ssthresh;
                _bytesAckedInAvoidance = 0;
                return false;
            }

            // Partial acknowledgment: deflate by the amount acked, add back one SMSS if that much was acked.
            Cwnd = Math.Max(Smss, Cwnd - acked + (acked >= Smss ? Smss : 0));
            return true;
        }

        if (Cwnd < Ssthresh)
        {
            Cwnd = SaturatingAdd(Cwnd, Math.Min(acked, Smss));
        }
        else
        {
            _bytesAckedInAvoidance += acked;
            if (_bytesAckedInAvoidance >= Cwnd)
            {
                _bytesAckedInAvoidance -= Cwnd;
                Cwnd = SaturatingAdd(Cwnd, Smss);
            }
        }

        return false;
    }

    /// <summary>
    /// A duplicate ACK (RFC 5681 section 2 definition, checked by the caller) with <paramref name="flightSize"/>
    /// bytes outstanding and <paramref name="highestSent"/> = SND.NXT. Returns true on the third one outside
    /// recovery (or when the RFC 6582 3.2 (2) "recover" check passes): the caller fast-retransmits SND.UNA.
    /// </summary>
    public bool OnDuplicateAck(int flightSize, uint highestSent, uint sndUna, int threshold = 3)
    {
        DuplicateAcks++;
        if (InRecovery)
        {
            _duplicatesSinceResend++;
            Cwnd = SaturatingAdd(Cwnd, Smss);
            return false;
        }

        if (DuplicateAcks != threshold)
        {
            return false;
        }

        // RFC 6582 3.2 (1)/(2): only enter recovery when the ACK covers more than "recover" (avoids a second
        // reduction for losses of the same window after a timeout), unless the ACK heuristic of RFC 6582 4.2 says
        // the duplicates mean a loss: cwnd above one SMSS and the last cumulative ACK advanced at most 4·SMSS.
        // Duplicates caused by resending what the receiver already held follow a large advance (the receiver
        // acknowledges all it holds at once); after a small one they mean a retransmission was lost again,
        // and waiting for the (backed-off) timer instead would cost far more than a fast retransmit.
        if (_recoverSet && SeqNum.Le(sndUna, Recover) && !(Cwnd > Smss && _lastAdvance > 0 && _lastAdvance <= 4 * Smss))
        {
            return false;
        }

        Ssthresh = Math.Max(flightSize / 2, 2 * Smss);
        Recover = highestSent;
        _recoverSet = true;
        Cwnd = SaturatingAdd(Ssthresh, 3 * Smss);
        InRecovery = true;
        FastRetransmits++;
        return true;
    }

    /// <summary>
    /// The loss probe timer fired (<see cref="LossProbe"/>) after duplicate ACKs that were too few for fast retransmit:
    /// a segment sent after SND.UNA's arrived and nothing more came for two round trips, so SND.UNA's segment is lost
    /// (RFC 8985 6.2: delivered later data plus elapsed time, not three duplicates, decide). Enters recovery as the
    /// third duplicate ACK would; the "recover" rule of RFC 6582 still prevents a second reduction for one window.
    /// Returns true when the caller should fast-retransmit SND.UNA (always, once duplicates were seen).
    /// </summary>
    public bool OnProbeTimeout(int flightSize, uint highestSent, uint sndUna)
    {
        if (InRecovery || DuplicateAcks == 0)
        {
            return false;
        }

        if (!(_recoverSet && SeqNum.Le(sndUna, Recover)))
        {
            Ssthresh = Math.Max(flightSize / 2, 2 * Smss);
            Cwnd = SaturatingAdd(Ssthresh, DuplicateAcks * Smss);
            Recover = highestSent;
            _recoverSet = true;
            InRecovery = true;
            FastRetransmits++;
        }

        return true;
    }

    /// <summary>The caller resent SND.UNA's segment in recovery (fast retransmit, partial ACK, or a resend for a lost one).</summary>
    public void OnResent() => _duplicatesSinceResend = 0;

    /// <summary>
    /// In recovery, true when the segment last resent at SND.UNA seems lost again: three more duplicate ACKs came,
    /// and at least <paramref name="srtt"/> passed since it was resent (<paramref name="sinceResend"/>), so they answer
    /// segments sent after it. The caller resends it at once (and calls <see cref="OnResent"/>) instead of waiting
    /// for the retransmission timer, which would also end recovery and collapse cwnd to one segment. Without SACK
    /// this is the RACK idea (RFC 8985) reduced to duplicate ACKs and time.
    /// </summary>
    public bool ResentSegmentLost(TimeSpan sinceResend, TimeSpan srtt) =>
        InRecovery && _duplicatesSinceResend >= 3 && sinceResend >= srtt;

    /// <summary>
    /// The retransmission timer expired with <paramref name="flightSize"/> outstanding (RFC 5681 (4)); <paramref name="highestSent"/>
    /// becomes "recover" (RFC 6582 3.2 (4)). Only a segment's <paramref name="firstTimeout"/> sets ssthresh: RFC 5681 3.1 holds
    /// it constant when the same segment times out again.
    /// </summary>
    public void OnRetransmissionTimeout(int flightSize, uint highestSent, bool firstTimeout = true)
    {
        if (firstTimeout)
        {
            Ssthresh = Math.Max(flightSize / 2, 2 * Smss);
        }

        Cwnd = Smss;
        InRecovery = false;
        DuplicateAcks = 0;
        _bytesAckedInAvoidance = 0;
        Recover = highestSent;
        _recoverSet = true;
        _lastAdvance = 0;
    }

    private static int SaturatingAdd(int a, int b) => (int)Math.Min((long)a + b, int.MaxValue);
}
