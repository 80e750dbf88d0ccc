using Edsos.Memory;
using Edsos.Protocol;
using static Edsos.Protocol.InetProtocol;
using static Edsos.SocketService.SocketProtocol;

namespace Edsos.SocketService.Tests;

/// <summary>The datagram socket's phases: calls that wait for a bind in flight, and the closed phase.</summary>
public sealed partial class SockNodeSpec
{
    [Fact]
    public void Send_SeveralWhileEphemeralBindInFlight_GoInOrderOnceBound()
    {
        var (node, ts) = StartSocket();
        var buffers = new[] { UserBuffer(Pattern(10)), UserBuffer(Pattern(20)), UserBuffer(Pattern(30)) };

        node.Tell(new SendReqEvent(1, ShareToSocket(buffers[0], ts, 10), 10, Peer, false), TestActor);
        Assert.Equal(0, Family.ExpectMsg<BindRequest>().Local.Port);
        node.Tell(new SendReqEvent(2, ShareToSocket(buffers[1], ts, 20), 20, Peer, false), TestActor);
        node.Tell(new SendReqEvent(3, ShareToSocket(buffers[2], ts, 30), 30, Peer, NonBlocking: true), TestActor);
        Family.Reply(new BindReply(Errno.None, Local));

        Assert.Equal(10, CompleteNextXmit().Length);
        Assert.Equal(20, CompleteNextXmit().Length);
        Assert.Equal(30, CompleteNextXmit().Length);
        Assert.Equal(new SendRespEvent(1, 10, Errno.None), ExpectMsg<SendRespEvent>());
        Assert.Equal(new SendRespEvent(2, 20, Errno.None), ExpectMsg<SendRespEvent>());
        Assert.Equal(new SendRespEvent(3, 30, Errno.None), ExpectMsg<SendRespEvent>());
        Family.ExpectNoMsg(Short);
        foreach (var buffer in buffers)
        {
            Memory.Pop(UserTs, buffer).ThrowIfFailed();
        }

        AssertNoLeaks();
    }

    [Fact]
    public void Close_WhileBindInFlight_AnswersEveryCallEbadfThenGivesTheLatePortBackAndExits()
    {
        var (node, ts) = StartSocket();
        node.Tell(new BindSocket(1, Local), TestActor);
        Family.ExpectMsg<BindRequest>();
        var user = UserBuffer(Pattern(10));
        var ctrn = ShareToSocket(user, ts, 10);
        node.Tell(new SendReqEvent(2, ctrn, 10, Peer, false), TestActor);
        node.Tell(new ConnectSocket(3, Peer), TestActor);
        Watch(node);

        node.Tell(new CloseSocket(4), TestActor);

        var replies = ReceiveN(4);
        Assert.Contains(new SendRespEvent(2, 0, Errno.EBADF), replies);
        Assert.Contains(new SocketReply(3, Errno.EBADF, 0), replies);
        Assert.Contains(new SocketReply(1, Errno.EBADF, 0), replies);
        Assert.Contains(new SocketReply(4, Errno.None, 0), replies);
        Assert.Equal(MemoryError.Stale, Memory.Inspect(ts, ctrn).Error);

        // Closed, and alive until the family answers: every call is EBADF.
        node.Tell(new GetSocketStats(5), TestActor);
        Assert.Equal(SocketState.Closed, ExpectMsg<SocketStats>().State);
        node.Tell(new RecvReqEvent(6, RecvMode.Copy, UserTs, false), TestActor);
        Assert.Equal(Errno.EBADF, ExpectMsg<RecvRespEvent>().Error);
        node.Tell(new SetSocketOption(7, SocketOption.SendBuffer, 100), TestActor);
        Assert.Equal(new SocketReply(7, Errno.EBADF, 0), ExpectMsg<SocketReply>());
        node.Tell(new CloseSocket(8), TestActor);
        Assert.Equal(new SocketReply(8, Errno.EBADF, 0), ExpectMsg<SocketReply>());
        Deliver(node, ts, Pattern(50));

        Family.Reply(new BindReply(Errno.None, Local));

        Assert.Equal(new Unbind(17, Local), Family.ExpectMsg<Unbind>());
        ExpectTerminated(node);
        Memory.Pop(UserTs, user).ThrowIfFailed();
        AssertNoLeaks();
    }

    [Fact]
    public void Connect_Open_ChangesTheDefaultPeerAndStatsSayConnected()
    {
        var (node, ts) = StartBoundSocket();
        var other = new Ipv4Endpoint(Peer.Address, 7001);

        node.Tell(new ConnectSocket(1, Peer), TestActor);
        ExpectMsg<SocketReply>(r => r.ReqId == 1);
        node.Tell(new ConnectSocket(2, other), TestActor);
        ExpectMsg<SocketReply>(r => r.ReqId == 2);
        node.Tell(new GetSocketStats(3), TestActor);
        var stats = ExpectMsg<SocketStats>();
        var user = UserBuffer(Pattern(10));
        node.Tell(new SendReqEvent(4, ShareToSocket(user, ts, 10), 10, null, false), TestActor);

        Assert.Equal(SocketState.Connected, stats.State);
        Assert.Equal(other, stats.Remote);
        Assert.Equal(other, CompleteNextXmit().Destination);
        ExpectMsg<SendRespEvent>();
        Memory.Pop(UserTs, user).ThrowIfFailed();
        AssertNoLeaks();
    }
}
