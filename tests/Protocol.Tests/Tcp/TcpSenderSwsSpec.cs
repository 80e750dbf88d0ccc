using Edsos.Protocol.Tcp;
using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Tests.Tcp;

/// <summary>
/// Sender silly-window-syndrome avoidance with nothing in flight (RFC 9293 3.8.6.2.1): a window that allows only
/// a runt holds the data until it opens to a full segment, or until the override timeout sends what fits.
/// </summary>
public sealed class TcpSenderSwsSpec : TcpSpecBase
{
    private const uint PeerIss = 2000;
    private const uint RcvNxt = PeerIss + 1;
    private const uint SndNxt = OurIss + 1;

    [Fact]
    public async Task SmallWindowNothingInFlight_RuntHeldThenFullSegmentsOnceItOpens()
    {
        StartTcp();
        Established(PeerIss);
        ShrinkPeerWindowTo(100);

        Send(1, TestFrames.Pattern(3000));

        // 100 bytes would fit, but they are a runt next to a 65535-byte maximum window: nothing goes.
        ExpectNoSegment();

        // The window opens: whole segments go, and the 80-byte tail with them: it is the write's last piece
        // and no other short segment is unacknowledged (Nagle with Minshall's refinement).
        DeliverSegment(Segment(RcvNxt, SndNxt, TcpFlags.Ack, window: 3000));
        var (first, firstPayload) = TakeSegment();
        var (second, secondPayload) = TakeSegment();
        var (third, thirdPayload) = TakeSegment();
        Assert.Equal((SndNxt, 1460), (first.Sequence, firstPayload.Length));
        Assert.Equal((SndNxt + 1460, 1460), (second.Sequence, secondPayload.Length));
        Assert.Equal((SndNxt + 2920, 80), (third.Sequence, thirdPayload.Length));
        ExpectNoSegment();
        await StopTcpAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task SmallWindowThatNeverGrows_OverrideTimeoutSendsWhatFits()
    {
        StartTcp();
        Established(PeerIss);
        ShrinkPeerWindowTo(100);

        Send(1, TestFrames.Pattern(3000));
        ExpectNoSegment();

        // The persist timer (RTO, 200 ms here) doubles as the override timeout.
        AdvanceClock(TimeSpan.FromMilliseconds(250));

        var (segment, payload) = TakeSegment();
        Assert.Equal((SndNxt, 100), (segment.Sequence, payload.Length));
        Assert.Equal(TestFrames.Pattern(3000)[..100], payload);
        Assert.Equal(0L, (await TcpCountersAsync()).ZeroWindowProbes);
        await StopTcpAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task PeerWhoseLargestWindowIsSmall_SegmentsFillItWithoutWaiting()
    {
        // Half the largest window the peer ever offered is a fair segment (RFC 9293 3.8.6.2.1 Fs = 1/2).
        StartTcp();
        Established(PeerIss, window: 600);

        Send(1, TestFrames.Pattern(3000));

        var (segment, payload) = TakeSegment();
        Assert.Equal((SndNxt, 600), (segment.Sequence, payload.Length));
        await StopTcpAndAssertNoLeakAsync();
    }

    /// <summary>The peer's window update to <paramref name="window"/> bytes, applied before the test goes on.</summary>
    private void ShrinkPeerWindowTo(ushort window)
    {
        DeliverSegment(Segment(RcvNxt, SndNxt, TcpFlags.Ack, window));
        AwaitAssert(() => Assert.Equal((uint)window, OnlyConnectionAsync().GetAwaiter().GetResult().SndWnd));
    }
}
