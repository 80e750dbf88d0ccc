using Edsos.Protocol.Tcp;
using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Tests.Tcp;

/// <summary>
/// RFC 1122 4.2.2.13: data that arrives after the app closed its socket has no reader, so TCP resets the
/// connection (Linux's TCPAbortOnData) instead of holding it while the peer waits for a window that never opens.
/// A retransmission of bytes already received is not new data: it is only acknowledged.
/// </summary>
public sealed class TcpAbortOnDataSpec : TcpSpecBase
{
    private const uint PeerIss = 9000;

    [Fact]
    public async Task Close_PeerSendsNewDataInFinWait_ResetAndTheConnectionIsGone()
    {
        StartTcp();
        Established(PeerIss);
        Tcp.Tell(new InetProtocol.StreamClose(ConnectionId, Abort: false), Socket.Ref);
        Socket.ExpectMsg<InetProtocol.StreamReleased>();
        Assert.Equal(TcpFlags.Fin | TcpFlags.Ack, TakeSegment().Header.Flags);

        // The peer has not seen our FIN yet and keeps streaming.
        DeliverSegment(Segment(PeerIss + 1, OurIss + 1, TcpFlags.Ack), new byte[100]);

        var (reset, _) = TakeSegment();
        Assert.True((reset.Flags & TcpFlags.Rst) != 0, $"expected a reset, got {reset.Flags}");
        Assert.Equal(OurIss + 2, reset.Sequence);
        Assert.Empty(await ConnectionsAsync());
        await StopTcpAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task HalfClose_PeerSendsData_StillDelivered()
    {
        StartTcp();
        Established(PeerIss);
        Tcp.Tell(new InetProtocol.StreamShutdown(ConnectionId), Socket.Ref);
        Assert.Equal(TcpFlags.Fin | TcpFlags.Ack, TakeSegment().Header.Flags);

        DeliverSegment(Segment(PeerIss + 1, OurIss + 2, TcpFlags.Ack), new byte[100]);

        Assert.Equal(100, ReceiveStream().Length);
        Assert.Equal(TcpState.FinWait2, (await OnlyConnectionAsync()).State);
        Tcp.Tell(new InetProtocol.StreamClose(ConnectionId, Abort: false), Socket.Ref);
        await StopTcpAndAssertNoLeakAsync();
    }
}
