using Edsos.Memory;
using Edsos.Protocol;
using static Edsos.Protocol.InetProtocol;
using static Edsos.SocketService.SocketProtocol;

namespace Edsos.SocketService.Tests;

/// <summary>MSG_ZEROCOPY (<see cref="SendReqEvent.AnswerQueued"/>): answered at the hand-over, pages shared until the completion.</summary>
public sealed partial class SockNodeSpec
{
    [Fact]
    public void Send_AnswerQueued_RepliesBeforeCompletionAndKeepsTheShareUntilIt()
    {
        var (node, ts) = StartBoundSocket();
        var payload = Pattern(3000);
        var user = UserBuffer(payload);
        var ctrn = ShareToSocket(user, ts, payload.Length);

        node.Tell(new SendReqEvent(1, ctrn, payload.Length, Peer, false, AnswerQueued: true), TestActor);

        var request = Tx.ExpectMsg<XmitRequest>();
        Assert.Equal(new SendRespEvent(1, payload.Length, Errno.None), ExpectMsg<SendRespEvent>());
        // Answered, but the socket's CTRN stays in send_q and the worker's share stays readable until the completion.
        Assert.True(Memory.Inspect(ts, ctrn).IsOk);
        Assert.Equal(payload, ReadAll(TxTs, request.Payload, payload.Length));

        Memory.Pop(TxTs, request.Payload).ThrowIfFailed();
        request.ReplyTo.Tell(new XmitComplete(request.RequestId, payload.Length, Errno.None));
        ExpectNoMsg(Short);
        Assert.Equal(MemoryError.Stale, Memory.Inspect(ts, ctrn).Error);
        Memory.Pop(UserTs, user).ThrowIfFailed();
        AssertNoLeaks();
    }

    [Fact]
    public void Send_AnswerQueued_AppWritingTheBufferBeforeTheCompletion_IsCopyOnWriteAndTheSentBytesStay()
    {
        var (node, ts) = StartBoundSocket();
        var payload = Pattern(5000, seed: 3);
        var user = UserBuffer(payload);

        node.Tell(new SendReqEvent(1, ShareToSocket(user, ts, payload.Length), payload.Length, Peer, false, AnswerQueued: true), TestActor);
        var request = Tx.ExpectMsg<XmitRequest>();
        ExpectMsg<SendRespEvent>(r => r.Bytes == payload.Length);

        // The app reuses its buffer at once, as MSG_ZEROCOPY allows: its pages are still shared, so the write copies them.
        var before = Memory.Counters;
        var next = Pattern(5000, seed: 4);
        Memory.Write(UserTs, user, 0, next, CopyKind.Application).ThrowIfFailed();
        Assert.True(Memory.Counters.CowBytesCopied > before.CowBytesCopied);
        Assert.Equal(payload, ReadAll(TxTs, request.Payload, payload.Length));
        Assert.Equal(next, ReadAll(UserTs, user, next.Length));

        Memory.Pop(TxTs, request.Payload).ThrowIfFailed();
        request.ReplyTo.Tell(new XmitComplete(request.RequestId, payload.Length, Errno.None));
        ExpectNoMsg(Short);
        Memory.Pop(UserTs, user).ThrowIfFailed();
        AssertNoLeaks();
    }

    [Fact]
    public void Send_AnswerQueued_ParkedForSendBuffer_AnsweredWhenItLeavesTheParking()
    {
        var (node, ts) = StartBoundSocket(sendBuffer: 4096);
        var first = UserBuffer(Pattern(4000));
        var second = UserBuffer(Pattern(4000, seed: 2));

        node.Tell(new SendReqEvent(1, ShareToSocket(first, ts, 4000), 4000, Peer, false, AnswerQueued: true), TestActor);
        ExpectMsg<SendRespEvent>(r => r.ReqId == 1);
        node.Tell(new SendReqEvent(2, ShareToSocket(second, ts, 4000), 4000, Peer, false, AnswerQueued: true), TestActor);
        // SO_SNDBUF holds the first send's bytes until its completion: the second waits, unanswered.
        ExpectNoMsg(Short);

        CompleteNextXmit();
        ExpectMsg<SendRespEvent>(r => r.ReqId == 2 && r.Bytes == 4000);
        CompleteNextXmit();
        ExpectNoMsg(Short);
        Memory.Pop(UserTs, first).ThrowIfFailed();
        Memory.Pop(UserTs, second).ThrowIfFailed();
        AssertNoLeaks();
    }

    [Fact]
    public void Send_AnswerQueued_CopyMode_AnsweredOnceCopiedAsAlways()
    {
        var (node, ts) = StartBoundSocket(mode: DataPathMode.Copy);
        var user = UserBuffer(Pattern(2000));
        var before = Memory.Counters;

        node.Tell(new SendReqEvent(1, ShareToSocket(user, ts, 2000), 2000, Peer, false, AnswerQueued: true), TestActor);
        ExpectMsg<SendRespEvent>(r => r.Bytes == 2000);
        Assert.Equal(2000, Memory.Counters.PayloadBytesCopied - before.PayloadBytesCopied);
        CompleteNextXmit();
        ExpectNoMsg(Short);
        Memory.Pop(UserTs, user).ThrowIfFailed();
        AssertNoLeaks();
    }
}
