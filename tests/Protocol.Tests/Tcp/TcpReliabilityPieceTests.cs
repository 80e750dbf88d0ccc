using Edsos.Protocol.Tcp;

namespace Edsos.Protocol.Tests.Tcp;

/// <summary>
/// The plain rules behind issue 12's TCP fixes, without an actor system: the receive window bounded by memory,
/// the RTO back-off and its end, RTT sampling with Karn's rule per ACK, the loss probe timeout, early retransmit,
/// the RFC 6582 ACK heuristic, and the user-timeout clock.
/// </summary>
public sealed class TcpReliabilityPieceTests
{
    private static readonly DateTimeOffset s_t0 = new(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void WindowClamp_BufferAboveArenaAndRing_BoundedByHalfTheRxBuffers()
    {
        // 32 MiB asked for; 8192 pages of 4 KiB, 255 RX buffers posted: 127 segments at most.
        int clamp = ReceiveMemory.WindowClamp(32 * 1024 * 1024, 1460, 4096, 8192, 255);
        Assert.Equal(127 * 1460, clamp);
    }

    [Fact]
    public void WindowClamp_NoNicBound_AQuarterOfTheArenaAtOneSegmentPerPage()
    {
        int clamp = ReceiveMemory.WindowClamp(64 * 1024 * 1024, 1460, 4096, 8192, 0);
        Assert.Equal(2048 * 1460, clamp);
    }

    [Fact]
    public void WindowClamp_SmallBuffer_Unchanged()
    {
        Assert.Equal(65535, ReceiveMemory.WindowClamp(65535, 1460, 4096, 8192, 255));
        Assert.Equal(4096, ReceiveMemory.WindowClamp(4096, 1460, 4096, 64, 255));
        Assert.Equal(1460, ReceiveMemory.WindowClamp(4096, 1460, 4096, 64, 3));
    }

    [Fact]
    public void UnderPressure_BelowAnEighthFree_True()
    {
        Assert.False(ReceiveMemory.UnderPressure(1024, 8192));
        Assert.True(ReceiveMemory.UnderPressure(1023, 8192));
    }

    [Fact]
    public void RtoEstimator_BackOffThenSample_CollapsesToTheEstimate()
    {
        var rto = new RtoEstimator(TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(10));
        rto.Sample(TimeSpan.FromMilliseconds(10));
        Assert.Equal(TimeSpan.FromMilliseconds(200), rto.Rto);
        rto.BackOff();
        rto.BackOff();
        rto.BackOff();
        Assert.Equal(3, rto.Backoff);
        Assert.Equal(TimeSpan.FromMilliseconds(1600), rto.Rto);
        rto.Sample(TimeSpan.FromMilliseconds(10));
        Assert.Equal(0, rto.Backoff);
        Assert.Equal(TimeSpan.FromMilliseconds(200), rto.Rto);
    }

    [Fact]
    public void RtoEstimator_ManyBackOffs_StopsAtTheMaximum()
    {
        var rto = new RtoEstimator(TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(10));
        for (int i = 0; i < 100; i++)
        {
            rto.BackOff();
        }

        Assert.Equal(TimeSpan.FromSeconds(60), rto.Rto);
        Assert.True(rto.Backoff <= 7, $"backoff {rto.Backoff}");
        rto.ResetBackoff();
        Assert.Equal(TimeSpan.FromSeconds(1), rto.Rto);
    }

    [Fact]
    public void RttSampler_AckOfSegmentsSentOnce_SampleFromTheEarliest()
    {
        var sampler = new RttSampler();
        sampler.OnSent(1000, 100, s_t0);
        sampler.OnSent(1100, 100, s_t0.AddMilliseconds(5));
        var rtt = sampler.OnAck(1000, 1200, s_t0.AddMilliseconds(30));
        Assert.Equal(TimeSpan.FromMilliseconds(30), rtt);
        Assert.Equal(0, sampler.Count);
    }

    [Fact]
    public void RttSampler_AckCoversAResend_NoSampleButLaterSegmentsStillTimed()
    {
        var sampler = new RttSampler();
        sampler.OnSent(1000, 100, s_t0);
        sampler.OnSent(1100, 100, s_t0.AddMilliseconds(1));
        sampler.OnSent(1200, 100, s_t0.AddMilliseconds(2));
        sampler.OnRetransmitted(1000, 1100);

        // Karn: the ACK that covers the resent segment is ambiguous.
        Assert.Null(sampler.OnAck(1000, 1200, s_t0.AddMilliseconds(300)));

        // The next ACK covers only a segment sent once: a sample again (a single timed segment would have been lost).
        Assert.Equal(TimeSpan.FromMilliseconds(308), sampler.OnAck(1200, 1300, s_t0.AddMilliseconds(310)));
    }

    [Fact]
    public void RttSampler_Timeout_NothingOutstandingSampled()
    {
        var sampler = new RttSampler();
        sampler.OnSent(1000, 100, s_t0);
        sampler.OnSent(1100, 100, s_t0);
        sampler.OnTimeout();
        Assert.Null(sampler.OnAck(1000, 1200, s_t0.AddSeconds(1)));
    }

    [Fact]
    public void RttSampler_AckedRangeWithoutRecord_NoSample()
    {
        // [1000, 1100) went out without a record (part of a go-back-N resend): the ACK could carry its repair time.
        var sampler = new RttSampler();
        sampler.OnSent(1100, 100, s_t0);
        Assert.Null(sampler.OnAck(1000, 1200, s_t0.AddMilliseconds(50)));
    }

    [Fact]
    public void RttSampler_PartialAckOfASuperSegment_SampleWhenWhollyAcked()
    {
        var sampler = new RttSampler();
        sampler.OnSent(0, 4000, s_t0);
        Assert.Null(sampler.OnAck(0, 2000, s_t0.AddMilliseconds(10)));
        Assert.Equal(TimeSpan.FromMilliseconds(12), sampler.OnAck(2000, 4000, s_t0.AddMilliseconds(12)));
    }

    [Fact]
    public void LossProbe_Timeout_TwoSrttPlusDelayedAckForOneSegment()
    {
        var delack = TimeSpan.FromMilliseconds(40);
        var rto = TimeSpan.FromMilliseconds(200);
        // Nothing known lost: at least half the RTO.
        Assert.Equal(TimeSpan.FromMilliseconds(100), LossProbe.Timeout(TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(2), 2920, 1460, delack, rto));
        Assert.Equal(TimeSpan.FromMilliseconds(140), LossProbe.Timeout(TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(2), 1460, 1460, delack, rto));

        // In recovery: 2·SRTT, at least the floor, plus the delayed ACK for a lone segment.
        Assert.Equal(TimeSpan.FromMilliseconds(20), LossProbe.Timeout(TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(2), 2920, 1460, delack, rto, lossSuspected: true));
        Assert.Equal(TimeSpan.FromMilliseconds(60), LossProbe.Timeout(TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(2), 1460, 1460, delack, rto, lossSuspected: true));
        Assert.Equal(LossProbe.MinTimeout, LossProbe.Timeout(TimeSpan.FromMilliseconds(1), TimeSpan.Zero, 2920, 1460, delack, rto, lossSuspected: true));
        Assert.Null(LossProbe.Timeout(TimeSpan.Zero, TimeSpan.Zero, 2920, 1460, delack, rto));
        Assert.Null(LossProbe.Timeout(TimeSpan.FromMilliseconds(150), TimeSpan.Zero, 2920, 1460, delack, rto));

        // A jittery path: SRTT + 4·RTTVAR when that exceeds 2·SRTT (and half the RTO).
        Assert.Equal(TimeSpan.FromMilliseconds(170), LossProbe.Timeout(TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(40), 2920, 1460, delack, TimeSpan.FromMilliseconds(300)));
    }

    [Fact]
    public void DuplicateThreshold_SmallFlightNothingNewToSend_EarlyRetransmit()
    {
        Assert.Equal(1, NewRenoCongestion.DuplicateThreshold(2920, 1460, canSendNew: false));
        Assert.Equal(2, NewRenoCongestion.DuplicateThreshold(4380, 1460, canSendNew: false));
        Assert.Equal(3, NewRenoCongestion.DuplicateThreshold(4380, 1460, canSendNew: true));
        Assert.Equal(3, NewRenoCongestion.DuplicateThreshold(1460, 1460, canSendNew: false));
        Assert.Equal(3, NewRenoCongestion.DuplicateThreshold(5840, 1460, canSendNew: false));
    }

    [Fact]
    public void NewReno_DuplicatesBelowRecoverAfterSmallAdvance_FastRetransmitAnyway()
    {
        // RFC 6582 4.2: after a timeout "recover" blocks fast retransmit, unless the last advance was at most 4·SMSS.
        var cc = new NewRenoCongestion(1000);
        cc.OnRetransmissionTimeout(10000, 110000);
        cc.OnNewAck(101000, 1000);
        cc.OnNewAck(102000, 1000);
        Assert.False(cc.OnDuplicateAck(8000, 110000, 102000));
        Assert.False(cc.OnDuplicateAck(8000, 110000, 102000));
        Assert.True(cc.OnDuplicateAck(8000, 110000, 102000));
    }

    [Fact]
    public void NewReno_DuplicatesBelowRecoverAfterLargeAdvance_NoFastRetransmit()
    {
        var cc = new NewRenoCongestion(1000);
        cc.OnRetransmissionTimeout(10000, 110000);
        cc.OnNewAck(106000, 6000);
        Assert.False(cc.OnDuplicateAck(4000, 110000, 106000));
        Assert.False(cc.OnDuplicateAck(4000, 110000, 106000));
        Assert.False(cc.OnDuplicateAck(4000, 110000, 106000));
    }

    [Fact]
    public void NewReno_RepeatedTimeout_SsthreshHeld()
    {
        var cc = new NewRenoCongestion(1000);
        cc.OnRetransmissionTimeout(20000, 120000);
        Assert.Equal(10000, cc.Ssthresh);
        cc.OnRetransmissionTimeout(1000, 120000, firstTimeout: false);
        Assert.Equal(10000, cc.Ssthresh);
        Assert.Equal(1000, cc.Cwnd);
    }

    [Fact]
    public void NewReno_ProbeTimeoutAfterOneDuplicate_EntersRecovery()
    {
        var cc = new NewRenoCongestion(1000);
        Assert.False(cc.OnProbeTimeout(4000, 104000, 100000));
        cc.OnDuplicateAck(4000, 104000, 100000);
        Assert.True(cc.OnProbeTimeout(4000, 104000, 100000));
        Assert.True(cc.InRecovery);
        Assert.Equal(2000, cc.Ssthresh);
    }

    [Fact]
    public void NewReno_ResentSegmentDuplicatesAfterAnRtt_LostAgain()
    {
        var cc = new NewRenoCongestion(1000);
        for (int i = 0; i < 3; i++)
        {
            cc.OnDuplicateAck(8000, 108000, 100000);
        }

        cc.OnResent();
        var srtt = TimeSpan.FromMilliseconds(10);
        for (int i = 0; i < 3; i++)
        {
            cc.OnDuplicateAck(8000, 108000, 100000);
        }

        Assert.False(cc.ResentSegmentLost(TimeSpan.FromMilliseconds(5), srtt));
        Assert.True(cc.ResentSegmentLost(TimeSpan.FromMilliseconds(12), srtt));
    }

    [Fact]
    public void ProgressWatch_WaitingWithoutProgress_ExpiresAfterTheTimeout()
    {
        var watch = new ProgressWatch();
        var timeout = TimeSpan.FromSeconds(30);
        watch.Update(waiting: true, s_t0);
        Assert.False(watch.Expired(s_t0.AddSeconds(29), timeout));
        watch.OnProgress(s_t0.AddSeconds(20));
        Assert.False(watch.Expired(s_t0.AddSeconds(49), timeout));
        Assert.True(watch.Expired(s_t0.AddSeconds(50), timeout));
        watch.Update(waiting: false, s_t0.AddSeconds(51));
        Assert.False(watch.Expired(s_t0.AddSeconds(500), timeout));
        Assert.False(watch.Expired(s_t0.AddSeconds(500), TimeSpan.Zero));
    }
}
