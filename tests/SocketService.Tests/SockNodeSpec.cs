using Edsos.Memory;
using Edsos.Protocol;
using static Edsos.Protocol.InetProtocol;
using static Edsos.SocketService.SocketProtocol;

namespace Edsos.SocketService.Tests;

/// <summary>The send half of sock_node: send_q, the share to the transmit worker, completion, the send buffer.</summary>
public sealed partial class SockNodeSpec : SocketSpecBase
{
    [Fact]
    public void Send_ZeroCopy_QueuesCtrnSharesItToTxAndRepliesBytesOnCompletion()
    {
        var (node, ts) = StartBoundSocket();
        var payload = Pattern(1500);
        var user = UserBuffer(payload);
        var ctrn = ShareToSocket(user, ts, payload.Length);

        node.Tell(new SendReqEvent(1, ctrn, payload.Length, Peer, false), TestActor);

        var request = Tx.ExpectMsg<XmitRequest>();
        Assert.Equal(payload.Length, request.Length);
        Assert.Equal(Local, request.Source);
        Assert.Equal(Peer, request.Destination);
        var txInfo = Memory.Inspect(TxTs, request.Payload).Unwrap();
        Assert.True(txInfo.IsCtrn);
        Assert.Contains(UserTs, txInfo.Origins);
        Assert.Equal(payload, ReadAll(TxTs, request.Payload, payload.Length));
        // The socket keeps its own CTRN in send_q until the completion.
        Assert.True(Memory.Inspect(ts, ctrn).IsOk);
        Assert.Contains("send_q", Memory.Inspect(ts, ctrn).Value.Path);
        ExpectNoMsg(Short);

        Memory.Pop(TxTs, request.Payload).ThrowIfFailed();
        request.ReplyTo.Tell(new XmitComplete(request.RequestId, payload.Length, Errno.None));

        var response = ExpectMsg<SendRespEvent>();
        Assert.Equal(new SendRespEvent(1, payload.Length, Errno.None), response);
        Assert.Equal(MemoryError.Stale, Memory.Inspect(ts, ctrn).Error);
        Memory.Pop(UserTs, user).ThrowIfFailed();
        AssertNoLeaks();
    }

    [Fact]
    public void Send_ZeroCopy_CopiesNoPayloadByte()
    {
        var (node, ts) = StartBoundSocket();
        var user = UserBuffer(Pattern(9000));
        var before = Memory.Counters;

        node.Tell(new SendReqEvent(1, ShareToSocket(user, ts, 9000), 9000, Peer, false), TestActor);
        var request = Tx.ExpectMsg<XmitRequest>();
        var after = Memory.Counters;
        Memory.Pop(TxTs, request.Payload).ThrowIfFailed();
        request.ReplyTo.Tell(new XmitComplete(request.RequestId, 9000, Errno.None));
        ExpectMsg<SendRespEvent>(r => r.Bytes == 9000);

        Assert.Equal(before.PayloadBytesCopied, after.PayloadBytesCopied);
        Assert.Equal(before.CpuBytesCopied, after.CpuBytesCopied);
        Memory.Pop(UserTs, user).ThrowIfFailed();
        AssertNoLeaks();
    }

    [Fact]
    public void Send_CopyMode_CopiesPayloadExactlyOnceAndPopsUserCtrnAtOnce()
    {
        var (node, ts) = StartBoundSocket(DataPathMode.Copy);
        var payload = Pattern(5000);
        var user = UserBuffer(payload);
        var ctrn = ShareToSocket(user, ts, payload.Length);
        var before = Memory.Counters.PayloadBytesCopied;

        node.Tell(new SendReqEvent(1, ctrn, payload.Length, Peer, false), TestActor);

        // Linux semantics: the send returns once the data is in the kernel buffer.
        Assert.Equal(new SendRespEvent(1, payload.Length, Errno.None), ExpectMsg<SendRespEvent>());
        Assert.Equal(payload.Length, Memory.Counters.PayloadBytesCopied - before);
        Assert.Equal(MemoryError.Stale, Memory.Inspect(ts, ctrn).Error);
        var request = Tx.ExpectMsg<XmitRequest>();
        var txInfo = Memory.Inspect(TxTs, request.Payload).Unwrap();
        Assert.DoesNotContain(UserTs, txInfo.Origins);
        Assert.Equal(payload, ReadAll(TxTs, request.Payload, payload.Length));
        Memory.Pop(UserTs, user).ThrowIfFailed();

        Memory.Pop(TxTs, request.Payload).ThrowIfFailed();
        request.ReplyTo.Tell(new XmitComplete(request.RequestId, payload.Length, Errno.None));
        AssertNoLeaks();
        Assert.Equal(payload.Length, Memory.Counters.PayloadBytesCopied - before);
    }

