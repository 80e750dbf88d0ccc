using Edsos.Protocol.Inet;
using Edsos.Protocol.Tcp;
using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Tests.Tcp;

/// <summary>
/// TIME_WAIT keeps its 4-tuple for 2·MSL: the closing socket's port stays bound in the family until then (no
/// bind, no connect from it), a SYN for the tuple is handled per RFC 9293 / RFC 6191, and afterwards the port
/// is free and the family's table is back where it was.
/// </summary>
public sealed class TcpTimeWaitSpec : TcpSpecBase
{
    private const uint PeerIss = 9000;
    private const ushort ClientPort = 45000;
    private static readonly TimeSpan s_msl = TimeSpan.FromSeconds(1);

    private static Ipv4Endpoint Client => new(OurIp, ClientPort);

    [Fact]
    public async Task ActiveClose_TimeWait_HoldsThePortFor2MslThenGivesItBack()
    {
        StartTcp(o => o with { Msl = s_msl });
        var bound = BindTcp(ClientPort);
        Assert.Equal(Errno.None, bound.Error);
        ulong id = ConnectFrom(bound.Bound);

        // close(): the socket hands its binding over; FIN, the peer's ACK and FIN, our ACK: TIME_WAIT.
        Tcp.Tell(new InetProtocol.StreamClose(id, Abort: false, bound.Bound), Socket.Ref);
        // Nothing of the socket's is held (no unacknowledged data): TCP answers the close at once.
        Socket.ExpectMsg<InetProtocol.StreamReleased>();
        var (fin, _) = TakeSegment();
        Assert.Equal(TcpFlags.Fin | TcpFlags.Ack, fin.Flags);
        DeliverSegment(Segment(PeerIss + 1, OurIss + 2, TcpFlags.Fin | TcpFlags.Ack), to: Client);
        Assert.Equal(PeerIss + 2, TakeSegment().Header.Acknowledgement);
        var info = await OnlyConnectionAsync();
        Assert.Equal((TcpState.TimeWait, true), (info.State, info.HoldsPort));

        // The port is taken: bind fails, and so does a connect from it to the same peer.
        Assert.Equal(1, (await FamilyCountersAsync()).Bindings);
        Assert.Equal(Errno.EADDRINUSE, BindTcp(ClientPort).Error);
        ulong reqId = NextReqId();
        Tcp.Tell(new InetProtocol.StreamConnect(reqId, Client, Peer, Socket.Ref, SocketTs), Socket.Ref);
        Assert.Equal(Errno.EADDRINUSE, Socket.ExpectMsg<InetProtocol.StreamConnected>().Error);
        Assert.Equal(1L, (await TcpCountersAsync()).ConnectsRefusedInUse);

        // Just short of 2·MSL it still is.
        AdvanceClock(2 * s_msl - TimeSpan.FromMilliseconds(100));
        Assert.Equal(TcpState.TimeWait, (await OnlyConnectionAsync()).State);
        Assert.Equal(Errno.EADDRINUSE, BindTcp(ClientPort).Error);

        // After 2·MSL the TCB is gone and the family has the port back.
        AdvanceClock(TimeSpan.FromMilliseconds(150));
        Assert.Empty(await ConnectionsAsync());
        Assert.Equal(0, (await FamilyCountersAsync()).Bindings);
        var again = BindTcp(ClientPort);
        Assert.Equal(Errno.None, again.Error);
        Unbind(again.Bound);
        ExpectNoSegment();
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task TimeWait_RetransmittedFin_AckedAgainAndTheWaitRestarts()
    {
        StartTcp(o => o with { Msl = s_msl });
        var bound = BindTcp(ClientPort);
        ulong id = ConnectFrom(bound.Bound);
        Tcp.Tell(new InetProtocol.StreamClose(id, Abort: false, bound.Bound), Socket.Ref);
        // Nothing of the socket's is held (no unacknowledged data): TCP answers the close at once.
        Socket.ExpectMsg<InetProtocol.StreamReleased>();
        TakeSegment();
        DeliverSegment(Segment(PeerIss + 1, OurIss + 2, TcpFlags.Fin | TcpFlags.Ack), to: Client);
        TakeSegment();

        // Our last ACK was lost: the peer sends its FIN again 1.5 s in; we answer and wait 2·MSL from there.
        AdvanceClock(TimeSpan.FromMilliseconds(1500));
        DeliverSegment(Segment(PeerIss + 1, OurIss + 2, TcpFlags.Fin | TcpFlags.Ack), to: Client);
        var (reAck, _) = TakeSegment();
        Assert.Equal((TcpFlags.Ack, PeerIss + 2), (reAck.Flags, reAck.Acknowledgement));
        AdvanceClock(TimeSpan.FromMilliseconds(1000));
        Assert.Equal(TcpState.TimeWait, (await OnlyConnectionAsync()).State);
        AdvanceClock(TimeSpan.FromMilliseconds(1100));
        Assert.Empty(await ConnectionsAsync());
        Assert.Equal(0, (await FamilyCountersAsync()).Bindings);
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task TimeWait_SynBeyondRcvNxtWithListener_OpensANewIncarnationWithAHigherIss()
    {
        StartTcp(o => o with { Msl = s_msl });
        EnterServerTimeWait();
        var old = await OnlyConnectionAsync();
        Assert.Equal(TcpState.TimeWait, old.State);

        DeliverSegment(Segment(PeerIss + 100_000, 0, TcpFlags.Syn, mss: 1460));

        var (synAck, _) = TakeSegment();
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, synAck.Flags);
        Assert.Equal(PeerIss + 100_001, synAck.Acknowledgement);
        Assert.True(SeqNum.Ge(synAck.Sequence, old.SndMax + 65535), $"new ISS {synAck.Sequence} below the old SND.MAX {old.SndMax} plus the peer's window");
        DeliverSegment(Segment(PeerIss + 100_001, synAck.Sequence + 1, TcpFlags.Ack));
        var incoming = Socket.ExpectMsg<InetProtocol.StreamIncoming>();
        Assert.Equal(Peer, incoming.Remote);
        var fresh = await OnlyConnectionAsync();
        Assert.Equal(TcpState.Established, fresh.State);
        Assert.NotEqual(old.Id, fresh.Id);
        Assert.Equal(1L, (await TcpCountersAsync()).TimeWaitReopened);
        Attach(incoming.ConnectionId);
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task TimeWait_SynNotBeyondRcvNxt_ChallengeAckAndStillTimeWait()
    {
        StartTcp(o => o with { Msl = s_msl });
        EnterServerTimeWait();

        // An old duplicate SYN (at or below RCV.NXT) cannot open anything (RFC 1122 4.2.2.13).
        DeliverSegment(Segment(PeerIss, 0, TcpFlags.Syn, mss: 1460));

        var (challenge, _) = TakeSegment();
        Assert.Equal(TcpFlags.Ack, challenge.Flags);
        Assert.Equal(PeerIss + 2, challenge.Acknowledgement);
        Assert.Equal(TcpState.TimeWait, (await OnlyConnectionAsync()).State);
        var counters = await TcpCountersAsync();
        Assert.Equal((0L, 1L), (counters.TimeWaitReopened, counters.ChallengeAcks));
        Socket.ExpectNoMsg(Quiet);
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task Close_ConnectionAlreadyGone_PortGivenBackAtOnce()
    {
        StartTcp();
        var bound = BindTcp(ClientPort);
        Assert.Equal(1, (await FamilyCountersAsync()).Bindings);

        Tcp.Tell(new InetProtocol.StreamClose(ConnectionId: 4711, Abort: false, bound.Bound), Socket.Ref);
        // Nothing of the socket's is held (no unacknowledged data): TCP answers the close at once.
        Socket.ExpectMsg<InetProtocol.StreamReleased>();

        await AwaitAssertAsync(async () => Assert.Equal(0, (await FamilyCountersAsync()).Bindings));
        Assert.Equal(Errno.None, BindTcp(ClientPort).Error);
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task Close_WhileSynSent_ConnectAbortedNoMoreSynsPortGivenBack()
    {
        StartTcp();
        var bound = BindTcp(ClientPort);
        ulong reqId = NextReqId();
        Tcp.Tell(new InetProtocol.StreamConnect(reqId, bound.Bound, Peer, Socket.Ref, SocketTs), Socket.Ref);
        Assert.Equal(TcpFlags.Syn, TakeSegment().Header.Flags);

        // A socket closed while connecting has no connection id yet: it names its connect request.
        Tcp.Tell(new InetProtocol.StreamCancelConnect(reqId, bound.Bound), Socket.Ref);

        Assert.Equal(Errno.ECONNABORTED, Socket.ExpectMsg<InetProtocol.StreamConnected>().Error);
        Socket.ExpectMsg<InetProtocol.StreamReleased>();
        Assert.Empty(await ConnectionsAsync());
        Assert.Equal(0, (await FamilyCountersAsync()).Bindings);
        AdvanceClock(TimeSpan.FromSeconds(3));
        ExpectNoSegment();
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task CancelConnect_AfterTheHandshakeCompleted_ClosesTheConnectionWithAFin()
    {
        StartTcp();
        var bound = BindTcp(ClientPort);
        ulong reqId = NextReqId();
        Tcp.Tell(new InetProtocol.StreamConnect(reqId, bound.Bound, Peer, Socket.Ref, SocketTs), Socket.Ref);
        TakeSegment();
        DeliverSegment(Segment(PeerIss, OurIss + 1, TcpFlags.Syn | TcpFlags.Ack, mss: 1460), to: Client);
        TakeSegment();

        // The socket closed before it read the answer: it names the connect request, and TCP still finds the connection.
        Tcp.Tell(new InetProtocol.StreamCancelConnect(reqId, bound.Bound), Socket.Ref);
        Assert.Equal(Errno.None, Socket.ExpectMsg<InetProtocol.StreamConnected>().Error);
        Socket.ExpectMsg<InetProtocol.StreamReleased>();
        Assert.Equal(TcpFlags.Fin | TcpFlags.Ack, TakeSegment().Header.Flags);
        var info = await OnlyConnectionAsync();
        Assert.Equal((TcpState.FinWait1, true), (info.State, info.HoldsPort));
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task CancelConnect_FromAnotherSocket_LeavesTheConnectionAlone()
    {
        StartTcp();
        var bound = BindTcp(ClientPort);
        ulong reqId = NextReqId();
        Tcp.Tell(new InetProtocol.StreamConnect(reqId, bound.Bound, Peer, Socket.Ref, SocketTs), Socket.Ref);
        TakeSegment();
        var stranger = CreateTestProbe();
        Tcp.Tell(new InetProtocol.StreamCancelConnect(reqId), stranger.Ref);
        stranger.ExpectMsg<InetProtocol.StreamReleased>();
        Assert.Equal(TcpState.SynSent, (await OnlyConnectionAsync()).State);
        await StopAndAssertNoLeakAsync();
    }

    private InetProtocol.BindReply BindTcp(ushort port)
    {
        Stack.Family.Tell(new InetProtocol.BindRequest((int)IpProtocol.Tcp, new Ipv4Endpoint(Ipv4Address.Any, port), Socket.Ref, SocketTs), Socket.Ref);
        return Socket.ExpectMsg<InetProtocol.BindReply>();
    }

    private void Unbind(Ipv4Endpoint bound) => Stack.Family.Tell(new InetProtocol.Unbind((int)IpProtocol.Tcp, bound), Socket.Ref);

    private Task<InetFamilyCounters> FamilyCountersAsync() => CountersAsync<InetFamilyCounters>(Stack.Family);

    /// <summary>An active open from <paramref name="local"/> to the peer, handshake done.</summary>
    private ulong ConnectFrom(Ipv4Endpoint local)
    {
        ulong reqId = NextReqId();
        Tcp.Tell(new InetProtocol.StreamConnect(reqId, local, Peer, Socket.Ref, SocketTs), Socket.Ref);
        Assert.Equal(TcpFlags.Syn, TakeSegment().Header.Flags);
        DeliverSegment(Segment(PeerIss, OurIss + 1, TcpFlags.Syn | TcpFlags.Ack, mss: 1460), to: Client);
        Assert.Equal(PeerIss + 1, TakeSegment().Header.Acknowledgement);
        var connected = Socket.ExpectMsg<InetProtocol.StreamConnected>();
        Assert.Equal(Errno.None, connected.Error);
        Assert.NotEqual(0UL, connected.ConnectionId);
        return connected.ConnectionId;
    }

    /// <summary>Our server side closes first: FIN, the peer's FIN+ACK, our ACK: TIME_WAIT on (7, peer).</summary>
    private void EnterServerTimeWait()
    {
        Established(PeerIss);
        Tcp.Tell(new InetProtocol.StreamClose(ConnectionId, Abort: false), Socket.Ref);
        // Nothing of the socket's is held (no unacknowledged data): TCP answers the close at once.
        Socket.ExpectMsg<InetProtocol.StreamReleased>();
        Assert.Equal(TcpFlags.Fin | TcpFlags.Ack, TakeSegment().Header.Flags);
        DeliverSegment(Segment(PeerIss + 1, OurIss + 2, TcpFlags.Fin | TcpFlags.Ack));
        Assert.Equal(PeerIss + 2, TakeSegment().Header.Acknowledgement);
    }
}
