using Edsos.Protocol.Tcp;
using Edsos.Protocol.Wire;
using static Edsos.Protocol.Tests.Tcp.Core.CoreHarness;

namespace Edsos.Protocol.Tests.Tcp.Core;

/// <summary>Closing (RFC 9293 3.6): FIN_WAIT_1/2, CLOSING, TIME_WAIT and its reuse rule, CLOSE_WAIT/LAST_ACK, abort, RST.</summary>
public sealed class TcpConnectionCloseTests
{
    private const uint Una = OurIss + 1;
    private const uint Rcv = PeerIss + 1;

    private static readonly TimeSpan s_twoMsl = TimeSpan.FromMilliseconds(500);

    [Fact]
    public void Shutdown_Established_SendsFinAndEntersFinWait1()
    {
        using var h = new CoreHarness();
        h.EstablishActive();
        h.Connection.Shutdown(h.Now);
        var fin = h.Take();
        Assert.Equal((TcpFlags.Fin | TcpFlags.Ack, Una), (fin.Flags, fin.Sequence));
        Assert.Equal(TcpState.FinWait1, h.Connection.State);
        h.AssertNoLeak();
    }

    [Fact]
    public void Shutdown_WithQueuedData_SendsTheFinAfterTheData()
    {
        using var h = new CoreHarness();
        h.EstablishActive();
        h.Send(150);
        h.Connection.Shutdown(h.Now);
        var sent = h.TakeAll();
        Assert.Equal(TcpFlags.Fin | TcpFlags.Ack, sent[^1].Flags);
        Assert.Equal(Una + 150, sent[^1].Sequence);
        h.AssertNoLeak();
    }

    [Fact]
    public void Process_AckOfOurFin_EntersFinWait2()
    {
        using var h = FinWait1();
        h.Process(Peer(Rcv, Una + 1, TcpFlags.Ack));
        Assert.Equal(TcpState.FinWait2, h.Connection.State);
        Assert.Null(h.Connection.PollAt);
        h.AssertNoLeak();
    }

    [Fact]
    public void Process_FinInFinWait2_AcksAndEntersTimeWait()
    {
        using var h = FinWait1();
        h.Process(Peer(Rcv, Una + 1, TcpFlags.Ack));
        h.Process(Peer(Rcv, Una + 1, TcpFlags.Fin | TcpFlags.Ack));
        Assert.Equal(Rcv + 1, h.Take().Ack);
        Assert.Equal(TcpState.TimeWait, h.Connection.State);
        Assert.Equal(1, h.Host.EndOfStreamCount);
        Assert.Equal(h.Now + s_twoMsl, h.Connection.PollAt);
        h.AssertNoLeak();
    }

    [Fact]
    public void Poll_TimeWaitAfterTwoMsl_DeletesTheConnection()
    {
        using var h = TimeWait();
        h.Advance(s_twoMsl - TimeSpan.FromMilliseconds(1));
        Assert.Equal(TcpState.TimeWait, h.Connection.State);
        h.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(TcpState.Closed, h.Connection.State);
        Assert.Equal(Errno.None, h.Host.ClosedWith);
        h.ExpectNone();
        h.AssertNoLeak();
    }

    [Fact]
    public void Process_RetransmittedFinInTimeWait_IsAckedAndTheWaitRestarts()
    {
        using var h = TimeWait();
        h.Advance(TimeSpan.FromMilliseconds(300));
        h.Process(Peer(Rcv, Una + 1, TcpFlags.Fin | TcpFlags.Ack));
        Assert.Equal(Rcv + 1, h.Take().Ack);
        h.Advance(s_twoMsl - TimeSpan.FromMilliseconds(1));
        Assert.Equal(TcpState.TimeWait, h.Connection.State);
        h.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(TcpState.Closed, h.Connection.State);
        h.AssertNoLeak();
    }

