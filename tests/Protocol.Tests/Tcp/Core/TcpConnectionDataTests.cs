using Edsos.Protocol.Tcp;
using Edsos.Protocol.Wire;
using static Edsos.Protocol.Tests.Tcp.Core.CoreHarness;

namespace Edsos.Protocol.Tests.Tcp.Core;

/// <summary>Sending and receiving data: windows, ACKs, delayed ACK, reassembly, trimming, Nagle, window scaling.</summary>
public sealed class TcpConnectionDataTests
{
    private const uint Una = OurIss + 1;
    private const uint Rcv = PeerIss + 1;

    [Fact]
    public void Send_WithinWindow_CutsMssSegmentsWithPshOnTheLast()
    {
        using var h = new CoreHarness();
        h.EstablishActive();
        h.Send(250);
        var sent = h.TakeAll();
        Assert.Equal(new[] { Una, Una + 100, Una + 200 }, sent.Select(s => s.Sequence));
        Assert.Equal(new[] { 100, 100, 50 }, sent.Select(s => s.Payload.Length));
        Assert.Equal(TcpFlags.Ack | TcpFlags.Psh, sent[2].Flags);
        Assert.Equal(TcpFlags.Ack, sent[0].Flags);
        Assert.Equal(Enumerable.Range(100, 100).Select(i => (byte)(i % 251)), sent[1].Payload);
        h.AssertNoLeak();
    }

    [Fact]
    public void Send_BeyondInitialCwnd_HoldsTheRestUntilAnAckGrowsTheWindow()
    {
        using var h = new CoreHarness();
        h.EstablishActive();
        h.Send(600);

        // RFC 5681 3.1: IW = 4 segments for an MSS of 100.
        Assert.Equal(4, h.TakeAll().Count);
        h.Process(Peer(Rcv, Una + 100, TcpFlags.Ack));

        // Slow start: cwnd 500, 300 in flight: two more segments.
        var more = h.TakeAll();
        Assert.Equal(new[] { Una + 400, Una + 500 }, more.Select(s => s.Sequence));
        Assert.Equal(500, h.Connection.Congestion.Cwnd);
        h.AssertNoLeak();
    }

    [Fact]
    public void Process_AckOfEveryByte_ReleasesTheChunkAndStopsTheTimer()
    {
        using var h = new CoreHarness();
        h.EstablishActive();
        var chunk = h.Send(250);
        h.TakeAll();
        h.Process(Peer(Rcv, Una + 250, TcpFlags.Ack));
        Assert.Empty(h.Connection.Chunks);
        Assert.Equal(default, chunk.Node);
        Assert.Equal(1, h.Host.ChunksReleasedCount);
        Assert.Equal(250L, h.Connection.BytesAcked);
        Assert.Null(h.Connection.RtoDeadline);
        Assert.Null(h.Connection.PollAt);
        h.AssertNoLeak();
    }

    [Fact]
    public void Send_AfterShutdown_Throws()
    {
        using var h = new CoreHarness();
        h.EstablishActive();
        h.Connection.Shutdown(h.Now);
        Assert.False(h.Connection.AcceptsData);
        Assert.Throws<InvalidOperationException>(() => h.Connection.Send(1, default, default, 10, default, h.Now));
        h.AssertNoLeak();
    }

    [Fact]
    public void Process_InOrderData_DeliversAndDelaysTheAck()
    {
        using var h = new CoreHarness();
        h.EstablishActive();
        h.Process(Peer(Rcv, Una, TcpFlags.Ack | TcpFlags.Psh), [9, 8, 7]);
        Assert.Equal(new byte[] { 9, 8, 7 }, h.Host.Received);
        Assert.Equal(3, h.Connection.RcvUnread);
        h.ExpectNone();
        Assert.Equal(h.Now + h.Options.DelayedAck, h.Connection.PollAt);
        h.AssertNoLeak();
    }

    [Fact]
    public void Poll_DelayedAckDeadline_SendsTheAck()
    {
        using var h = new CoreHarness();
        h.EstablishActive();
        h.Process(Peer(Rcv, Una, TcpFlags.Ack), [1, 2]);
        h.Advance(h.Options.DelayedAck - TimeSpan.FromMilliseconds(1));
        h.ExpectNone();
        h.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(Rcv + 2, h.Take().Ack);
        Assert.Null(h.Connection.PollAt);
        h.AssertNoLeak();
    }

    [Fact]
    public void Process_SecondSegment_AcksAtOnce()
    {
        using var h = new CoreHarness();
        h.EstablishActive();
        h.Process(Peer(Rcv, Una, TcpFlags.Ack), new byte[100]);
        h.ExpectNone();
        h.Process(Peer(Rcv + 100, Una, TcpFlags.Ack), new byte[100]);
        Assert.Equal(Rcv + 200, h.Take().Ack);
        Assert.Null(h.Connection.DelayedAckDeadline);
        h.AssertNoLeak();
    }

