using Edsos.Protocol.Tcp;
using Edsos.Protocol.Tcp.Core;
using Edsos.Protocol.Wire;
using static Edsos.Protocol.Tests.Tcp.Core.CoreHarness;

namespace Edsos.Protocol.Tests.Tcp.Core;

/// <summary>
/// Segments whose payload is a range of the send queue that crosses send chunks (consecutive <c>send()</c>s): super-
/// segments counted over the queue, Nagle's held runts joined, a retransmission across a chunk boundary, chunks
/// released only once every byte of theirs is acknowledged.
/// </summary>
public sealed class TcpConnectionSpanTests
{
    private const uint Una = OurIss + 1;
    private const uint Rcv = PeerIss + 1;
    private const int RealMss = 1460;

    [Fact]
    public void Send_TwoWritesOf64KiBQueuedBehindAFullWindow_GoAsSuperSegmentsAcrossTheChunkBoundary()
    {
        // Arrange: MSS 1460, TSO, the peer's window 256 KiB, slow start grown past two writes.
        using var h = new CoreHarness(o => o with { Mss = RealMss }, receiveWindow: 1 << 20, segmentationOffload: true);
        h.EstablishActive(windowScale: 2);
        uint una = GrowCwnd(h, 140_000);

        // A full window in flight, so both writes queue behind it.
        int cwnd = h.Connection.Congestion.Cwnd;
        h.Send(cwnd);
        Assert.Equal(cwnd, h.TakeAll().Sum(s => s.Payload.Length));
        h.Send(65536);
        h.Send(65536);
        h.ExpectNone();

        // Act: the flight is acknowledged; the window takes both writes at once.
        una += (uint)cwnd;
        h.Process(Peer(Rcv, una, TcpFlags.Ack));
        var sent = h.TakeAll();

        // Assert: 44 MSS pieces, 44 more across the boundary (1,296 bytes of the first write, 62,944 of the second),
        // then the last 2,592 bytes (one MSS and a runt that ends the queue). No runt at the first write's end.
        Assert.Equal(new[] { 64_240, 64_240, 2_592 }, sent.Select(s => s.Payload.Length));
        Assert.Equal(new[] { una, una + 64_240, una + 128_480 }, sent.Select(s => s.Sequence));
        Assert.Equal(new[] { RealMss, RealMss, RealMss }, sent.Select(s => s.GsoSize));
        Assert.Equal(new[] { 1, 2, 1 }, sent.Select(s => s.Chunks));
        Assert.Equal(new[] { TcpFlags.Ack, TcpFlags.Ack, TcpFlags.Ack | TcpFlags.Psh }, sent.Select(s => s.Flags));
        Assert.Equal(Pattern(65536).Concat(Pattern(65536)).ToArray(), sent.SelectMany(s => s.Payload).ToArray());

        // Every byte acknowledged: both chunks released, nothing leaked.
        h.Process(Peer(Rcv, una + 131_072, TcpFlags.Ack));
        Assert.Empty(h.Connection.Chunks);
        h.AssertNoLeak();
    }

