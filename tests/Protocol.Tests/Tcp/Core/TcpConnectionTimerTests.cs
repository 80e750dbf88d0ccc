using Edsos.Protocol.Tcp;
using Edsos.Protocol.Tcp.Core;
using Edsos.Protocol.Wire;
using static Edsos.Protocol.Tests.Tcp.Core.CoreHarness;

namespace Edsos.Protocol.Tests.Tcp.Core;

/// <summary>
/// Loss and time: RTO and its back-off (RFC 6298), fast retransmit and NewReno (RFC 5681 / RFC 6582), zero window and
/// persist probes (RFC 9293 3.8.6.1), the user timeout (RFC 5482), the tail loss probe (RFC 8985), revoked payload,
/// and that every node is released on every path.
/// </summary>
public sealed class TcpConnectionTimerTests
{
    private const uint Una = OurIss + 1;
    private const uint Rcv = PeerIss + 1;
    private static readonly TimeSpan s_minRto = TimeSpan.FromMilliseconds(200);

    [Fact]
    public void Poll_RtoExpires_RetransmitsTheFirstSegmentAndGoesBackToSlowStart()
    {
        using var h = new CoreHarness();
        h.EstablishActive();
        h.Send(300);
        h.TakeAll();
        Assert.Equal(h.Now + s_minRto, h.Connection.PollAt);
        h.Advance(s_minRto);
        var resent = h.Take();
        Assert.Equal((Una, 100), (resent.Sequence, resent.Payload.Length));
        h.ExpectNone();
        Assert.Equal((1, 1L), (h.Connection.Backoffs, h.Stats.Timeouts));
        Assert.Equal((Mss, 2 * Mss), (h.Connection.Congestion.Cwnd, h.Connection.Congestion.Ssthresh));
        Assert.Equal(Una + 100, h.Connection.SndNxt);
        h.AssertNoLeak();
    }

    [Fact]
    public void Poll_SecondTimeout_ComesAfterADoubledRto()
    {
        using var h = new CoreHarness();
        h.EstablishActive();
        h.Send(100);
        h.TakeAll();
        h.Advance(s_minRto);
        h.Take();
        h.Advance((2 * s_minRto) - TimeSpan.FromMilliseconds(1));
        h.ExpectNone();
        h.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(Una, h.Take().Sequence);
        Assert.Equal(2, h.Connection.Backoffs);
        h.AssertNoLeak();
    }

    [Fact]
    public void Poll_RetriesExhausted_ResetsAndClosesWithTimedOut()
    {
        using var h = new CoreHarness(o => o with { MaxRetransmits = 2 });
        h.EstablishActive();
        h.Send(100);
        h.TakeAll();
        h.Advance(s_minRto * 7);
        var sent = h.TakeAll();
        Assert.Equal(TcpFlags.Rst | TcpFlags.Ack, sent[^1].Flags);
        Assert.Equal(3, sent.Count);
        Assert.Equal(Errno.ETIMEDOUT, h.Host.ClosedWith);
        h.AssertNoLeak();
    }

    [Fact]
    public void Process_AckAfterTimeout_EndsTheBackoff()
    {
        using var h = new CoreHarness();
        h.EstablishActive();
        h.Send(200);
        h.TakeAll();
        h.Advance(s_minRto);
        h.TakeAll();
        Assert.Equal(1, h.Connection.Rto.Backoff);
        h.Process(Peer(Rcv, Una + 100, TcpFlags.Ack));
        Assert.Equal((0, 0), (h.Connection.Backoffs, h.Connection.Rto.Backoff));
        h.AssertNoLeak();
    }

    [Fact]
    public void Process_ThreeDuplicateAcks_FastRetransmitsAndEntersRecovery()
    {
        using var h = new CoreHarness();
        h.EstablishActive();
        h.Send(400);
        h.TakeAll();
        for (int i = 0; i < 3; i++)
        {
            h.Process(Peer(Rcv, Una, TcpFlags.Ack));
        }

        var resent = Assert.Single(h.TakeAll());
        Assert.Equal(Una, resent.Sequence);
        Assert.True(h.Connection.Congestion.InRecovery);
        Assert.Equal(1L, h.Stats.FastRetransmits);

        // RFC 5681 3.2: ssthresh = max(FlightSize / 2, 2·SMSS), cwnd = ssthresh + 3·SMSS.
        Assert.Equal((200, 500), (h.Connection.Congestion.Ssthresh, h.Connection.Congestion.Cwnd));
        h.AssertNoLeak();
    }

    [Fact]
    public void Process_FirstDuplicateAcks_LetNewSegmentsOutByLimitedTransmit()
    {
        using var h = new CoreHarness();
        h.EstablishActive();
        h.Send(600);
        Assert.Equal(4, h.TakeAll().Count);
        h.Process(Peer(Rcv, Una, TcpFlags.Ack));
        Assert.Equal(Una + 400, Assert.Single(h.TakeAll()).Sequence);
        h.Process(Peer(Rcv, Una, TcpFlags.Ack));
        Assert.Equal(Una + 500, Assert.Single(h.TakeAll()).Sequence);
        h.AssertNoLeak();
    }