    [Fact]
    public void CanReopen_SynBeyondRcvNxtInTimeWait_IsTrueWithAnIssPastTheOldWindow()
    {
        using var h = TimeWait();
        Assert.True(h.Connection.CanReopen(Peer(Rcv + 1000, 0, TcpFlags.Syn), out uint iss));
        Assert.Equal(h.Connection.SndMax + 65535u, iss);
        h.AssertNoLeak();
    }

    [Fact]
    public void CanReopen_OldSequenceOrAckOrNotTimeWait_IsFalse()
    {
        using var h = TimeWait();
        Assert.False(h.Connection.CanReopen(Peer(Rcv, 0, TcpFlags.Syn), out _));
        Assert.False(h.Connection.CanReopen(Peer(Rcv + 1000, 5, TcpFlags.Syn | TcpFlags.Ack), out _));
        using var established = new CoreHarness();
        established.EstablishActive();
        Assert.False(established.Connection.CanReopen(Peer(Rcv + 1000, 0, TcpFlags.Syn), out _));
        established.AssertNoLeak();
        h.AssertNoLeak();
    }

    [Fact]
    public void Process_SynInTimeWait_IsAnsweredWithAChallengeAck()
    {
        using var h = TimeWait();
        h.Process(Peer(Rcv + 1000, 0, TcpFlags.Syn));
        var ack = h.Take();
        Assert.Equal((TcpFlags.Ack, Rcv + 1), (ack.Flags, ack.Ack));
        Assert.Equal(TcpState.TimeWait, h.Connection.State);
        h.AssertNoLeak();
    }

    [Fact]
    public void Process_FinInFinWait1_SimultaneousCloseEntersClosing()
    {
        using var h = FinWait1();
        h.Process(Peer(Rcv, Una, TcpFlags.Fin | TcpFlags.Ack));
        Assert.Equal(TcpState.Closing, h.Connection.State);
        Assert.Equal(Rcv + 1, h.Take().Ack);

        // The ACK of our FIN: TIME_WAIT.
        h.Process(Peer(Rcv + 1, Una + 1, TcpFlags.Ack));
        Assert.Equal(TcpState.TimeWait, h.Connection.State);
        h.AssertNoLeak();
    }

    [Fact]
    public void Process_FinInEstablished_EntersCloseWaitAndReportsEndOfStream()
    {
        using var h = new CoreHarness();
        h.EstablishActive();
        h.Process(Peer(Rcv, Una, TcpFlags.Fin | TcpFlags.Ack));
        Assert.Equal(TcpState.CloseWait, h.Connection.State);
        Assert.Equal(1, h.Host.EndOfStreamCount);
        Assert.True(h.Connection.FinReceived);
        Assert.Equal(Rcv + 1, h.Take().Ack);
        h.AssertNoLeak();
    }

    [Fact]
    public void Process_FinAheadOfMissingData_WaitsForTheData()
    {
        using var h = new CoreHarness();
        h.EstablishActive();
        h.Process(Peer(Rcv + 3, Una, TcpFlags.Fin | TcpFlags.Ack));
        Assert.Equal(TcpState.Established, h.Connection.State);
        h.AssertNoLeak();
    }

    [Fact]
    public void Shutdown_InCloseWait_SendsFinAndEntersLastAckThenAckDeletes()
    {
        using var h = new CoreHarness();
        h.EstablishActive();
        h.Process(Peer(Rcv, Una, TcpFlags.Fin | TcpFlags.Ack));
        h.TakeAll();
        h.Connection.Shutdown(h.Now);
        Assert.Equal(TcpFlags.Fin | TcpFlags.Ack, h.Take().Flags);
        Assert.Equal(TcpState.LastAck, h.Connection.State);
        h.Process(Peer(Rcv + 1, Una + 1, TcpFlags.Ack));
        Assert.Equal(TcpState.Closed, h.Connection.State);
        Assert.Equal(Errno.None, h.Host.ClosedWith);
        h.AssertNoLeak();
    }