    [Fact]
    public void Send_WindowLeavesLessThanAThirdAfterASuperSegment_TheRestWaitsForTheNextAck()
    {
        // Arrange: MSS 1460, TSO, cwnd 48 MSS (70,080) all in flight; three writes of 64 KiB queue behind it.
        using var h = new CoreHarness(o => o with { Mss = RealMss }, receiveWindow: 1 << 20, segmentationOffload: true);
        h.EstablishActive(windowScale: 2);
        uint una = GrowCwnd(h, 70_000);
        Assert.Equal(48 * RealMss, h.Connection.Congestion.Cwnd);
        h.Send(48 * RealMss);
        h.TakeAll();
        h.Send(65536);
        h.Send(65536);
        h.Send(65536);
        h.ExpectNone();

        // Act: the ACK opens the window to 49 MSS.
        una += 48 * RealMss;
        h.Process(Peer(Rcv, una, TcpFlags.Ack));

        // Assert: 64,240 bytes go; the 7,300 the window has left (under a third of it) wait (Linux tcp_tso_should_defer).
        Assert.Equal(new[] { 64_240 }, h.TakeAll().Select(s => s.Payload.Length));

        // The next ACK opens the window again: one full super-segment, across the first two writes.
        h.Process(Peer(Rcv, una + 64_240, TcpFlags.Ack));
        var second = h.TakeAll();
        Assert.Equal(new[] { (64_240, 2) }, second.Select(s => (s.Payload.Length, s.Chunks)));

        // What is left fits the window: it goes whole, the last piece a runt that ends the queue.
        h.Process(Peer(Rcv, una + 128_480, TcpFlags.Ack));
        var rest = h.TakeAll();
        Assert.Equal(new[] { 64_240, 3_888 }, rest.Select(s => s.Payload.Length));
        Assert.Equal(TcpFlags.Ack | TcpFlags.Psh, rest[^1].Flags);
        h.AssertNoLeak();
    }

    [Fact]
    public void Send_SmallWritesHeldByNagle_GoAsOneSegmentOnceTheAckArrives()
    {
        // Arrange: a runt in flight, so Nagle holds the small writes behind it.
        using var h = new CoreHarness();
        h.EstablishActive();
        h.Send(50);
        Assert.Equal(50, h.Take().Payload.Length);
        h.Send(10);
        h.Send(20);
        h.Send(15);
        h.ExpectNone();

        // Act
        h.Process(Peer(Rcv, Una + 50, TcpFlags.Ack));

        // Assert: one segment of all three writes, PSH since it ends the queue.
        var joined = h.Take();
        h.ExpectNone();
        Assert.Equal((Una + 50, 45, 3), (joined.Sequence, joined.Payload.Length, joined.Chunks));
        Assert.Equal(TcpFlags.Ack | TcpFlags.Psh, joined.Flags);
        Assert.Equal(Pattern(10).Concat(Pattern(20)).Concat(Pattern(15)).ToArray(), joined.Payload);
        h.AssertNoLeak();
    }

    [Fact]
    public void Send_SmallWritesAddingUpToAnMss_GoAsAFullSegmentAtOnce()
    {
        // Arrange: a runt in flight; 30 and 40 bytes are held by Nagle.
        using var h = new CoreHarness();
        h.EstablishActive();
        h.Send(50);
        h.TakeAll();
        h.Send(30);
        h.Send(40);
        h.ExpectNone();

        // Act: a third write makes a full segment's worth.
        h.Send(60);

        // Assert: a full-sized segment across three chunks leaves at once; the 30-byte rest waits for the ACK.
        var full = h.Take();
        h.ExpectNone();
        Assert.Equal((Una + 50, 100, 3), (full.Sequence, full.Payload.Length, full.Chunks));
        Assert.Equal(TcpFlags.Ack, full.Flags);
        h.Process(Peer(Rcv, Una + 50, TcpFlags.Ack));
        var rest = h.Take();
        Assert.Equal((Una + 150, 30), (rest.Sequence, rest.Payload.Length));
        Assert.Equal(Pattern(60).Skip(30).ToArray(), rest.Payload);
        h.AssertNoLeak();
    }