    [Fact]
    public void Process_PartialAckInRecovery_RetransmitsTheNextHole()
    {
        using var h = Recovering();
        h.Process(Peer(Rcv, Una + 100, TcpFlags.Ack));
        var resent = Assert.Single(h.TakeAll());
        Assert.Equal(Una + 100, resent.Sequence);
        Assert.True(h.Connection.Congestion.InRecovery);
        h.AssertNoLeak();
    }

    [Fact]
    public void Process_FullAckInRecovery_LeavesRecoveryWithCwndAtSsthresh()
    {
        using var h = Recovering();
        h.Process(Peer(Rcv, Una + 400, TcpFlags.Ack));
        Assert.False(h.Connection.Congestion.InRecovery);
        Assert.Equal(h.Connection.Congestion.Ssthresh, h.Connection.Congestion.Cwnd);
        Assert.Empty(h.Connection.Chunks);
        h.AssertNoLeak();
    }

    [Fact]
    public void Send_IntoZeroWindow_SendsNothingAndArmsThePersistTimer()
    {
        using var h = new CoreHarness();
        h.EstablishActive(window: 0);
        h.Send(100);
        h.ExpectNone();
        Assert.NotNull(h.Connection.PersistDeadline);
        Assert.Null(h.Connection.RtoDeadline);
        h.AssertNoLeak();
    }

    [Fact]
    public void Poll_PersistDeadline_SendsOneByteProbesBackingOff()
    {
        using var h = new CoreHarness();
        h.EstablishActive(window: 0);
        h.Send(100);
        h.Advance(s_minRto);
        var probe = h.Take();
        Assert.Equal((Una, 1), (probe.Sequence, probe.Payload.Length));
        Assert.Equal(Una, h.Connection.SndNxt);
        h.Advance((2 * s_minRto) - TimeSpan.FromMilliseconds(1));
        h.ExpectNone();
        h.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Single(h.Take().Payload);
        Assert.Equal(2L, h.Stats.ZeroWindowProbes);
        h.AssertNoLeak();
    }

    [Fact]
    public void Process_WindowOpens_SendsTheQueuedDataAndStopsProbing()
    {
        using var h = new CoreHarness();
        h.EstablishActive(window: 0);
        h.Send(100);
        h.Process(Peer(Rcv, Una, TcpFlags.Ack, 1000));
        var data = h.Take();
        Assert.Equal((Una, 100), (data.Sequence, data.Payload.Length));
        Assert.Null(h.Connection.PersistDeadline);
        h.AssertNoLeak();
    }

    [Fact]
    public void Process_ProbeByteAccepted_AckOfSndNxtPlusOneIsTaken()
    {
        using var h = new CoreHarness();
        h.EstablishActive(window: 0);
        h.Send(100);
        h.Advance(s_minRto);
        h.Take();
        h.Process(Peer(Rcv, Una + 1, TcpFlags.Ack, 0));
        Assert.Equal(Una + 1, h.Connection.SndUna);
        Assert.Equal(0L, h.Stats.AcksDropped);
        h.AssertNoLeak();
    }

    [Fact]
    public void Poll_UserTimeoutWithoutProgress_ResetsAndClosesWithTimedOut()
    {
        using var h = new CoreHarness(o => o with { UserTimeout = TimeSpan.FromSeconds(1), MaxRetransmits = 100 });
        h.EstablishActive();
        h.Send(100);
        h.Advance(TimeSpan.FromMilliseconds(999));
        Assert.Equal(TcpState.Established, h.Connection.State);
        h.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(TcpState.Closed, h.Connection.State);
        Assert.Equal(Errno.ETIMEDOUT, h.Host.ClosedWith);
        Assert.Equal(1L, h.Stats.UserTimeouts);
        Assert.Equal(TcpFlags.Rst | TcpFlags.Ack, h.TakeAll()[^1].Flags);
        h.AssertNoLeak();
    }

    [Fact]
    public void Process_AckOfNewData_RestartsTheUserTimeout()
    {
        using var h = new CoreHarness(o => o with { UserTimeout = TimeSpan.FromSeconds(1), MaxRetransmits = 100 });
        h.EstablishActive();
        h.Send(200);
        h.Advance(TimeSpan.FromMilliseconds(900));
        h.Process(Peer(Rcv, Una + 100, TcpFlags.Ack));
        h.Advance(TimeSpan.FromMilliseconds(900));
        Assert.Equal(TcpState.Established, h.Connection.State);
        h.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Equal(TcpState.Closed, h.Connection.State);
        h.AssertNoLeak();
    }

