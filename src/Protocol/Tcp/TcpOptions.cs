namespace Edsos.Protocol.Tcp;

/// <summary>Tunables of the TCP of one stack. Defaults follow the RFCs where one gives a number, Linux otherwise.</summary>
public sealed record TcpOptions
{
    /// <summary>The largest <see cref="ReceiveBuffer"/>: a 16-bit window scaled by the RFC 7323 maximum shift of 14.</summary>
    public const int MaxReceiveBuffer = ushort.MaxValue << 14;

    /// <summary>The largest <see cref="Mss"/>: the largest IPv4 datagram (65535 bytes) minus IPv4 and TCP headers.</summary>
    public const int MaxMss = ushort.MaxValue - 40;

    /// <summary>
    /// The MSS announced and used: by default the 1500-byte MTU minus IPv4 and TCP headers (RFC 9293 3.7.1). A host on
    /// a link with a larger MTU (large frames) may announce up to <see cref="MaxMss"/>; the connection uses the smaller of
    /// its own and the peer's.
    /// </summary>
    public int Mss { get; init; } = 1460;

    /// <summary>
    /// Receive buffer per connection, in bytes: the most the advertised window covers. Above 65535 the SYN
    /// offers the Window Scale option (RFC 7323 2) with the smallest shift that makes the buffer fit the 16-bit
    /// field; the scale applies only when both SYNs carried the option, else the window stays at most 65535.
    /// At most 65535 · 2^14 (1 GiB). The default, 65535, needs no scaling (a SYN-ACK still answers a peer's
    /// Window Scale with shift 0, so the peer may scale its own window).
    /// </summary>
    public int ReceiveBuffer { get; init; } = ushort.MaxValue;

    /// <summary>
    /// RX buffers the host's NIC keeps posted (its RX ring size − 1; the host fills this in), 0 when unknown.
    /// The receive window never promises more than half of them in segments (<see cref="ReceiveMemory.WindowClamp"/>),
    /// so a whole window arriving at once cannot overrun the ring on a lossless wire.
    /// </summary>
    public int NicReceiveBuffers { get; init; }

    /// <summary>RFC 6298 2.1: RTO before the first RTT sample.</summary>
    public TimeSpan InitialRto { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Lower bound of RTO: Linux's TCP_RTO_MIN (RFC 6298 2.4 says 1 s; 200 ms keeps lossy demos quick).</summary>
    public TimeSpan MinRto { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Upper bound of RTO (RFC 6298 2.5: at least 60 s).</summary>
    public TimeSpan MaxRto { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Retransmissions of one segment before the connection is given up with ETIMEDOUT (Linux tcp_retries2 is 15).</summary>
    public int MaxRetransmits { get; init; } = 15;

    /// <summary>
    /// RFC 5482 TCP_USER_TIMEOUT: a connection whose sent data stays unacknowledged (or whose data a zero window
    /// holds) this long without any progress is aborted with ETIMEDOUT (a RST to the peer), whatever the RTO
    /// back-off says. Zero: no user timeout, only <see cref="MaxRetransmits"/>. Default 5 minutes.
    /// </summary>
    public TimeSpan UserTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Tail loss probes (RFC 8985 7, <see cref="LossProbe"/>): after about two round trips without an ACK, one probe
    /// instead of waiting for the RTO. On by default, as in Linux; tests that script exactly what a sender may send
    /// while ACKs are held turn it off.
    /// </summary>
    public bool TailLossProbe { get; init; } = true;

    /// <summary>SYN retransmissions before connect fails with ETIMEDOUT (Linux tcp_syn_retries is 6).</summary>
    public int MaxSynRetransmits { get; init; } = 6;

    /// <summary>Delayed-ACK timeout (RFC 1122 4.2.3.2: under 0.5 s; Linux's minimum is 40 ms).</summary>
    public TimeSpan DelayedAck { get; init; } = TimeSpan.FromMilliseconds(40);

    /// <summary>
    /// The maximum segment lifetime. RFC 9293 3.4.2 assumes 2 minutes; short here so tests and demos end. TIME_WAIT
    /// lasts <see cref="TimeWait"/> = 2·MSL, and the connection's local port stays taken for that long.
    /// </summary>
    public TimeSpan Msl { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How long TIME_WAIT keeps the 4-tuple: 2·<see cref="Msl"/> (RFC 9293 3.10.7.4).</summary>
    public TimeSpan TimeWait => Msl * 2;

    /// <summary>
    /// RFC 5961 7 challenge-ACK throttle: at most this many challenge ACKs per connection in each
    /// <see cref="ChallengeAckInterval"/>; more are counted and not sent. Per connection, not host-wide: a
    /// host-wide budget is a side channel that tells a blind attacker when it hit a live connection
    /// (CVE-2016-5696).
    /// </summary>
    public int ChallengeAckLimit { get; init; } = 10;

    /// <summary>The period of <see cref="ChallengeAckLimit"/>.</summary>
    public TimeSpan ChallengeAckInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Clock granularity G of the RTO computation (RFC 6298 2), and the shortest re-poll of a connection whose deadline
    /// did not move past the moment it was polled. Timers themselves fire at their exact deadlines.
    /// </summary>
    public TimeSpan TimerTick { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>Fixed initial send sequence number (tests of wrap-around); null draws one per connection (RFC 9293 3.4.1 / RFC 6528).</summary>
    public uint? InitialSequence { get; init; }

    /// <summary>
    /// The Window Scale shift that lets a 16-bit window cover <paramref name="receiveBuffer"/>: the smallest
    /// count with <c>buffer &gt;&gt; shift ≤ 65535</c>, at most 14 (RFC 7323 2.3). 0 for buffers up to 65535.
    /// </summary>
    public static int WindowShiftFor(int receiveBuffer)
    {
        int shift = 0;
        while (shift < 14 && (receiveBuffer >> shift) > ushort.MaxValue)
        {
            shift++;
        }

        return shift;
    }

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentException">A value is out of range.</exception>
    public void Validate()
    {
        if (Mss < 64 || Mss > MaxMss)
        {
            throw new ArgumentException($"TCP MSS {Mss} must be 64..{MaxMss}", nameof(Mss));
        }

        if (ReceiveBuffer < Mss || ReceiveBuffer > MaxReceiveBuffer)
        {
            throw new ArgumentException($"TCP receive buffer {ReceiveBuffer} must be MSS..{MaxReceiveBuffer}", nameof(ReceiveBuffer));
        }

        if (Msl <= TimeSpan.Zero)
        {
            throw new ArgumentException("TCP MSL must be positive", nameof(Msl));
        }

        if (ChallengeAckLimit < 0 || ChallengeAckInterval <= TimeSpan.Zero)
        {
            throw new ArgumentException("TCP challenge-ACK limit must be ≥ 0 per a positive interval", nameof(ChallengeAckLimit));
        }

        if (UserTimeout < TimeSpan.Zero)
        {
            throw new ArgumentException("TCP user timeout must not be negative", nameof(UserTimeout));
        }

        if (MinRto <= TimeSpan.Zero || MaxRto < MinRto || InitialRto <= TimeSpan.Zero || TimerTick <= TimeSpan.Zero)
        {
            throw new ArgumentException("TCP timers must be positive and MinRto ≤ MaxRto", nameof(MinRto));
        }
    }
}