    [Fact]
    public void Send_NoDestinationOnUnconnectedSocket_RepliesEdestaddrreqAndPopsCtrn()
    {
        var (node, ts) = StartBoundSocket();
        var user = UserBuffer(Pattern(100));

        node.Tell(new SendReqEvent(1, ShareToSocket(user, ts, 100), 100, null, false), TestActor);

        Assert.Equal(new SendRespEvent(1, 0, Errno.EDESTADDRREQ), ExpectMsg<SendRespEvent>());
        Tx.ExpectNoMsg(Short);
        Memory.Pop(UserTs, user).ThrowIfFailed();
        AssertNoLeaks();
    }

    [Fact]
    public void Send_AboveMaxPayload_RepliesEmsgsizeAndPopsCtrn()
    {
        var (node, ts) = StartBoundSocket();
        var user = UserBuffer(new byte[65508]);

        node.Tell(new SendReqEvent(1, ShareToSocket(user, ts, 65508), 65508, Peer, false), TestActor);

        Assert.Equal(new SendRespEvent(1, 0, Errno.EMSGSIZE), ExpectMsg<SendRespEvent>());
        Tx.ExpectNoMsg(Short);
        Memory.Pop(UserTs, user).ThrowIfFailed();
        AssertNoLeaks();
    }

    [Fact]
    public void Send_Unbound_BindsEphemeralPortFirst()
    {
        var (node, ts) = StartSocket();
        var user = UserBuffer(Pattern(64));

        node.Tell(new SendReqEvent(1, ShareToSocket(user, ts, 64), 64, Peer, false), TestActor);

        var bind = Family.ExpectMsg<BindRequest>();
        Assert.Equal(0, bind.Local.Port);
        Assert.Equal(ts, bind.SocketTs);
        var bound = Local with { Port = 49152 };
        Family.Reply(new BindReply(Errno.None, bound));
        var request = CompleteNextXmit();
        Assert.Equal(bound, request.Source);
        Assert.Equal(new SendRespEvent(1, 64, Errno.None), ExpectMsg<SendRespEvent>());
        Memory.Pop(UserTs, user).ThrowIfFailed();
        AssertNoLeaks();
    }

    [Fact]
    public void Send_EphemeralBindFails_RepliesErrorAndPopsCtrn()
    {
        var (node, ts) = StartSocket();
        var user = UserBuffer(Pattern(64));

        node.Tell(new SendReqEvent(1, ShareToSocket(user, ts, 64), 64, Peer, false), TestActor);
        Family.ExpectMsg<BindRequest>();
        Family.Reply(new BindReply(Errno.EADDRINUSE, default));

        Assert.Equal(new SendRespEvent(1, 0, Errno.EADDRINUSE), ExpectMsg<SendRespEvent>());
        Memory.Pop(UserTs, user).ThrowIfFailed();
        AssertNoLeaks();
    }

    [Fact]
    public void Send_SendBufferFullNonBlocking_RepliesEagainAndPopsCtrn()
    {
        var (node, ts) = StartBoundSocket(sendBuffer: 1000);
        var first = UserBuffer(Pattern(800));
        var second = UserBuffer(Pattern(800));
        node.Tell(new SendReqEvent(1, ShareToSocket(first, ts, 800), 800, Peer, true), TestActor);
        var inFlight = Tx.ExpectMsg<XmitRequest>();

        node.Tell(new SendReqEvent(2, ShareToSocket(second, ts, 800), 800, Peer, true), TestActor);

        Assert.Equal(new SendRespEvent(2, 0, Errno.EAGAIN), ExpectMsg<SendRespEvent>());
        Memory.Pop(TxTs, inFlight.Payload).ThrowIfFailed();
        inFlight.ReplyTo.Tell(new XmitComplete(inFlight.RequestId, 800, Errno.None));
        Assert.Equal(new SendRespEvent(1, 800, Errno.None), ExpectMsg<SendRespEvent>());
        Memory.Pop(UserTs, first).ThrowIfFailed();
        Memory.Pop(UserTs, second).ThrowIfFailed();
        AssertNoLeaks();
    }

