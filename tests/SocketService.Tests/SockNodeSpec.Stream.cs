using Edsos.Memory;
using Edsos.Protocol;
using Edsos.Protocol.Wire;
using static Edsos.Protocol.InetProtocol;
using static Edsos.SocketService.SocketProtocol;

namespace Edsos.SocketService.Tests;

/// <summary>
/// Who gives a stream socket's port back: the socket itself when it never had a connection, TCP (after
/// TIME_WAIT) when it had one, handed over with the close, naming the endpoint as the family bound it.
/// </summary>
public sealed class SockNodeStreamSpec : SocketSpecBase
{
    private static readonly Ipv4Endpoint s_autobound = new(Ipv4Address.Any, 49152);
    private static readonly Ipv4Endpoint s_connection = new(Ipv4Address.Parse("10.0.0.1"), 49152);
    private const ulong ConnectionId = 42;

    [Fact]
    public void Close_ConnectedAfterAutobind_HandsTheWildcardBindingToTcpAndDoesNotUnbind()
    {
        var (node, _) = StartSocket(type: SocketKind.Stream);
        Connect(node);

        node.Tell(new CloseSocket(2), TestActor);

        var close = Tx.ExpectMsg<StreamClose>();
        Assert.Equal(new StreamClose(ConnectionId, Abort: false, s_autobound), close);
        Assert.Equal(Errno.None, ExpectMsg<SocketReply>(r => r.ReqId == 2).Error);
        Family.ExpectNoMsg(Short);
    }

    [Fact]
    public void Close_WhileConnecting_HandsTheBindingOverWithTheClose()
    {
        var (node, _) = StartSocket(type: SocketKind.Stream);
        node.Tell(new ConnectSocket(1, Peer, NonBlocking: true), TestActor);
        Family.ExpectMsg<BindRequest>();
        Family.Reply(new BindReply(Errno.None, s_autobound));
        var connect = Tx.ExpectMsg<StreamConnect>();
        Assert.Equal(Errno.EINPROGRESS, ExpectMsg<SocketReply>(r => r.ReqId == 1).Error);

        node.Tell(new CloseSocket(2), TestActor);

        // No connection id yet: the close names the connect request.
        Assert.Equal(new StreamCancelConnect(connect.ReqId, s_autobound), Tx.ExpectMsg<StreamCancelConnect>());
        Family.ExpectNoMsg(Short);
    }

    [Fact]
    public void Close_BoundButNeverConnected_UnbindsItselfAndTellsTcpNothing()
    {
        var (node, _) = StartSocket(type: SocketKind.Stream);
        node.Tell(new BindSocket(1, Local), TestActor);
        Family.ExpectMsg<BindRequest>();
        Family.Reply(new BindReply(Errno.None, Local));
        Assert.Equal(Errno.None, ExpectMsg<SocketReply>(r => r.ReqId == 1).Error);

        node.Tell(new CloseSocket(2), TestActor);

        Assert.Equal(new Unbind(6, Local), Family.ExpectMsg<Unbind>());
        Tx.ExpectNoMsg(Short);
    }

    [Fact]
    public void Connect_WhileItsBindIsInFlight_RepliesEalready()
    {
        var (node, _) = StartSocket(type: SocketKind.Stream);
        node.Tell(new ConnectSocket(1, Peer), TestActor);
        Family.ExpectMsg<BindRequest>();

        node.Tell(new ConnectSocket(2, Peer), TestActor);

        Assert.Equal(new SocketReply(2, Errno.EALREADY, 0), ExpectMsg<SocketReply>());
        Family.Reply(new BindReply(Errno.None, s_autobound));
        Assert.Equal(s_autobound, Tx.ExpectMsg<StreamConnect>().Local);
    }