    [Fact]
    public void Poll_FinUnacknowledged_IsRetransmitted()
    {
        using var h = FinWait1();
        h.Advance(h.Connection.Rto.Rto);
        var again = h.Take();
        Assert.Equal((TcpFlags.Fin | TcpFlags.Ack, Una), (again.Flags, again.Sequence));
        h.AssertNoLeak();
    }

    [Fact]
    public void Close_Established_SendsFin()
    {
        using var h = new CoreHarness();
        h.EstablishActive();
        h.Connection.Close(abort: false, h.Now);
        Assert.Equal(TcpFlags.Fin | TcpFlags.Ack, h.Take().Flags);
        Assert.True(h.Connection.SocketClosed);
        h.AssertNoLeak();
    }

    [Fact]
    public void Close_WithUnreadData_ResetsAndDeletes()
    {
        using var h = new CoreHarness();
        h.EstablishActive();
        h.Process(Peer(Rcv, Una, TcpFlags.Ack), [1, 2]);
        h.Connection.Close(abort: false, h.Now);
        Assert.Equal(TcpFlags.Rst | TcpFlags.Ack, h.Take().Flags);
        Assert.Equal(TcpState.Closed, h.Connection.State);
        h.AssertNoLeak();
    }

    [Fact]
    public void Close_InSynSent_DeletesWithoutAWord()
    {
        using var h = new CoreHarness();
        h.OpenActive();
        h.Connection.Close(abort: false, h.Now);
        Assert.Equal(TcpState.Closed, h.Connection.State);
        h.ExpectNone();
        h.AssertNoLeak();
    }

    [Fact]
    public void Abort_Established_SendsRstAtSndMaxAndDeletesEverything()
    {
        using var h = new CoreHarness();
        h.EstablishActive();
        h.Send(100);
        h.Process(Peer(Rcv + 10, Una, TcpFlags.Ack), [5]);
        h.TakeAll();
        h.Connection.Abort(h.Now);
        var rst = h.Take();
        Assert.Equal((TcpFlags.Rst | TcpFlags.Ack, Una + 100), (rst.Flags, rst.Sequence));
        Assert.Equal(TcpState.Closed, h.Connection.State);
        Assert.Equal(1, h.Host.ClosedCount);
        h.AssertNoLeak();
    }

    [Fact]
    public void Process_DataAfterClose_ResetsBecauseNobodyWillReadIt()
    {
        using var h = FinWait1();
        h.Connection.Close(abort: false, h.Now);
        h.Process(Peer(Rcv, Una, TcpFlags.Ack), [1, 2, 3]);
        Assert.Equal(TcpFlags.Rst | TcpFlags.Ack, h.Take().Flags);
        Assert.Equal(TcpState.Closed, h.Connection.State);
        Assert.Empty(h.Host.Received);
        h.AssertNoLeak();
    }

    [Fact]
    public void Process_RstAtRcvNxt_ResetsTheConnection()
    {
        using var h = new CoreHarness();
        h.EstablishActive();
        h.Process(Peer(Rcv, 0, TcpFlags.Rst, 0));
        Assert.Equal(TcpState.Closed, h.Connection.State);
        Assert.Equal(Errno.ECONNRESET, h.Host.ClosedWith);
        Assert.Equal(1L, h.Stats.ResetsReceived);
        h.ExpectNone();
        h.AssertNoLeak();
    }

    [Fact]
    public void Process_RstInWindowButNotAtRcvNxt_GetsAChallengeAck()
    {
        using var h = new CoreHarness();
        h.EstablishActive();
        h.Process(Peer(Rcv + 100, 0, TcpFlags.Rst, 0));
        var challenge = h.Take();
        Assert.Equal((TcpFlags.Ack, Una, Rcv), (challenge.Flags, challenge.Sequence, challenge.Ack));
        Assert.Equal(TcpState.Established, h.Connection.State);
        Assert.Equal((1L, 1L), (h.Stats.ResetsIgnored, h.Stats.ChallengeAcks));
        h.AssertNoLeak();
    }