    [Fact]
    public void Send_SendBufferFullBlocking_ParksUntilCompletionFreesRoom()
    {
        var (node, ts) = StartBoundSocket(sendBuffer: 1000);
        var first = UserBuffer(Pattern(800));
        var second = UserBuffer(Pattern(800, 7));
        node.Tell(new SendReqEvent(1, ShareToSocket(first, ts, 800), 800, Peer, false), TestActor);
        var inFlight = Tx.ExpectMsg<XmitRequest>();

        node.Tell(new SendReqEvent(2, ShareToSocket(second, ts, 800), 800, Peer, false), TestActor);
        Tx.ExpectNoMsg(Short);
        ExpectNoMsg(Short);

        Memory.Pop(TxTs, inFlight.Payload).ThrowIfFailed();
        inFlight.ReplyTo.Tell(new XmitComplete(inFlight.RequestId, 800, Errno.None));
        Assert.Equal(new SendRespEvent(1, 800, Errno.None), ExpectMsg<SendRespEvent>());
        var parked = Tx.ExpectMsg<XmitRequest>();
        Assert.Equal(Pattern(800, 7), ReadAll(TxTs, parked.Payload, 800));
        Memory.Pop(TxTs, parked.Payload).ThrowIfFailed();
        parked.ReplyTo.Tell(new XmitComplete(parked.RequestId, 800, Errno.None));
        Assert.Equal(new SendRespEvent(2, 800, Errno.None), ExpectMsg<SendRespEvent>());
        Memory.Pop(UserTs, first).ThrowIfFailed();
        Memory.Pop(UserTs, second).ThrowIfFailed();
        AssertNoLeaks();
    }

    [Fact]
    public void Send_XmitFailsOnConnectedSocket_RepliesErrorAndSetsSoError()
    {
        var (node, ts) = StartBoundSocket();
        node.Tell(new ConnectSocket(2, Peer), TestActor);
        ExpectMsg<SocketReply>(r => r.ReqId == 2 && r.Error == Errno.None);
        var user = UserBuffer(Pattern(10));

        node.Tell(new SendReqEvent(3, ShareToSocket(user, ts, 10), 10, null, false), TestActor);
        var request = CompleteNextXmit(Errno.EHOSTUNREACH);

        Assert.Equal(Peer, request.Destination);
        Assert.Equal(new SendRespEvent(3, 0, Errno.EHOSTUNREACH), ExpectMsg<SendRespEvent>());
        node.Tell(new GetSocketOption(4, SocketOption.Error), TestActor);
        Assert.Equal((long)Errno.EHOSTUNREACH, ExpectMsg<SocketReply>().Value);
        node.Tell(new GetSocketOption(5, SocketOption.Error), TestActor);
        Assert.Equal(0, ExpectMsg<SocketReply>().Value);
        Memory.Pop(UserTs, user).ThrowIfFailed();
        AssertNoLeaks();
    }

    [Fact]
    public async Task Send_UserTsExitsMidSend_CompletesWithErrorAndLeaksNothing()
    {
        var (node, ts) = StartBoundSocket();
        var user = UserBuffer(Pattern(3000));
        node.Tell(new SendReqEvent(1, ShareToSocket(user, ts, 3000), 3000, Peer, false), TestActor);
        var request = Tx.ExpectMsg<XmitRequest>();

        await Sys.ExitTsAsync(UserTs);

        // The lift revoked the user's CTRNs wherever they were mounted: the worker finds its share gone.
        Assert.Equal(MemoryError.InvalidGva, Memory.Inspect(TxTs, request.Payload).Error);
        request.ReplyTo.Tell(new XmitComplete(request.RequestId, 0, Errno.EFAULT));
        Assert.Equal(new SendRespEvent(1, 0, Errno.EFAULT), ExpectMsg<SendRespEvent>());
        AssertNoLeaks();
    }

    [Theory]
    [InlineData(DataPathMode.Copy)]
    [InlineData(DataPathMode.ZeroCopy)]
    public async Task Send_TransmitWorkersTsGone_AnswersTheSendWithTheErrorAndLeaksNothing(DataPathMode mode)
    {
        var (node, ts) = StartBoundSocket(mode);
        var user = UserBuffer(Pattern(700));
        await Sys.ExitTsAsync(TxTs);

        node.Tell(new SendReqEvent(1, ShareToSocket(user, ts, 700), 700, Peer, false), TestActor);

        // Nothing reached the worker, so the send fails in either mode (copy mode used to leave the call unanswered).
        Assert.Equal(new SendRespEvent(1, 0, Errno.ENETDOWN), ExpectMsg<SendRespEvent>());
        Tx.ExpectNoMsg(Short);
        Memory.Pop(UserTs, user).ThrowIfFailed();
        AssertNoLeaks();
    }
}
