using Edsos.Protocol.Tcp;
using Edsos.Protocol.Wire;
using static Edsos.Protocol.Tests.Tcp.Core.CoreHarness;

namespace Edsos.Protocol.Tests.Tcp.Core;

/// <summary>Opening: active, passive and simultaneous (RFC 9293 3.5, 3.10.7.2-3.10.7.4), SYN retransmission, SYN text.</summary>
public sealed class TcpConnectionHandshakeTests
{
    [Fact]
    public void Open_FromClosed_SendsSynWithOurMssAndEntersSynSent()
    {
        using var h = new CoreHarness();
        var syn = h.OpenActive();
        Assert.Equal((TcpFlags.Syn, OurIss, (ushort)Mss), (syn.Flags, syn.Sequence, syn.MaxSegmentSize));
        Assert.Null(syn.WindowScale);
        Assert.Equal(TcpState.SynSent, h.Connection.State);
        Assert.NotNull(h.Connection.RtoDeadline);
        h.AssertNoLeak();
    }

    [Fact]
    public void Open_Twice_Throws()
    {
        using var h = new CoreHarness();
        h.OpenActive();
        Assert.Throws<InvalidOperationException>(() => h.Connection.Open(h.Now));
        h.AssertNoLeak();
    }

    [Fact]
    public void Process_SynAckInSynSent_EstablishesAcksAndTellsTheHost()
    {
        using var h = new CoreHarness();
        h.OpenActive();
        h.Process(Peer(PeerIss, OurIss + 1, TcpFlags.Syn | TcpFlags.Ack, 3000, 1460));
        var ack = h.Take();
        Assert.Equal((TcpFlags.Ack, OurIss + 1, PeerIss + 1), (ack.Flags, ack.Sequence, ack.Ack));
        Assert.Equal(TcpState.Established, h.Connection.State);
        Assert.Equal(1, h.Host.EstablishedCount);
        Assert.Equal(3000u, h.Connection.SndWnd);
        Assert.Null(h.Connection.RtoDeadline);
        h.AssertNoLeak();
    }

    [Fact]
    public void Process_SynAckWithUnacceptableAck_SendsResetAndStaysInSynSent()
    {
        using var h = new CoreHarness();
        h.OpenActive();
        h.Process(Peer(PeerIss, OurIss + 7, TcpFlags.Syn | TcpFlags.Ack));
        var rst = h.Take();
        Assert.Equal((TcpFlags.Rst, OurIss + 7), (rst.Flags, rst.Sequence));
        Assert.Equal(TcpState.SynSent, h.Connection.State);
        h.AssertNoLeak();
    }

    [Fact]
    public void Process_RstWithAcceptableAckInSynSent_ClosesWithConnectionRefused()
    {
        using var h = new CoreHarness();
        h.OpenActive();
        h.Process(Peer(0, OurIss + 1, TcpFlags.Rst | TcpFlags.Ack, 0));
        Assert.Equal(TcpState.Closed, h.Connection.State);
        Assert.Equal(Errno.ECONNREFUSED, h.Host.ClosedWith);
        Assert.Null(h.Connection.PollAt);
        h.ExpectNone();
        h.AssertNoLeak();
    }

    [Fact]
    public void Process_RstWithoutAckInSynSent_IsIgnored()
    {
        using var h = new CoreHarness();
        h.OpenActive();
        h.Process(Peer(PeerIss, 0, TcpFlags.Rst, 0));
        Assert.Equal(TcpState.SynSent, h.Connection.State);
        Assert.Equal(0, h.Host.ClosedCount);
        h.AssertNoLeak();
    }

    [Fact]
    public void Process_SynInSynSent_SimultaneousOpenAnswersSynAckThenEstablishes()
    {
        using var h = new CoreHarness();
        h.OpenActive();
        h.Process(Peer(PeerIss, 0, TcpFlags.Syn, 65535, 1460));
        var synAck = h.Take();
        Assert.Equal((TcpFlags.Syn | TcpFlags.Ack, OurIss, PeerIss + 1), (synAck.Flags, synAck.Sequence, synAck.Ack));
        Assert.Equal(TcpState.SynReceived, h.Connection.State);

        // The peer's ACK of our SYN: ESTABLISHED.
        h.Process(Peer(PeerIss + 1, OurIss + 1, TcpFlags.Ack));
        Assert.Equal(TcpState.Established, h.Connection.State);
        Assert.Equal(1, h.Host.EstablishedCount);
        h.AssertNoLeak();
    }

    [Fact]
    public void Accept_Syn_SendsSynAckAndEntersSynReceived()
    {
        using var h = new CoreHarness();
        var synAck = h.AcceptPassive();
        Assert.Equal((TcpFlags.Syn | TcpFlags.Ack, OurIss, PeerIss + 1), (synAck.Flags, synAck.Sequence, synAck.Acknowledgement));
        Assert.Equal(TcpState.SynReceived, h.Connection.State);
        Assert.True(h.Connection.IsPassive);
        Assert.Equal(0, h.Host.EstablishedCount);
        h.AssertNoLeak();
    }

