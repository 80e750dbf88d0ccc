using Edsos.Protocol.Tcp;
using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Tests.Tcp;

/// <summary>
/// RFC 5961 on an established connection fed crafted segments: a RST resets only at exactly RCV.NXT (3.2), a
/// SYN is answered with a challenge ACK (4.2), an ACK outside [SND.UNA − MAX.SND.WND, SND.NXT] drops its segment
/// (5.2), and challenge ACKs are throttled per connection (7).
/// </summary>
public sealed class TcpBlindAttackSpec : TcpSpecBase
{
    private const uint PeerIss = 5000;
    private const uint RcvNxt = PeerIss + 1;
    private const uint SndNxt = OurIss + 1;

    [Fact]
    public async Task Rst_ExactlyAtRcvNxt_ResetsTheConnection()
    {
        StartTcp();
        Established(PeerIss);

        DeliverSegment(Segment(RcvNxt, 0, TcpFlags.Rst));

        var error = Socket.ExpectMsg<InetProtocol.StreamErrorEvent>();
        Assert.Equal(Errno.ECONNRESET, error.Error);
        Assert.Empty(await ConnectionsAsync());
        var counters = await TcpCountersAsync();
        Assert.Equal((1L, 0L, 0L), (counters.ResetsReceived, counters.ResetsIgnored, counters.ChallengeAcks));
        ExpectNoSegment();
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task Rst_InWindowButNotAtRcvNxt_ChallengeAckThenOnlyTheExactRstResets()
    {
        StartTcp();
        Established(PeerIss);

        DeliverSegment(Segment(RcvNxt + 1000, 0, TcpFlags.Rst));

        // The challenge ACK: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, and the connection lives on.
        var (challenge, payload) = TakeSegment();
        Assert.Equal(TcpFlags.Ack, challenge.Flags);
        Assert.Equal((SndNxt, RcvNxt), (challenge.Sequence, challenge.Acknowledgement));
        Assert.Empty(payload);
        Assert.Equal(TcpState.Established, (await OnlyConnectionAsync()).State);
        Socket.ExpectNoMsg(Quiet);
        var counters = await TcpCountersAsync();
        Assert.Equal((0L, 1L, 1L), (counters.ResetsReceived, counters.ResetsIgnored, counters.ChallengeAcks));

        // A peer that really reset answers the challenge with a RST at the ACK it carried: that one counts.
        DeliverSegment(Segment(challenge.Acknowledgement, 0, TcpFlags.Rst));
        Assert.Equal(Errno.ECONNRESET, Socket.ExpectMsg<InetProtocol.StreamErrorEvent>().Error);
        Assert.Empty(await ConnectionsAsync());
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task Rst_OutsideTheWindow_DroppedWithoutAnswer()
    {
        StartTcp();
        Established(PeerIss);

        DeliverSegment(Segment(RcvNxt - 1, 0, TcpFlags.Rst));
        DeliverSegment(Segment(RcvNxt + 300_000, 0, TcpFlags.Rst));

        ExpectNoSegment();
        Assert.Equal(TcpState.Established, (await OnlyConnectionAsync()).State);
        var counters = await TcpCountersAsync();
        Assert.Equal((0L, 2L, 0L), (counters.ResetsReceived, counters.ResetsIgnored, counters.ChallengeAcks));
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task Syn_InEstablished_ChallengeAckWhateverItsSequenceNeverAReset()
    {
        StartTcp();
        Established(PeerIss);

        // In the window, at RCV.NXT, and far outside it: each is answered with a challenge ACK, none resets.
        foreach (uint sequence in new[] { RcvNxt + 10, RcvNxt, PeerIss + 1_000_000 })
        {
            DeliverSegment(Segment(sequence, 0, TcpFlags.Syn, mss: 1460));
            var (challenge, _) = TakeSegment();
            Assert.Equal(TcpFlags.Ack, challenge.Flags);
            Assert.Equal((SndNxt, RcvNxt), (challenge.Sequence, challenge.Acknowledgement));
        }

        Assert.Equal(TcpState.Established, (await OnlyConnectionAsync()).State);
        Socket.ExpectNoMsg(Quiet);
        var counters = await TcpCountersAsync();
        Assert.Equal((3L, 0L), (counters.ChallengeAcks, counters.ResetsSent));
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task Ack_OfDataNeverSent_SegmentAndItsDataDroppedChallengeAck()
    {
        StartTcp();
        Established(PeerIss);

        DeliverSegment(Segment(RcvNxt, SndNxt + 5000, TcpFlags.Ack | TcpFlags.Psh), TestFrames.Pattern(100));

        var (challenge, _) = TakeSegment();
        Assert.Equal((SndNxt, RcvNxt), (challenge.Sequence, challenge.Acknowledgement));
        Socket.ExpectNoMsg(Quiet);
        var info = await OnlyConnectionAsync();
        Assert.Equal((RcvNxt, SndNxt), (info.RcvNxt, info.SndUna));
        var counters = await TcpCountersAsync();
        Assert.Equal((1L, 1L, 0L), (counters.AcksDropped, counters.ChallengeAcks, counters.BytesDelivered));
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task Ack_OlderThanMaxSndWnd_DroppedButAnOldAckWithinItIsAccepted()
    {
        // The peer's window is 1000 bytes, so MAX.SND.WND = 1000 and SND.UNA = ISS + 1 = 1001: an ACK below 1
        // is too old to come from the peer (RFC 5961 5.2); one at 500 is merely a duplicate.
        StartTcp();
        Established(PeerIss, window: 1000);

        DeliverSegment(Segment(RcvNxt, 0, TcpFlags.Ack | TcpFlags.Psh, window: 1000), TestFrames.Pattern(100));
        var (challenge, _) = TakeSegment();
        Assert.Equal(RcvNxt, challenge.Acknowledgement);
        Socket.ExpectNoMsg(Quiet);
        Assert.Equal(1L, (await TcpCountersAsync()).AcksDropped);

        var data = TestFrames.Pattern(100, seed: 3);
        DeliverSegment(Segment(RcvNxt, 500, TcpFlags.Ack | TcpFlags.Psh, window: 1000), data);
        Assert.Equal(data, ReceiveStream());
        var counters = await TcpCountersAsync();
        Assert.Equal((1L, 1L, 100L), (counters.AcksDropped, counters.ChallengeAcks, counters.BytesDelivered));
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task ChallengeAcks_PastTheBudget_ThrottledUntilTheNextPeriod()
    {
        StartTcp(o => o with { ChallengeAckLimit = 3, ChallengeAckInterval = TimeSpan.FromSeconds(1) });
        Established(PeerIss);

        for (int i = 0; i < 5; i++)
        {
            DeliverSegment(Segment(RcvNxt + 100 + (uint)i, 0, TcpFlags.Rst));
        }

        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(TcpFlags.Ack, TakeSegment().Header.Flags);
        }

        ExpectNoSegment();
        var counters = await TcpCountersAsync();
        Assert.Equal((3L, 2L, 5L), (counters.ChallengeAcks, counters.ChallengeAcksThrottled, counters.ResetsIgnored));

        // A new period, a new budget.
        AdvanceClock(TimeSpan.FromSeconds(1));
        DeliverSegment(Segment(RcvNxt + 200, 0, TcpFlags.Rst));
        var (again, _) = TakeSegment();
        Assert.Equal((SndNxt, RcvNxt), (again.Sequence, again.Acknowledgement));
        Assert.Equal(4L, (await TcpCountersAsync()).ChallengeAcks);
        Assert.Equal(TcpState.Established, (await OnlyConnectionAsync()).State);
        await StopAndAssertNoLeakAsync();
    }
}
