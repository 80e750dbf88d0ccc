using Edsos.Protocol.Tcp;
using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Tests.Tcp;

/// <summary>
/// Which segments may change the send window (RFC 9293 3.10.7.4 SND.WL1/SND.WL2, widened as Linux's
/// tcp_may_update_window): a segment that acknowledges new data always may, even when its sequence number is
/// below an earlier bare ACK's (the peer went back to resend lost data after ACKs numbered SND.MAX).
/// </summary>
public sealed class TcpWindowUpdateSpec : TcpSpecBase
{
    private const uint PeerIss = 5000;
    private const uint RcvNxt = PeerIss + 1;
    private const uint SndNxt = OurIss + 1;

    [Fact]
    public async Task ResentDataBelowAnEarlierAck_AcknowledgesNewData_ItsWindowIsTaken()
    {
        StartTcp();
        Established(PeerIss);
        Send(1, TestFrames.Pattern(100));
        TakeSegment();
        Socket.ExpectMsg<InetProtocol.XmitComplete>();

        // The peer's bare ACK numbered past data of its own that we never got (its SND.MAX): window 3000.
        DeliverSegment(Segment(RcvNxt + 1000, SndNxt, TcpFlags.Ack, window: 3000));
        await AwaitAssertAsync(async () => Assert.Equal(3000u, (await OnlyConnectionAsync()).SndWnd));

        // It resends from RCV.NXT, acknowledging our 100 bytes, with a larger window.
        DeliverSegment(Segment(RcvNxt, SndNxt + 100, TcpFlags.Ack, window: 20000), TestFrames.Pattern(1000));

        Assert.Equal(TestFrames.Pattern(1000), ReceiveStream());
        var connection = await OnlyConnectionAsync();
        Assert.Equal(SndNxt + 100, connection.SndUna);
        Assert.Equal(20000u, connection.SndWnd);
        await StopTcpAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task OldSegmentAcknowledgingNothingNew_BelowTheLastUpdate_WindowUnchanged()
    {
        StartTcp();
        Established(PeerIss);
        Send(1, TestFrames.Pattern(100));
        TakeSegment();
        Socket.ExpectMsg<InetProtocol.XmitComplete>();
        DeliverSegment(Segment(RcvNxt + 1000, SndNxt, TcpFlags.Ack, window: 3000));
        await AwaitAssertAsync(async () => Assert.Equal(3000u, (await OnlyConnectionAsync()).SndWnd));

        // Sequence below SND.WL1 and no new data acknowledged: an older segment, its window is stale.
        DeliverSegment(Segment(RcvNxt, SndNxt, TcpFlags.Ack, window: 20000), TestFrames.Pattern(1000));

        Assert.Equal(TestFrames.Pattern(1000), ReceiveStream());
        await AwaitAssertAsync(async () => Assert.Equal(3000u, (await OnlyConnectionAsync()).SndWnd));
        await StopTcpAndAssertNoLeakAsync();
    }
}