    [Fact]
    public void Process_AckOfSynAck_EstablishesPassiveOpen()
    {
        using var h = new CoreHarness();
        h.EstablishPassive(window: 4000);
        Assert.Equal(1, h.Host.EstablishedCount);
        Assert.Equal(4000u, h.Connection.SndWnd);
        Assert.Equal(OurIss + 1, h.Connection.SndUna);
        h.ExpectNone();
        h.AssertNoLeak();
    }

    [Fact]
    public void Process_AckBeyondOurSynInSynReceived_SendsResetAndStays()
    {
        using var h = new CoreHarness();
        h.AcceptPassive();
        h.Process(Peer(PeerIss + 1, OurIss + 50, TcpFlags.Ack));
        var rst = h.Take();
        Assert.Equal((TcpFlags.Rst, OurIss + 50), (rst.Flags, rst.Sequence));
        Assert.Equal(TcpState.SynReceived, h.Connection.State);
        h.AssertNoLeak();
    }

    [Fact]
    public void Process_RetransmittedSynInSynReceived_ResendsSynAck()
    {
        using var h = new CoreHarness();
        h.AcceptPassive();
        h.Process(Peer(PeerIss, 0, TcpFlags.Syn, 65535, 1460));
        var again = h.Take();
        Assert.Equal((TcpFlags.Syn | TcpFlags.Ack, OurIss), (again.Flags, again.Sequence));
        Assert.Equal(TcpState.SynReceived, h.Connection.State);
        h.AssertNoLeak();
    }

    [Fact]
    public void Process_RstInSynReceivedOfPassiveOpen_DeletesWithoutError()
    {
        using var h = new CoreHarness();
        h.AcceptPassive();
        h.Process(Peer(PeerIss + 1, 0, TcpFlags.Rst, 0));
        Assert.Equal(TcpState.Closed, h.Connection.State);
        Assert.Equal(Errno.None, h.Host.ClosedWith);
        h.ExpectNone();
        h.AssertNoLeak();
    }

    [Fact]
    public void Accept_SynWithText_HoldsItUntilEstablishedThenDeliversAndAcks()
    {
        using var h = new CoreHarness();
        var synAck = h.AcceptPassive(synData: [1, 2, 3, 4, 5]);

        // Not acknowledged by the SYN-ACK: RCV.NXT stays at IRS + 1 and nothing is delivered yet.
        Assert.Equal(PeerIss + 1, synAck.Acknowledgement);
        Assert.Empty(h.Host.Received);
        Assert.Equal(1L, h.Stats.SynDataHeld);

        h.Process(Peer(PeerIss + 6, OurIss + 1, TcpFlags.Ack));
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, h.Host.Received);
        Assert.Equal(PeerIss + 6, h.Take().Ack);
        h.AssertNoLeak();
    }

    [Fact]
    public void Process_HandshakeAckWhenHostRefuses_ResetsAndDeletes()
    {
        using var h = new CoreHarness();
        h.AcceptPassive();
        h.Host.AcceptEstablished = false;
        h.Process(Peer(PeerIss + 1, OurIss + 1, TcpFlags.Ack));
        Assert.Equal(TcpFlags.Rst | TcpFlags.Ack, h.Take().Flags);
        Assert.Equal(TcpState.Closed, h.Connection.State);
        Assert.Equal(1L, h.Stats.ResetsSent);
        h.AssertNoLeak();
    }

    [Fact]
    public void Poll_SynUnanswered_RetransmitsWithDoublingTimeout()
    {
        using var h = new CoreHarness();
        h.OpenActive();
        h.Advance(TimeSpan.FromMilliseconds(999));
        h.ExpectNone();
        h.Advance(TimeSpan.FromMilliseconds(1));
        var first = h.Take();
        Assert.Equal((TcpFlags.Syn, OurIss), (first.Flags, first.Sequence));

        // Backed off: the next one comes 2 s later, not 1 s.
        h.Advance(TimeSpan.FromMilliseconds(1999));
        h.ExpectNone();
        h.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(TcpFlags.Syn, h.Take().Flags);
        Assert.Equal(2, h.Connection.Backoffs);
        Assert.Equal(2L, h.Stats.Retransmits);
        h.AssertNoLeak();
    }

    [Fact]
    public void Poll_SynRetriesExhausted_ClosesWithTimedOutAndNoReset()
    {
        using var h = new CoreHarness(o => o with { MaxSynRetransmits = 2 });
        h.OpenActive();
        h.Advance(TimeSpan.FromSeconds(1 + 2 + 4));
        Assert.Equal(2, h.TakeAll().Count);
        Assert.Equal(TcpState.Closed, h.Connection.State);
        Assert.Equal(Errno.ETIMEDOUT, h.Host.ClosedWith);
        h.AssertNoLeak();
    }

    [Fact]
    public void Process_SynAckRtt_SetsTheRetransmissionTimeoutFromTheSample()
    {
        using var h = new CoreHarness(o => o with { MinRto = TimeSpan.FromMilliseconds(1) });
        h.EstablishActive(rtt: TimeSpan.FromMilliseconds(100));

        // RFC 6298 2.2: SRTT = R, RTTVAR = R/2, RTO = SRTT + 4·RTTVAR = 300 ms.
        Assert.Equal(TimeSpan.FromMilliseconds(300), h.Connection.Rto.Rto);
        h.AssertNoLeak();
    }
}
