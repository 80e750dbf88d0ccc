namespace Edsos.Protocol.Tcp;

/// <summary>
/// The probe timeout of Tail Loss Probe (RFC 8985 7.2). With a congestion window of a few segments, as heavy loss
/// leaves it, a lost segment or a lost ACK seldom brings the three duplicate ACKs fast retransmit needs, and every
/// such loss would cost a retransmission timeout (200 ms at least, doubled when the resend is lost too). When no
/// ACK came for about two round trips the sender instead sends one probe, new data if the peer's window allows,
/// else the last segment again, and the ACK it draws lets loss recovery go on. Pure: times in, a timeout out.
/// </summary>
public static class LossProbe
{
    /// <summary>The shortest probe timeout (Linux's 10 ms floor against a tiny SRTT on a fast path).</summary>
    public static readonly TimeSpan MinTimeout = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// PTO = 2·SRTT (RFC 8985 7.2). Unless a loss is already known (<paramref name="lossSuspected"/>: recovery
    /// or a timeout's resends are under way), SRTT + 4·RTTVAR where the round trip varies more
    /// than that, and at least half the RTO (a scheduler's jitter on a loaded machine: a probe then would only resend
    /// what is on its way, and a lossless wire would see retransmissions); at least
    /// <see cref="MinTimeout"/>, plus the peer's delayed-ACK time when only one segment is in flight (its ACK may be
    /// delayed); null when no probe should be scheduled: no RTT sample yet, or the probe would not come before the
    /// retransmission timer <paramref name="rto"/>.
    /// </summary>
    public static TimeSpan? Timeout(TimeSpan srtt, TimeSpan rttVar, int flightSize, int mss, TimeSpan peerDelayedAck, TimeSpan rto, bool lossSuspected = false)
    {
        if (srtt <= TimeSpan.Zero || flightSize <= 0)
        {
            return null;
        }

        var pto = srtt * 2;
        var varied = srtt + (rttVar * 4);
        if (!lossSuspected)
        {
            // Nothing known lost: at least half the RTO too. A loaded machine's scheduler can hold an ACK for tens of
            // milliseconds, which no estimate foresees, and a probe then resends what was not lost.
            var half = rto / 2;
            pto = varied > pto ? varied : pto;
            pto = half > pto ? half : pto;
        }

        if (pto < MinTimeout)
        {
            pto = MinTimeout;
        }

        if (flightSize <= mss)
        {
            pto += peerDelayedAck;
        }

        return pto < rto ? pto : null;
    }
}