    [Fact]
    public void Shutdown_WriteTwice_TellsTcpOnceAndLaterSendsGetEpipe()
    {
        var (node, ts) = StartSocket(type: SocketKind.Stream);
        Connect(node);

        node.Tell(new ShutdownSocket(2, 1), TestActor);
        node.Tell(new ShutdownSocket(3, 1), TestActor);
        var user = UserBuffer(Pattern(10));
        var ctrn = ShareToSocket(user, ts, 10);
        node.Tell(new SendReqEvent(4, ctrn, 10, null, false), TestActor);

        Assert.Equal(new StreamShutdown(ConnectionId), Tx.ExpectMsg<StreamShutdown>());
        Assert.Equal(new SocketReply(2, Errno.None, 0), ExpectMsg<SocketReply>());
        Assert.Equal(new SocketReply(3, Errno.None, 0), ExpectMsg<SocketReply>());
        Assert.Equal(new SendRespEvent(4, 0, Errno.EPIPE), ExpectMsg<SendRespEvent>());
        Tx.ExpectNoMsg(Short);
        Assert.Equal(MemoryError.Stale, Memory.Inspect(ts, ctrn).Error);
        Memory.Pop(UserTs, user).ThrowIfFailed();
    }

    [Fact]
    public void Recv_CopyIntoSmallerBuffer_SplitsTheSegmentAndOpensTheWindowByWhatWasRead()
    {
        var (node, ts) = StartSocket(type: SocketKind.Stream);
        Connect(node);
        var payload = Pattern(100);
        Deliver(node, ts, payload, Peer);

        node.Tell(new RecvReqEvent(2, RecvMode.Copy, UserTs, false, MaxLength: 30), TestActor);
        var first = ExpectMsg<RecvRespEvent>();
        node.Tell(new RecvReqEvent(3, RecvMode.Copy, UserTs, false, MaxLength: 0), TestActor);
        var rest = ExpectMsg<RecvRespEvent>();

        Assert.Equal(30, first.Length);
        Assert.Equal(payload[..30], ReadAll(UserTs, first.Data, 30));
        Assert.Equal(70, rest.Length);
        Assert.Equal(payload[30..], ReadAll(UserTs, rest.Data, 70));
        Assert.Equal(new StreamConsumed(ConnectionId, 30), Tx.ExpectMsg<StreamConsumed>());
        Assert.Equal(new StreamConsumed(ConnectionId, 70), Tx.ExpectMsg<StreamConsumed>());
        Memory.Pop(UserTs, first.Data).ThrowIfFailed();
        Memory.Pop(UserTs, rest.Data).ThrowIfFailed();
    }

    [Fact]
    public void Recv_ZeroCopyWithSegmentsQueued_JoinsThemIntoOneNodeWithOneMergeEachAndNoCopy()
    {
        var (node, ts) = StartSocket(type: SocketKind.Stream);
        Connect(node);
        byte[][] segments = [Pattern(100, seed: 1), Pattern(1460, seed: 2), Pattern(7, seed: 3), Pattern(1460, seed: 4)];
        foreach (var segment in segments)
        {
            Deliver(node, ts, segment, Peer);
        }

        var ops = new List<MemoryOp>();
        long payloadCopiedBefore = Memory.Counters.PayloadBytesCopied;
        using (Memory.Observe(record =>
        {
            lock (ops)
            {
                ops.Add(record.Op);
            }
        }))
        {
            node.Tell(new RecvReqEvent(2, RecvMode.ZeroCopy, UserTs, false), TestActor);
            var received = ExpectMsg<RecvRespEvent>();
            Assert.Equal(payloadCopiedBefore, Memory.Counters.PayloadBytesCopied);

            byte[] expected = [.. segments[0], .. segments[1], .. segments[2], .. segments[3]];
            Assert.Equal(Errno.None, received.Error);
            Assert.Equal(expected.Length, received.Length);
            Assert.Equal(expected, ReadAll(UserTs, received.Data, expected.Length));
            Assert.Equal(segments.Length, Memory.Inspect(UserTs, received.Data).Unwrap().Extents.Count);
            Assert.Equal(new StreamConsumed(ConnectionId, expected.Length), Tx.ExpectMsg<StreamConsumed>());
            Memory.Pop(UserTs, received.Data).ThrowIfFailed();
        }

        // The hand-over of four segments: three merges and one grant, and not one payload byte copied.
        lock (ops)
        {
            Assert.Equal(3, ops.Count(op => op == MemoryOp.Merge));
            Assert.Equal(1, ops.Count(op => op == MemoryOp.Grant));
        }

        node.Tell(new RecvReqEvent(3, RecvMode.ZeroCopy, UserTs, NonBlocking: true), TestActor);
        Assert.Equal(Errno.EAGAIN, ExpectMsg<RecvRespEvent>().Error);
        AssertNoLeaks();
    }