    [Fact]
    public void Process_RstOutsideTheWindow_IsDroppedSilently()
    {
        using var h = new CoreHarness();
        h.EstablishActive();
        h.Process(Peer(Rcv + 100_000, 0, TcpFlags.Rst, 0));
        h.ExpectNone();
        Assert.Equal(TcpState.Established, h.Connection.State);
        Assert.Equal(1L, h.Stats.ResetsIgnored);
        h.AssertNoLeak();
    }

    [Fact]
    public void Process_RstInTimeWait_DeletesWithoutError()
    {
        using var h = TimeWait();
        h.Process(Peer(Rcv + 1, 0, TcpFlags.Rst, 0));
        Assert.Equal(TcpState.Closed, h.Connection.State);
        Assert.Equal(Errno.None, h.Host.ClosedWith);
        h.AssertNoLeak();
    }

    [Fact]
    public void Process_SynInEstablished_GetsAChallengeAckAndChangesNothing()
    {
        using var h = new CoreHarness();
        h.EstablishActive();
        h.Process(Peer(Rcv + 5, 0, TcpFlags.Syn));
        var challenge = h.Take();
        Assert.Equal((TcpFlags.Ack, Rcv), (challenge.Flags, challenge.Ack));
        Assert.Equal(TcpState.Established, h.Connection.State);
        h.AssertNoLeak();
    }

    [Fact]
    public void Process_ChallengeAcksBeyondTheBudget_AreThrottledUntilTheNextPeriod()
    {
        using var h = new CoreHarness(o => o with { ChallengeAckLimit = 2 });
        h.EstablishActive();
        for (int i = 0; i < 3; i++)
        {
            h.Process(Peer(Rcv + 5, 0, TcpFlags.Syn));
        }

        Assert.Equal(2, h.TakeAll().Count);
        Assert.Equal(1L, h.Stats.ChallengeAcksThrottled);
        h.Elapse(h.Options.ChallengeAckInterval);
        h.Process(Peer(Rcv + 5, 0, TcpFlags.Syn));
        Assert.Equal(TcpFlags.Ack, h.Take().Flags);
        h.AssertNoLeak();
    }

    [Fact]
    public void Process_AckAboveSndMax_IsDroppedWithAChallengeAck()
    {
        using var h = new CoreHarness();
        h.EstablishActive();
        h.Process(Peer(Rcv, Una + 999, TcpFlags.Ack), [1, 2, 3]);
        Assert.Empty(h.Host.Received);
        var challenge = h.Take();
        Assert.Equal((TcpFlags.Ack, Una, Rcv), (challenge.Flags, challenge.Sequence, challenge.Ack));
        Assert.Equal(1L, h.Stats.AcksDropped);
        h.AssertNoLeak();
    }

    [Fact]
    public void Process_AckOlderThanTheLargestWindow_IsDroppedWithAChallengeAck()
    {
        using var h = new CoreHarness();
        h.EstablishActive(window: 1000);
        h.Process(Peer(Rcv, unchecked(Una - 2000), TcpFlags.Ack), [1]);
        Assert.Empty(h.Host.Received);
        Assert.Equal(1L, h.Stats.AcksDropped);
        h.Process(Peer(Rcv, Una - 500, TcpFlags.Ack), [1]);
        Assert.Single(h.Host.Received);
        h.AssertNoLeak();
    }

    private static CoreHarness FinWait1()
    {
        var h = new CoreHarness();
        h.EstablishActive();
        h.Connection.Shutdown(h.Now);
        h.TakeAll();
        return h;
    }

    private static CoreHarness TimeWait()
    {
        var h = FinWait1();
        h.Process(Peer(Rcv, Una + 1, TcpFlags.Fin | TcpFlags.Ack));
        h.TakeAll();
        Assert.Equal(TcpState.TimeWait, h.Connection.State);
        return h;
    }
}
