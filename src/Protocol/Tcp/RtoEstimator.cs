namespace Edsos.Protocol.Tcp;

/// <summary>
/// The retransmission timer of RFC 6298: SRTT and RTTVAR from RTT samples (section 2, alpha 1/8, beta 1/4,
/// K 4, clock granularity G), RTO bounded below and above, doubled on each expiry (section 5.5, exponential
/// back-off) and recomputed from the estimator on the next sample. Karn's rule (section 3: no sample from a
/// retransmitted segment) is the caller's. Pure: no clock, no timer.
/// </summary>
public sealed class RtoEstimator
{
    private readonly TimeSpan _min;
    private readonly TimeSpan _max;
    private readonly TimeSpan _granularity;
    private bool _hasSample;
    private TimeSpan _base;

    /// <summary>
    /// Creates an estimator with RTO = <paramref name="initial"/> (RFC 6298 2.1: 1 s) until the first sample.
    /// <paramref name="min"/> is 1 s in RFC 6298 (2.4); Linux uses 200 ms (TCP_RTO_MIN), as the demo does.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A bound is not positive, or min exceeds max.</exception>
    public RtoEstimator(TimeSpan initial, TimeSpan min, TimeSpan max, TimeSpan granularity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(min, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, min);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(initial, TimeSpan.Zero);
        _min = min;
        _max = max;
        _granularity = granularity;
        _base = Clamp(initial);
    }

    /// <summary>Smoothed round-trip time (zero before the first sample).</summary>
    public TimeSpan Srtt { get; private set; }

    /// <summary>Round-trip time variation (zero before the first sample).</summary>
    public TimeSpan RttVar { get; private set; }

    /// <summary>The current retransmission timeout: the estimator's value doubled <see cref="Backoff"/> times, at most the maximum.</summary>
    public TimeSpan Rto => Backoff == 0 ? _base : Clamp(_base * Math.Pow(2, Math.Min(Backoff, 30)));

    /// <summary>The RTO without back-off: what the estimator computed (RFC 6298 2), or the initial RTO before any sample.</summary>
    public TimeSpan BaseRto => _base;

    /// <summary>Expiries since the last RTT sample or <see cref="ResetBackoff"/> (the exponent of the back-off).</summary>
    public int Backoff { get; private set; }

    /// <summary>Takes one RTT measurement (RFC 6298 2.2 for the first, 2.3 after) and recomputes RTO, ending any back-off.</summary>
    public void Sample(TimeSpan rtt)
    {
        if (rtt < TimeSpan.Zero)
        {
            rtt = TimeSpan.Zero;
        }

        if (!_hasSample)
        {
            Srtt = rtt;
            RttVar = rtt / 2;
            _hasSample = true;
        }
        else
        {
            TimeSpan delta = Srtt - rtt;
            RttVar = (RttVar * 3 / 4) + (delta.Duration() / 4);
            Srtt = (Srtt * 7 / 8) + (rtt / 8);
        }

        TimeSpan variance = RttVar * 4;
        _base = Clamp(Srtt + (variance > _granularity ? variance : _granularity));

        // RFC 6298 5 (after 5.7): a new measurement "collapses" a backed-off RTO.
        Backoff = 0;
    }

    /// <summary>RFC 6298 5.5: the timer expired; RTO doubles, up to the maximum.</summary>
    public void BackOff()
    {
        if (Rto < _max)
        {
            Backoff++;
        }
    }

    /// <summary>Ends a back-off without a sample: the RTO is the estimator's again (the caller saw the path deliver new data).</summary>
    public void ResetBackoff() => Backoff = 0;

    private TimeSpan Clamp(TimeSpan rto) => rto < _min ? _min : rto > _max ? _max : rto;
}