    [Fact]
    public void Recv_ZeroCopyWaitingWhenAPollsSegmentsArrive_AnsweredOnceWithAllOfThemJoined()
    {
        var (node, ts) = StartSocket(type: SocketKind.Stream);
        Connect(node);
        node.Tell(new RecvReqEvent(2, RecvMode.ZeroCopy, UserTs, false), TestActor);
        node.Tell(new RecvReqEvent(3, RecvMode.ZeroCopy, UserTs, false), TestActor);
        byte[][] segments = [Pattern(1460, seed: 1), Pattern(41, seed: 2)];
        TellBurst(node, ts, segments);

        // One read takes the poll's bytes together, as after Linux's softirq; the second read still waits.
        var received = ExpectMsg<RecvRespEvent>();
        byte[] expected = [.. segments[0], .. segments[1]];
        Assert.Equal((2UL, Errno.None, expected.Length), (received.ReqId, received.Error, received.Length));
        Assert.Equal(expected, ReadAll(UserTs, received.Data, expected.Length));
        Assert.Equal(new StreamConsumed(ConnectionId, expected.Length), Tx.ExpectMsg<StreamConsumed>());
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Memory.Pop(UserTs, received.Data).ThrowIfFailed();

        Deliver(node, ts, Pattern(10, seed: 3), Peer);
        var later = ExpectMsg<RecvRespEvent>();
        Assert.Equal((3UL, 10), (later.ReqId, later.Length));
        Memory.Pop(UserTs, later.Data).ThrowIfFailed();
        AssertNoLeaks();
    }

    [Fact]
    public void Recv_CopyWaitingWhenAPollsSegmentsArrive_OneReadCopiesThemAll()
    {
        var (node, ts) = StartSocket(mode: DataPathMode.Copy, type: SocketKind.Stream);
        Connect(node);
        node.Tell(new RecvReqEvent(2, RecvMode.Copy, UserTs, false, MaxLength: 2500), TestActor);
        byte[][] segments = [Pattern(1000, seed: 1), Pattern(1000, seed: 2)];
        TellBurst(node, ts, segments);
        var read = ExpectMsg<RecvRespEvent>();

        byte[] stream = [.. segments[0], .. segments[1]];
        Assert.Equal(2000, read.Length);
        Assert.Equal(stream, ReadAll(UserTs, read.Data, 2000));
        Assert.Equal(new StreamConsumed(ConnectionId, 2000), Tx.ExpectMsg<StreamConsumed>());
        node.Tell(new RecvReqEvent(3, RecvMode.Copy, UserTs, NonBlocking: true, MaxLength: 2500), TestActor);
        Assert.Equal(Errno.EAGAIN, ExpectMsg<RecvRespEvent>().Error);
        Memory.Pop(UserTs, read.Data).ThrowIfFailed();
        AssertNoLeaks();
    }

    /// <summary>TCP's hand-over of one receive poll's data: <paramref name="segments"/> in one <see cref="DatagramReceivedBatchEvent"/>.</summary>
    private void TellBurst(IActorRef node, TsId ts, byte[][] segments)
    {
        var burst = new DatagramReceivedBatchEvent();
        foreach (var segment in segments)
        {
            burst.Add(Received(ts, segment));
        }

        node.Tell(burst);
    }

