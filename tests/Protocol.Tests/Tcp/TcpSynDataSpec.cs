using Edsos.Protocol.Tcp;
using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Tests.Tcp;

/// <summary>
/// RFC 9293 3.10.7.2 / 3.10.7.3: text on a SYN is queued and delivered once the connection is ESTABLISHED, in
/// order and exactly once, and our SYN-ACK does not acknowledge it before then.
/// </summary>
public sealed class TcpSynDataSpec : TcpSpecBase
{
    private const uint PeerIss = 7000;

    [Fact]
    public async Task PassiveOpen_SynCarriesData_NotAckedBySynAckDeliveredInOrderAfterHandshake()
    {
        StartTcp();
        Listen();
        var early = TestFrames.Pattern(100, seed: 1);

        DeliverSegment(Segment(PeerIss, 0, TcpFlags.Syn, mss: 1460), early);

        // The SYN-ACK acknowledges the SYN only: the data is not ours yet.
        var (synAck, _) = TakeSegment();
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, synAck.Flags);
        Assert.Equal(PeerIss + 1, synAck.Acknowledgement);
        Socket.ExpectNoMsg(Quiet);

        // The handshake completes: the held bytes are delivered and acknowledged at once.
        DeliverSegment(Segment(PeerIss + 1, OurIss + 1, TcpFlags.Ack));
        var (ack, _) = TakeSegment();
        Assert.Equal(TcpFlags.Ack, ack.Flags);
        Assert.Equal(PeerIss + 1 + 100, ack.Acknowledgement);
        var incoming = Socket.ExpectMsg<InetProtocol.StreamIncoming>();
        Attach(incoming.ConnectionId);
        Assert.Equal(early, ReceiveStream());

        // The stream goes on right after them.
        var next = TestFrames.Pattern(50, seed: 2);
        DeliverSegment(Segment(PeerIss + 101, OurIss + 1, TcpFlags.Ack | TcpFlags.Psh), next);
        Assert.Equal(next, ReceiveStream());
        var counters = await TcpCountersAsync();
        Assert.Equal((1L, 150L), (counters.SynDataHeld, counters.BytesDelivered));
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task PassiveOpen_PeerResendsSynDataWithMore_EveryByteDeliveredOnce()
    {
        StartTcp();
        Listen();
        var stream = TestFrames.Pattern(300, seed: 5);

        DeliverSegment(Segment(PeerIss, 0, TcpFlags.Syn, mss: 1460), stream[..100]);
        var (synAck, _) = TakeSegment();
        Assert.Equal(PeerIss + 1, synAck.Acknowledgement);

        // A peer that saw its SYN data go unacknowledged sends it again, with what follows, on the third segment
        // of the handshake: the overlap is trimmed, nothing is delivered twice.
        DeliverSegment(Segment(PeerIss + 1, OurIss + 1, TcpFlags.Ack | TcpFlags.Psh), stream[..300]);
        Assert.Equal(PeerIss + 101, TakeSegment().Header.Acknowledgement);
        var incoming = Socket.ExpectMsg<InetProtocol.StreamIncoming>();
        Attach(incoming.ConnectionId);
        var received = new List<byte>();
        while (received.Count < 300)
        {
            received.AddRange(ReceiveStream());
        }

        Assert.Equal(stream, received.ToArray());
        Socket.ExpectNoMsg(Quiet);
        var info = await OnlyConnectionAsync();
        Assert.Equal(PeerIss + 301, info.RcvNxt);
        Assert.Equal(300L, (await TcpCountersAsync()).BytesDelivered);
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task PassiveOpen_SynWithDataRetransmitted_HeldCopyKeptOnce()
    {
        StartTcp();
        Listen();
        var early = TestFrames.Pattern(64, seed: 9);

        DeliverSegment(Segment(PeerIss, 0, TcpFlags.Syn, mss: 1460), early);
        Assert.Equal(PeerIss + 1, TakeSegment().Header.Acknowledgement);
        DeliverSegment(Segment(PeerIss, 0, TcpFlags.Syn, mss: 1460), early);
        var (again, _) = TakeSegment();
        Assert.Equal((TcpFlags.Syn | TcpFlags.Ack, PeerIss + 1), (again.Flags, again.Acknowledgement));

        DeliverSegment(Segment(PeerIss + 1, OurIss + 1, TcpFlags.Ack));
        Assert.Equal(PeerIss + 65, TakeSegment().Header.Acknowledgement);
        Attach(Socket.ExpectMsg<InetProtocol.StreamIncoming>().ConnectionId);
        Assert.Equal(early, ReceiveStream());
        Socket.ExpectNoMsg(Quiet);
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task PassiveOpen_SynDataThenResetBeforeHandshake_NothingDeliveredNothingLeaked()
    {
        StartTcp();
        Listen();

        DeliverSegment(Segment(PeerIss, 0, TcpFlags.Syn, mss: 1460), TestFrames.Pattern(200));
        TakeSegment();
        DeliverSegment(Segment(PeerIss + 1, 0, TcpFlags.Rst));

        // (The RST goes through the receive worker: give it time before asking TCP directly.)
        Socket.ExpectNoMsg(Quiet);
        Assert.Empty(await ConnectionsAsync());
        Assert.Equal(0L, (await TcpCountersAsync()).BytesDelivered);
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task ActiveOpen_SynAckCarriesData_AckedAndDeliveredOnceEstablished()
    {
        StartTcp();
        ulong reqId = NextReqId();
        Tcp.Tell(new InetProtocol.StreamConnect(reqId, new Ipv4Endpoint(Ipv4Address.Any, 45000), Peer, Socket.Ref, SocketTs), Socket.Ref);
        var (syn, _) = TakeSegment();
        Assert.Equal(TcpFlags.Syn, syn.Flags);
        var early = TestFrames.Pattern(20, seed: 4);

        DeliverSegment(Segment(PeerIss, OurIss + 1, TcpFlags.Syn | TcpFlags.Ack, mss: 1460), early, to: new Ipv4Endpoint(OurIp, 45000));

        var (ack, _) = TakeSegment();
        Assert.Equal((TcpFlags.Ack, PeerIss + 21), (ack.Flags, ack.Acknowledgement));
        Assert.Equal(Errno.None, Socket.ExpectMsg<InetProtocol.StreamConnected>().Error);
        Assert.Equal(early, ReceiveStream());
        ExpectNoSegment();
        await StopAndAssertNoLeakAsync();
    }
}
