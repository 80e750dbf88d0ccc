using Edsos.Protocol.Tcp;
using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Tests.Tcp;

/// <summary>
/// RFC 7323 section 2 on a real stack: Window Scale offered on the SYN when the receive buffer exceeds 65535,
/// answered on a SYN-ACK only when the SYN carried it, applied only when both did, to every non-SYN window
/// both ways, and our scaled right edge never moving left.
/// </summary>
public sealed class TcpWindowScaleSpec : TcpSpecBase
{
    private const uint PeerIss = 3000;
    private const ushort LocalPort = 45000;

    private static Ipv4Endpoint Local => new(OurIp, LocalPort);

    [Fact]
    public async Task Connect_BufferAbove64KiB_SynOffersTheShiftThatFitsIt()
    {
        StartTcp(o => o with { ReceiveBuffer = 256 * 1024 });

        var syn = SendSyn();

        Assert.Equal((byte?)3, syn.WindowScale);
        Assert.Equal((ushort)65535, syn.Window);
        Assert.Equal((ushort)1460, syn.MaxSegmentSize);
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task Connect_BufferOf64KiB_SynOffersNoWindowScale()
    {
        StartTcp(o => o with { ReceiveBuffer = 65535 });

        var syn = SendSyn();

        Assert.Null(syn.WindowScale);
        Assert.Equal((ushort)65535, syn.Window);
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task Connect_PeerScalesToo_BothDirectionsScaledAfterTheSynAck()
    {
        StartTcp(o => o with { ReceiveBuffer = 256 * 1024 });
        SendSyn();

        // The SYN-ACK's own window (1000) is not scaled; its option says the peer's later ones are, by 2^2.
        DeliverSegment(Segment(PeerIss, OurIss + 1, TcpFlags.Syn | TcpFlags.Ack, 1000, 1460, windowScale: 2), to: Local);
        var (ack, _) = TakeSegment();
        Assert.Equal(TcpFlags.Ack, ack.Flags);
        Assert.Equal((ushort)(256 * 1024 >> 3), ack.Window);
        Assert.Equal(Errno.None, Socket.ExpectMsg<InetProtocol.StreamConnected>().Error);
        var info = await OnlyConnectionAsync();
        Assert.Equal((1000u, 2, 3), (info.SndWnd, info.SndWndShift, info.RcvWndShift));

        DeliverSegment(Segment(PeerIss + 1, OurIss + 1, TcpFlags.Ack, 1000), to: Local);
        await AwaitAssertAsync(async () => Assert.Equal(4000u, (await OnlyConnectionAsync()).SndWnd));
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task Connect_PeerWithoutWindowScale_NeitherSideScales()
    {
        StartTcp(o => o with { ReceiveBuffer = 256 * 1024 });
        SendSyn();

        DeliverSegment(Segment(PeerIss, OurIss + 1, TcpFlags.Syn | TcpFlags.Ack, 1000, 1460), to: Local);
        var (ack, _) = TakeSegment();

        // Our window can say at most 65535 now, whatever the buffer.
        Assert.Equal((ushort)65535, ack.Window);
        Assert.Equal(Errno.None, Socket.ExpectMsg<InetProtocol.StreamConnected>().Error);
        DeliverSegment(Segment(PeerIss + 1, OurIss + 1, TcpFlags.Ack, 1000), to: Local);
        Socket.ExpectNoMsg(Quiet);
        var info = await OnlyConnectionAsync();
        Assert.Equal((1000u, 0, 0), (info.SndWnd, info.SndWndShift, info.RcvWndShift));
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task Listen_SynWithWindowScale_SynAckCarriesOursWithAnUnscaledWindow()
    {
        StartTcp(o => o with { ReceiveBuffer = 256 * 1024 });
        Listen();

        var (id, synAck) = PeerConnects(PeerIss, window: 500, windowScale: 7);

        Assert.Equal((byte?)3, synAck.WindowScale);
        Assert.Equal((ushort)65535, synAck.Window);
        Attach(id);

        // The handshake's last ACK had window 500: 500 · 2^7.
        var info = await OnlyConnectionAsync();
        Assert.Equal((64000u, 7, 3), (info.SndWnd, info.SndWndShift, info.RcvWndShift));

        // Our next segment advertises the buffer scaled down by 2^3.
        DeliverSegment(Segment(PeerIss + 1, OurIss + 1, TcpFlags.Ack | TcpFlags.Psh, 500), TestFrames.Pattern(10));
        DeliverSegment(Segment(PeerIss + 11, OurIss + 1, TcpFlags.Ack | TcpFlags.Psh, 500), TestFrames.Pattern(10));
        var (ack, _) = TakeSegment();
        Assert.Equal(PeerIss + 21, ack.Acknowledgement);
        Assert.Equal(((256 * 1024) - 20) >> 3, ack.Window);
        ReceiveStream();
        ReceiveStream();
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task Listen_SynWithoutWindowScale_SynAckOmitsIt()
    {
        StartTcp(o => o with { ReceiveBuffer = 256 * 1024 });
        Listen();

        var (id, synAck) = PeerConnects(PeerIss, window: 500);

        Assert.Null(synAck.WindowScale);
        Attach(id);
        var info = await OnlyConnectionAsync();
        Assert.Equal((500u, 0, 0), (info.SndWnd, info.SndWndShift, info.RcvWndShift));
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task Listen_SmallBufferAndPeerScales_SynAckCarriesShiftZeroSoThePeerMayScale()
    {
        StartTcp(o => o with { ReceiveBuffer = 65535 });
        Listen();

        var (id, synAck) = PeerConnects(PeerIss, window: 500, windowScale: 7);

        Assert.Equal((byte?)0, synAck.WindowScale);
        Attach(id);
        var info = await OnlyConnectionAsync();
        Assert.Equal((64000u, 7, 0), (info.SndWnd, info.SndWndShift, info.RcvWndShift));
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task Listen_PeerShiftAbove14_UsedAs14()
    {
        StartTcp();
        Listen();

        var (id, _) = PeerConnects(PeerIss, window: 1, windowScale: 15);

        Attach(id);
        var info = await OnlyConnectionAsync();
        Assert.Equal((1u << 14, 14), (info.SndWnd, info.SndWndShift));
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task ScaledAdvertisement_UnreadDataFillsTheBuffer_RightEdgeNeverMovesLeftNorPastTheBuffer()
    {
        const int buffer = 256 * 1024;
        StartTcp(o => o with { ReceiveBuffer = buffer });
        Listen();
        var (id, _) = PeerConnects(PeerIss, windowScale: 0);
        Attach(id);

        // 1001-byte segments the app does not read: every second one is acknowledged. Each ACK's right edge
        // (ACK + window · 2^3) may stay or grow, never shrink (RFC 9293 3.8.6.2.2). Where the free space is not a
        // multiple of 8, keeping the edge means rounding up, by less than the scale's 8-byte granularity; otherwise
        // the edge is the buffer's. The odd segment size makes the free space a non-multiple of 8.
        uint firstByte = PeerIss + 1;
        uint bufferEdge = firstByte + (uint)buffer;
        uint previousEdge = firstByte + 65535; // the SYN-ACK's unscaled window
        uint sequence = firstByte;
        int acks = 0;
        int roundedUp = 0;
        for (int i = 0; i < 20; i++)
        {
            DeliverSegment(Segment(sequence, OurIss + 1, TcpFlags.Ack, 65535), TestFrames.Pattern(1001, seed: i));
            sequence += 1001;
            ReceiveStream();
            if (i % 2 == 1)
            {
                var (ack, _) = TakeSegment();
                Assert.Equal(sequence, ack.Acknowledgement);
                uint edge = ack.Acknowledgement + ((uint)ack.Window << 3);
                Assert.True(SeqNum.Ge(edge, previousEdge), $"right edge moved left: {edge} < {previousEdge}");
                Assert.True(SeqNum.Le(edge, SeqNum.Max(bufferEdge, previousEdge + 7)), $"right edge {edge} past the buffer edge {bufferEdge} and the previous {previousEdge}");
                if (SeqNum.Gt(edge, bufferEdge))
                {
                    roundedUp++;
                }

                previousEdge = edge;
                acks++;
            }
        }

        Assert.Equal(10, acks);
        Assert.True(roundedUp > 0, "the free space never fell off the 8-byte granularity: the rounding went untested");
        Assert.True(SeqNum.Lt(previousEdge, bufferEdge + (8u * 10)), $"edge {previousEdge} far past the buffer edge {bufferEdge}");
        Assert.Equal(20_020, (await OnlyConnectionAsync()).RcvUnread);
        await StopAndAssertNoLeakAsync();
    }

    private TcpRepr SendSyn()
    {
        ulong reqId = NextReqId();
        Tcp.Tell(new InetProtocol.StreamConnect(reqId, new Ipv4Endpoint(Ipv4Address.Any, LocalPort), Peer, Socket.Ref, SocketTs), Socket.Ref);
        var (syn, _) = TakeSegment();
        Assert.Equal(TcpFlags.Syn, syn.Flags);
        return syn;
    }
}