    [Fact]
    public void Recv_CopyWithSegmentsQueued_FillsTheBufferAcrossSegmentsAndLeavesTheRestInOrder()
    {
        var (node, ts) = StartSocket(mode: DataPathMode.Copy, type: SocketKind.Stream);
        Connect(node);
        byte[][] segments = [Pattern(1000, seed: 1), Pattern(1000, seed: 2), Pattern(1000, seed: 3)];
        foreach (var segment in segments)
        {
            Deliver(node, ts, segment, Peer);
        }

        // As Linux's tcp_recvmsg: the first read fills its 2500 bytes (two segments and half the third, divided, not
        // copied), the second takes the 500 left.
        long payloadCopiedBefore = Memory.Counters.PayloadBytesCopied;
        node.Tell(new RecvReqEvent(2, RecvMode.Copy, UserTs, false, MaxLength: 2500), TestActor);
        var first = ExpectMsg<RecvRespEvent>();
        node.Tell(new RecvReqEvent(3, RecvMode.Copy, UserTs, false, MaxLength: 2500), TestActor);
        var rest = ExpectMsg<RecvRespEvent>();
        Assert.Equal(payloadCopiedBefore, Memory.Counters.PayloadBytesCopied);

        byte[] stream = [.. segments[0], .. segments[1], .. segments[2]];
        Assert.Equal(2500, first.Length);
        Assert.Equal(stream[..2500], ReadAll(UserTs, first.Data, 2500));
        Assert.Equal(500, rest.Length);
        Assert.Equal(stream[2500..], ReadAll(UserTs, rest.Data, 500));
        Assert.Equal(new StreamConsumed(ConnectionId, 2500), Tx.ExpectMsg<StreamConsumed>());
        Assert.Equal(new StreamConsumed(ConnectionId, 500), Tx.ExpectMsg<StreamConsumed>());
        Memory.Pop(UserTs, first.Data).ThrowIfFailed();
        Memory.Pop(UserTs, rest.Data).ThrowIfFailed();
        AssertNoLeaks();
    }

    /// <summary>A blocking connect: autobind on 0.0.0.0, then TCP reports the connection on the routed address.</summary>
    [Fact]
    public void Recv_QueuedBytesRevokedByTheDriversDeath_EnetdownStreamFailedAndTcpReset()
    {
        var (node, ts) = StartSocket(type: SocketKind.Stream);
        Connect(node);
        Deliver(node, ts, Pattern(700), from: Peer);

        // The NIC driver's TS dies: the bytes queued in the socket, shared from its RX buffers, are revoked.
        Memory.Lift(RxTs);
        node.Tell(new RecvReqEvent(7, RecvMode.ZeroCopy, UserTs, false), TestActor);

        // Bytes TCP acknowledged are gone: this read and every later call fail ENETDOWN (not EFAULT: the buffer was
        // the app's to give), and TCP is told to reset the connection rather than go on with a hole in the stream.
        Assert.Equal(Errno.ENETDOWN, ExpectMsg<RecvRespEvent>(r => r.ReqId == 7).Error);
        Tx.ExpectMsg<StreamConsumed>();
        Assert.Equal(new StreamClose(ConnectionId, Abort: true), Tx.ExpectMsg<StreamClose>());
        node.Tell(new RecvReqEvent(8, RecvMode.ZeroCopy, UserTs, false), TestActor);
        Assert.Equal(Errno.ENETDOWN, ExpectMsg<RecvRespEvent>(r => r.ReqId == 8).Error);
        node.Tell(new GetSocketOption(9, SocketOption.Error), TestActor);
        Assert.Equal((long)Errno.ENETDOWN, ExpectMsg<SocketReply>(r => r.ReqId == 9).Value);
        AssertNoLeaks();
    }

    private void Connect(IActorRef node)
    {
        node.Tell(new ConnectSocket(1, Peer), TestActor);
        Assert.Equal(new Ipv4Endpoint(Ipv4Address.Any, 0), Family.ExpectMsg<BindRequest>().Local);
        Family.Reply(new BindReply(Errno.None, s_autobound));
        var connect = Tx.ExpectMsg<StreamConnect>();
        Assert.Equal(s_autobound, connect.Local);
        Tx.Reply(new StreamConnected(connect.ReqId, Errno.None, s_connection, Peer, ConnectionId));
        Assert.Equal(Errno.None, ExpectMsg<SocketReply>(r => r.ReqId == 1).Error);
    }
}
