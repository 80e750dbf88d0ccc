using Edsos.Memory;
using Edsos.Protocol;
using static Edsos.Protocol.InetProtocol;
using static Edsos.SocketService.SocketProtocol;

namespace Edsos.SocketService.Tests;

/// <summary>sock_node control: bind, connect, options, close.</summary>
public sealed partial class SockNodeSpec
{
    [Fact]
    public void Bind_AlreadyBound_RepliesEinval()
    {
        var (node, _) = StartBoundSocket();

        node.Tell(new BindSocket(2, Local), TestActor);

        Assert.Equal(Errno.EINVAL, ExpectMsg<SocketReply>().Error);
        Family.ExpectNoMsg(Short);
    }

    [Fact]
    public void Bind_FamilyRefuses_RepliesItsErrorAndStaysUnbound()
    {
        var (node, _) = StartSocket();

        node.Tell(new BindSocket(1, Local), TestActor);
        Family.ExpectMsg<BindRequest>();
        Family.Reply(new BindReply(Errno.EADDRINUSE, default));

        Assert.Equal(Errno.EADDRINUSE, ExpectMsg<SocketReply>().Error);
        node.Tell(new GetSocketStats(2), TestActor);
        Assert.Equal(SocketState.Unbound, ExpectMsg<SocketStats>().State);
    }

    [Fact]
    public void Connect_Unbound_AutobindsThenSendsWithoutDestinationToPeer()
    {
        var (node, ts) = StartSocket();

        node.Tell(new ConnectSocket(1, Peer), TestActor);
        Assert.Equal(0, Family.ExpectMsg<BindRequest>().Local.Port);
        Family.Reply(new BindReply(Errno.None, Local));
        Assert.Equal(Errno.None, ExpectMsg<SocketReply>().Error);

        var user = UserBuffer(Pattern(20));
        node.Tell(new SendReqEvent(2, ShareToSocket(user, ts, 20), 20, null, false), TestActor);
        Assert.Equal(Peer, CompleteNextXmit().Destination);
        Assert.Equal(new SendRespEvent(2, 20, Errno.None), ExpectMsg<SendRespEvent>());
        Memory.Pop(UserTs, user).ThrowIfFailed();
        AssertNoLeaks();
    }

    [Fact]
    public void Options_SetAndGet_RoundTripAndRejectBadValues()
    {
        var (node, _) = StartSocket();

        node.Tell(new GetSocketOption(1, SocketOption.SendBuffer), TestActor);
        Assert.Equal(SocketTableOptions.LinuxDefaultBuffer, ExpectMsg<SocketReply>().Value);
        node.Tell(new SetSocketOption(2, SocketOption.ReceiveBuffer, 4096), TestActor);
        Assert.Equal(Errno.None, ExpectMsg<SocketReply>().Error);
        node.Tell(new GetSocketOption(3, SocketOption.ReceiveBuffer), TestActor);
        Assert.Equal(4096, ExpectMsg<SocketReply>().Value);
        node.Tell(new SetSocketOption(4, SocketOption.SendBuffer, 0), TestActor);
        Assert.Equal(Errno.EINVAL, ExpectMsg<SocketReply>().Error);
        node.Tell(new SetSocketOption(5, SocketOption.Error, 1), TestActor);
        Assert.Equal(Errno.ENOPROTOOPT, ExpectMsg<SocketReply>().Error);
    }

    [Fact]
    public void Close_WithEveryQueueFull_AnswersEbadfPopsEverythingUnbindsAndExitsTs()
    {
        var (node, ts) = StartBoundSocket(sendBuffer: 1000);
        var a = UserBuffer(Pattern(800));
        var b = UserBuffer(Pattern(800));
        node.Tell(new SendReqEvent(1, ShareToSocket(a, ts, 800), 800, Peer, false), TestActor);
        var inFlight = Tx.ExpectMsg<XmitRequest>();
        node.Tell(new SendReqEvent(2, ShareToSocket(b, ts, 800), 800, Peer, false), TestActor);
        Deliver(node, ts, Pattern(300));
        Deliver(node, ts, Pattern(300));
        Watch(node);

        node.Tell(new CloseSocket(3), TestActor);

        var replies = ReceiveN(3);
        Assert.Contains(new SendRespEvent(1, 0, Errno.EBADF), replies);
        Assert.Contains(new SendRespEvent(2, 0, Errno.EBADF), replies);
        Assert.Contains(new SocketReply(3, Errno.None, 0), replies);
        Assert.Equal(new Unbind(17, Local), Family.ExpectMsg<Unbind>());
        ExpectTerminated(node);
        AwaitAssert(() => Assert.False(Memory.GetTs(ts).Alive));

        // The worker still had its own share; its late completion goes nowhere and leaks nothing.
        Memory.Pop(TxTs, inFlight.Payload).ThrowIfFailed();
        Memory.Pop(UserTs, a).ThrowIfFailed();
        Memory.Pop(UserTs, b).ThrowIfFailed();
        AssertNoLeaks();
    }

    [Fact]
    public void Close_WithPendingRecv_AnswersEbadf()
    {
        var (node, _) = StartBoundSocket();
        node.Tell(new RecvReqEvent(1, RecvMode.ZeroCopy, UserTs, false), TestActor);

        node.Tell(new CloseSocket(2), TestActor);

        Assert.Equal(Errno.EBADF, ExpectMsg<RecvRespEvent>().Error);
        Assert.Equal(new SocketReply(2, Errno.None, 0), ExpectMsg<SocketReply>());
    }

    [Fact]
    public void Send_AfterCloseStarted_RepliesEbadfAndPopsCtrn()
    {
        var (node, ts) = StartBoundSocket();
        var user = UserBuffer(Pattern(10));
        var ctrn = ShareToSocket(user, ts, 10);
        node.Tell(new CloseSocket(1), TestActor);
        node.Tell(new SendReqEvent(2, ctrn, 10, Peer, false), TestActor);

        ExpectMsg<SocketReply>();
        // Either the socket answers EBADF, or it has stopped and its TS exit lifted the CTRN.
        AwaitAssert(() => Assert.False(Memory.Inspect(ts, ctrn).IsOk));
        Memory.Pop(UserTs, user).ThrowIfFailed();
        AssertNoLeaks();
    }
}
