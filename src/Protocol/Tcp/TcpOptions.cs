namespace Edsos.Protocol.Tcp;

/// <summary>Tunables of the TCP of one stack. Defaults follow the RFCs where one gives a number, Linux otherwise.</summary>
public sealed record TcpOptions
{
    /// <summary>The MSS announced and used: the 1500-byte MTU minus IPv4 and TCP headers (RFC 9293 3.7.1).</summary>
    public int Mss { get; init; } = 1460;

    /// <summary>Receive buffer per connection; the advertised window (no window scaling, so at most 65535).</summary>
    public int ReceiveBuffer { get; init; } = 65535;

    /// <summary>RFC 6298 2.1: RTO before the first RTT sample.</summary>
    public TimeSpan InitialRto { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Lower bound of RTO: Linux's TCP_RTO_MIN (RFC 6298 2.4 says 1 s; 200 ms keeps lossy demos quick).</summary>
    public TimeSpan MinRto { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Upper bound of RTO (RFC 6298 2.5: at least 60 s).</summary>
    public TimeSpan MaxRto { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Retransmissions of one segment before the connection is given up with ETIMEDOUT (Linux tcp_retries2 is 15).</summary>
    public int MaxRetransmits { get; init; } = 15;

    /// <summary>SYN retransmissions before connect fails with ETIMEDOUT (Linux tcp_syn_retries is 6).</summary>
    public int MaxSynRetransmits { get; init; } = 6;

    /// <summary>Delayed-ACK timeout (RFC 1122 4.2.3.2: under 0.5 s; Linux's minimum is 40 ms).</summary>
    public TimeSpan DelayedAck { get; init; } = TimeSpan.FromMilliseconds(40);

    /// <summary>TIME_WAIT lasts 2·MSL (RFC 9293 3.10.7.4); MSL is 2 minutes in the RFC, short here so tests and demos end.</summary>
    public TimeSpan TimeWait { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Granularity of the connection timers (one periodic tick drives them all).</summary>
    public TimeSpan TimerTick { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>Fixed initial send sequence number (tests of wrap-around); null draws one per connection (RFC 9293 3.4.1 / RFC 6528).</summary>
    public uint? InitialSequence { get; init; }

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentException">A value is out of range.</exception>
    public void Validate()
    {
        if (Mss < 64 || Mss > 1460)
        {
            throw new ArgumentException($"TCP MSS {Mss} must be 64..1460", nameof(Mss));
        }

        if (ReceiveBuffer < Mss || ReceiveBuffer > ushort.MaxValue)
        {
            throw new ArgumentException($"TCP receive buffer {ReceiveBuffer} must be MSS..65535", nameof(ReceiveBuffer));
        }

        if (MinRto <= TimeSpan.Zero || MaxRto < MinRto || InitialRto <= TimeSpan.Zero || TimerTick <= TimeSpan.Zero)
        {
            throw new ArgumentException("TCP timers must be positive and MinRto ≤ MaxRto", nameof(MinRto));
        }
    }
}