    [Fact]
    public void Poll_RtoExpiresOnASegmentAcrossTwoChunks_ResendsTheBytesOfBothAndReleasesEachChunkWhenAcked()
    {
        // Arrange: a 50-byte runt in flight, then two writes of 150: 100 | 100 across the boundary (50 + 50) | 100.
        using var h = new CoreHarness();
        h.EstablishActive();
        h.Send(50);
        var first = h.Send(150);
        var second = h.Send(150);
        var sent = h.TakeAll();
        Assert.Equal(new[] { 50, 100, 100, 100 }, sent.Select(s => s.Payload.Length));
        Assert.Equal(new[] { 1, 1, 2, 1 }, sent.Select(s => s.Chunks));
        h.Process(Peer(Rcv, Una + 150, TcpFlags.Ack));
        Assert.Equal(new[] { first, second }, h.Connection.Chunks);
        Assert.Equal(1, h.Host.ChunksReleasedCount);

        // Act: the segment across the boundary is lost; the RTO resends it.
        h.Advance(h.Connection.RtoDeadline!.Value - h.Now);

        // Assert: the last 50 bytes of the first write and the first 50 of the second, one segment.
        var resent = h.Take();
        Assert.Equal((Una + 150, 100, 2), (resent.Sequence, resent.Payload.Length, resent.Chunks));
        Assert.Equal(Pattern(150).Skip(100).Concat(Pattern(150).Take(50)).ToArray(), resent.Payload);
        Assert.Equal(1L, h.Connection.Retransmits);

        // The first chunk goes once all of it is acknowledged, the second only with its last byte.
        h.Process(Peer(Rcv, Una + 250, TcpFlags.Ack));
        Assert.Equal(new[] { second }, h.Connection.Chunks);
        Assert.Equal(default, first.Node);
        Assert.NotEqual(default, second.Node);
        h.Process(Peer(Rcv, Una + 349, TcpFlags.Ack));
        Assert.Single(h.Connection.Chunks);
        h.Process(Peer(Rcv, Una + 350, TcpFlags.Ack));
        Assert.Empty(h.Connection.Chunks);
        Assert.Equal(3, h.Host.ChunksReleasedCount);
        h.AssertNoLeak();
    }

    [Fact]
    public void Send_ManyTinyWritesHeldByNagle_ASegmentTouchesAtMostTheChunkBound()
    {
        // Arrange: a runt in flight; Nagle holds one-byte writes up to the bound.
        using var h = new CoreHarness();
        h.EstablishActive();
        h.Send(50);
        h.TakeAll();
        for (int i = 0; i < TcpConnection.MaxChunksPerSegment; i++)
        {
            h.Send(1);
        }

        h.ExpectNone();

        // Act: one write more than a segment may touch.
        h.Send(1);

        // Assert: the bound cuts a segment short of the queue's end; like a chunk's end before, it goes at once.
        var cut = h.Take();
        h.ExpectNone();
        Assert.Equal((Una + 50, TcpConnection.MaxChunksPerSegment, TcpConnection.MaxChunksPerSegment), (cut.Sequence, cut.Payload.Length, cut.Chunks));
        h.Send(1);
        h.Send(1);
        h.Send(1);
        h.ExpectNone();
        h.Process(Peer(Rcv, Una + 50 + (uint)TcpConnection.MaxChunksPerSegment, TcpFlags.Ack));
        var rest = h.Take();
        Assert.Equal((4, 4), (rest.Payload.Length, rest.Chunks));
        h.AssertNoLeak();
    }

    /// <summary>Slow start until cwnd reaches <paramref name="target"/>: full segments sent and acknowledged one MSS at a time. Returns SND.UNA.</summary>
    private static uint GrowCwnd(CoreHarness h, int target)
    {
        uint una = Una;
        while (h.Connection.Congestion.Cwnd < target)
        {
            int round = h.Connection.Congestion.Cwnd / RealMss * RealMss;
            h.Send(round);
            Assert.Equal(round, h.TakeAll().Sum(s => s.Payload.Length));
            for (int acked = 0; acked < round; acked += RealMss)
            {
                una += RealMss;
                h.Process(Peer(Rcv, una, TcpFlags.Ack));
            }

            h.TakeAll();
            Assert.Empty(h.Connection.Chunks);
        }

        return una;
    }

    /// <summary>The bytes <see cref="CoreHarness.Send"/> writes: 0, 1, 2, ... mod 251.</summary>
    private static IEnumerable<byte> Pattern(int length) => Enumerable.Range(0, length).Select(i => (byte)(i % 251));
}