    [Fact]
    public void Poll_ProbeTimeout_ResendsTheTailBeforeTheRto()
    {
        using var h = new CoreHarness(o => o with { TailLossProbe = true });
        h.EstablishActive();
        h.Send(100);
        h.TakeAll();

        // PTO = max(2·SRTT, SRTT + 4·RTTVAR, RTO / 2) = 100 ms, + the peer's delayed ACK for a lone segment.
        var pto = TimeSpan.FromMilliseconds(100) + h.Options.DelayedAck;
        Assert.Equal(h.Now + pto, h.Connection.PollAt);
        h.Advance(pto);
        var probe = h.Take();
        Assert.Equal((Una, 100), (probe.Sequence, probe.Payload.Length));
        Assert.Equal(1L, h.Stats.LossProbes);
        Assert.Equal(0L, h.Stats.Timeouts);
        h.AssertNoLeak();
    }

    [Fact]
    public void Poll_AfterThePayloadWasRevoked_ResetsAndAborts()
    {
        using var h = new CoreHarness();
        h.EstablishActive();
        h.Host.Outcome = TransmitOutcome.PayloadRevoked;
        h.Send(100);
        Assert.Equal(h.Now, h.Connection.PollAt);
        Assert.Equal(Una, h.Connection.SndNxt);
        h.Host.Outcome = TransmitOutcome.Sent;
        h.Connection.Poll(h.Now);
        Assert.Equal(TcpFlags.Rst | TcpFlags.Ack, h.Take().Flags);
        Assert.Equal(Errno.ECONNABORTED, h.Host.ClosedWith);
        Assert.Equal(1L, h.Stats.RevokedAborts);
        h.AssertNoLeak();
    }

    [Fact]
    public void Transmit_Lost_LeavesSndNxtForRetransmission()
    {
        using var h = new CoreHarness();
        h.EstablishActive();
        h.Host.Outcome = TransmitOutcome.Lost;
        h.Send(100);
        Assert.Equal(Una, h.Connection.SndNxt);
        h.Host.Outcome = TransmitOutcome.Sent;
        h.Connection.SetNoDelay(true, h.Now);
        Assert.Equal(Una, h.Take().Sequence);
        h.AssertNoLeak();
    }

    [Fact]
    public void PollAt_IdleEstablished_IsNull()
    {
        using var h = new CoreHarness();
        h.EstablishActive();
        Assert.Null(h.Connection.PollAt);
        h.Connection.Poll(h.Now + TimeSpan.FromHours(1));
        h.ExpectNone();
        h.AssertNoLeak();
    }

    [Fact]
    public void Delete_WithSendChunksAndHeldSegments_ReleasesEveryNodeOnce()
    {
        using var h = new CoreHarness();
        h.EstablishActive();
        h.Send(300);
        h.Send(50);
        h.Process(Peer(Rcv + 50, Una, TcpFlags.Ack), new byte[20]);
        h.Process(Peer(Rcv + 100, Una, TcpFlags.Ack), new byte[20]);
        Assert.Equal(2, h.Connection.OutOfOrderSegments);
        h.Connection.Delete(Errno.ENETDOWN);
        Assert.Equal(Errno.ENETDOWN, h.Host.ClosedWith);
        Assert.Empty(h.Connection.Chunks);
        Assert.Equal(0, h.Connection.OutOfOrderSegments);
        h.Connection.Delete(Errno.ENETDOWN);
        Assert.Equal(1, h.Host.ClosedCount);
        h.AssertNoLeak();
    }

    [Fact]
    public void Process_AfterTheConnectionWasDeleted_ReleasesThePayload()
    {
        using var h = new CoreHarness();
        h.EstablishActive();
        h.Connection.Abort(h.Now);
        h.TakeAll();
        h.Process(Peer(Rcv, Una, TcpFlags.Ack), new byte[30]);
        h.ExpectNone();
        h.AssertNoLeak();
    }

    [Fact]
    public void ResetFor_SegmentWithAck_ResetsAtItsAckAndNeverAnswersARst()
    {
        var withAck = TcpConnection.ResetFor(Peer(10, 77, TcpFlags.Ack), 5)!.Value;
        Assert.Equal((TcpFlags.Rst, 77u, Local.Port, Remote.Port), (withAck.Flags, withAck.Sequence, withAck.SourcePort, withAck.DestinationPort));
        var syn = TcpConnection.ResetFor(Peer(10, 0, TcpFlags.Syn), 5)!.Value;
        Assert.Equal((TcpFlags.Rst | TcpFlags.Ack, 0u, 16u), (syn.Flags, syn.Sequence, syn.Acknowledgement));
        Assert.Null(TcpConnection.ResetFor(Peer(10, 0, TcpFlags.Rst), 0));
    }

    /// <summary>Four segments out, three duplicate ACKs: fast retransmit of the first, NewReno recovery.</summary>
    private static CoreHarness Recovering()
    {
        var h = new CoreHarness();
        h.EstablishActive();
        h.Send(400);
        for (int i = 0; i < 3; i++)
        {
            h.Process(Peer(Rcv, Una, TcpFlags.Ack));
        }

        h.TakeAll();
        Assert.True(h.Connection.Congestion.InRecovery);
        return h;
    }
}