    [Fact]
    public void Process_OutOfOrderSegment_IsHeldAndAnsweredWithADuplicateAck()
    {
        using var h = new CoreHarness();
        h.EstablishActive();
        h.Process(Peer(Rcv + 100, Una, TcpFlags.Ack), new byte[50]);
        Assert.Empty(h.Host.Received);
        Assert.Equal(1, h.Connection.OutOfOrderSegments);
        Assert.Equal(Rcv, h.Take().Ack);
        Assert.Equal(1L, h.Stats.OutOfOrderQueued);
        h.AssertNoLeak();
    }

    [Fact]
    public void Process_SegmentFillingTheGap_DeliversBothInOrderAndAcksAtOnce()
    {
        using var h = new CoreHarness();
        h.EstablishActive();
        h.Process(Peer(Rcv + 3, Una, TcpFlags.Ack), [4, 5, 6]);
        h.TakeAll();
        h.Process(Peer(Rcv, Una, TcpFlags.Ack), [1, 2, 3]);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 6 }, h.Host.Received);
        Assert.Equal(Rcv + 6, h.Take().Ack);
        Assert.Equal(0, h.Connection.OutOfOrderSegments);
        h.AssertNoLeak();
    }

    [Fact]
    public void Process_SegmentOverlappingDeliveredBytes_DeliversOnlyTheNewTail()
    {
        using var h = new CoreHarness();
        h.EstablishActive();
        h.Process(Peer(Rcv, Una, TcpFlags.Ack), [1, 2, 3]);
        h.Process(Peer(Rcv, Una, TcpFlags.Ack), [1, 2, 3, 4, 5]);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, h.Host.Received);
        Assert.Equal(Rcv + 5, h.Connection.RcvNxt);
        h.AssertNoLeak();
    }

    [Fact]
    public void Process_OldDuplicate_IsDroppedAndAckedAtOnce()
    {
        using var h = new CoreHarness();
        h.EstablishActive();
        h.Process(Peer(Rcv, Una, TcpFlags.Ack), [1, 2, 3]);
        h.Process(Peer(Rcv, Una, TcpFlags.Ack), [1, 2, 3]);
        Assert.Equal(3, h.Host.Received.Count);
        Assert.Equal(Rcv + 3, h.Take().Ack);
        h.AssertNoLeak();
    }

    [Fact]
    public void Process_OldDuplicate_ReleasesItsPayloadBeforeTheAckGoesOut()
    {
        using var h = new CoreHarness();
        h.EstablishActive();
        h.Process(Peer(Rcv, Una, TcpFlags.Ack), [1, 2, 3]);
        h.Process(Peer(Rcv, Una, TcpFlags.Ack), [1, 2, 3]);

        // With the arena short, the ACK's header space may need exactly the page the duplicate held.
        Assert.Equal(0, h.Take().NodesHeld);
        h.AssertNoLeak();
    }

    [Fact]
    public void Process_UnacceptableSegment_ReleasesItsPayloadBeforeTheAckGoesOut()
    {
        using var h = new CoreHarness();
        h.EstablishActive();
        h.Process(Peer(Rcv + 100_000, Una, TcpFlags.Ack), [1, 2, 3]);
        var ack = h.Take();
        Assert.Equal((Rcv, 0), (ack.Ack, ack.NodesHeld));
        h.AssertNoLeak();
    }

    [Fact]
    public void Process_SegmentPastTheWindow_IsTrimmedToTheAdvertisedEdge()
    {
        using var h = new CoreHarness(receiveWindow: 300);
        h.EstablishActive();
        h.Process(Peer(Rcv, Una, TcpFlags.Ack), new byte[400]);
        Assert.Equal(300, h.Host.Received.Count);
        Assert.Equal(Rcv + 300, h.Connection.RcvNxt);
        h.AssertNoLeak();
    }

    [Fact]
    public void Consume_AfterTheWindowClosed_SendsAWindowUpdate()
    {
        using var h = new CoreHarness(receiveWindow: 400);
        h.EstablishActive();
        for (uint i = 0; i < 4; i++)
        {
            h.Process(Peer(Rcv + (i * 100), Una, TcpFlags.Ack), new byte[100]);
        }

        Assert.Equal((ushort)0, h.TakeAll()[^1].Header.Window);
        h.Connection.Consume(400, h.Now);
        var update = h.Take();
        Assert.Equal((Rcv + 400, (ushort)400), (update.Ack, update.Header.Window));
        h.AssertNoLeak();
    }

    [Fact]
    public void Deliver_ReaderGone_BytesStopCountingAsUnread()
    {
        using var h = new CoreHarness();
        h.EstablishActive();
        h.Host.ReaderPresent = false;
        h.Process(Peer(Rcv, Una, TcpFlags.Ack), [1, 2, 3]);
        Assert.Equal(0, h.Connection.RcvUnread);
        Assert.Equal(Rcv + 3, h.Connection.RcvNxt);
        h.AssertNoLeak();
    }

    [Fact]
    public void Send_SmallWhileASmallSegmentIsUnacknowledged_IsHeldByNagle()
    {
        using var h = new CoreHarness();
        h.EstablishActive();
        h.Send(50);
        Assert.Equal(50, h.Take().Payload.Length);
        h.Send(30);
        h.ExpectNone();

        // The small segment's ACK lets the held one go.
        h.Process(Peer(Rcv, Una + 50, TcpFlags.Ack));
        var next = h.Take();
        Assert.Equal((Una + 50, 30), (next.Sequence, next.Payload.Length));
        h.AssertNoLeak();
    }

    [Fact]
    public void SetNoDelay_WithASegmentHeldByNagle_SendsItAtOnce()
    {
        using var h = new CoreHarness();
        h.EstablishActive();
        h.Send(50);
        h.Send(30);
        h.TakeAll();
        h.Connection.SetNoDelay(true, h.Now);
        Assert.Equal(Una + 50, h.Take().Sequence);
        h.AssertNoLeak();
    }

    [Fact]
    public void Send_SmallBehindFullSizedSegmentsOnly_GoesAtOnceByMinshall()
    {
        using var h = new CoreHarness();
        h.EstablishActive();
        h.Send(100);
        h.Send(30);

        // Only a full-sized segment is unacknowledged: Minshall's rule lets the runt go (classic Nagle would hold it).
        var sent = h.TakeAll();
        Assert.Equal(new[] { 100, 30 }, sent.Select(s => s.Payload.Length));
        Assert.Equal(Una + 130, h.Connection.SndSml);
        h.AssertNoLeak();
    }

    [Fact]
    public void Accept_SynWithWindowScale_ScalesBothWays()
    {
        using var h = new CoreHarness(receiveWindow: 200_000);
        var synAck = h.AcceptPassive(windowScale: 3);
        Assert.Equal((byte?)2, synAck.WindowScale);
        h.Process(Peer(PeerIss + 1, OurIss + 1, TcpFlags.Ack, 1000));
        Assert.Equal((3, 2), (h.Connection.SndWndShift, h.Connection.RcvWndShift));
        Assert.Equal(8000u, h.Connection.SndWnd);

        // Our windows go out shifted: 200 000 bytes in a field of 50 000.
        h.Process(Peer(PeerIss + 1, OurIss + 1, TcpFlags.Ack, 1000), [1]);
        h.Advance(h.Options.DelayedAck);
        Assert.Equal((200_000 - 1) >> 2, h.Take().Header.Window);
        h.AssertNoLeak();
    }

    [Fact]
    public void Accept_SynWithoutWindowScale_NeitherSideScales()
    {
        using var h = new CoreHarness(receiveWindow: 200_000);
        var synAck = h.AcceptPassive();
        Assert.Null(synAck.WindowScale);
        Assert.Equal(ushort.MaxValue, synAck.Window);
        h.Process(Peer(PeerIss + 1, OurIss + 1, TcpFlags.Ack, 1000));
        Assert.Equal((0, 0), (h.Connection.SndWndShift, h.Connection.RcvWndShift));
        Assert.Equal(1000u, h.Connection.SndWnd);
        h.AssertNoLeak();
    }

    [Fact]
    public void Process_SynAckWithWindowScale_LeavesItsOwnWindowUnscaledAndScalesLaterOnes()
    {
        using var h = new CoreHarness(receiveWindow: 200_000);
        var syn = h.OpenActive();
        Assert.Equal((byte?)2, syn.WindowScale);
        h.Process(Peer(PeerIss, OurIss + 1, TcpFlags.Syn | TcpFlags.Ack, 1000, 1460, 3));
        h.Take();

        // RFC 7323 2.2: the SYN-ACK's own window is never scaled.
        Assert.Equal(1000u, h.Connection.SndWnd);
        h.Process(Peer(Rcv, Una, TcpFlags.Ack, 100));
        Assert.Equal(800u, h.Connection.SndWnd);
        h.AssertNoLeak();
    }

    [Fact]
    public void Process_SynAckWithoutWindowScale_TurnsOurOfferOff()
    {
        using var h = new CoreHarness(receiveWindow: 200_000);
        h.OpenActive();
        h.Process(Peer(PeerIss, OurIss + 1, TcpFlags.Syn | TcpFlags.Ack, 1000, 1460));
        Assert.Equal((0, 0), (h.Connection.SndWndShift, h.Connection.RcvWndShift));
        Assert.Equal(ushort.MaxValue, h.Take().Header.Window);
        h.AssertNoLeak();
    }
}
