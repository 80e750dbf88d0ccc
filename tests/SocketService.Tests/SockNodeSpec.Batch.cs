using Edsos.Driver;
using Edsos.Memory;
using Edsos.Protocol;
using Edsos.Protocol.Ipv4;
using static Edsos.Protocol.InetProtocol;
using static Edsos.SocketService.SocketProtocol;

namespace Edsos.SocketService.Tests;

/// <summary>A datagram socket's batch events below it: a batch of sends leaves as one <see cref="XmitBatchRequest"/>, batched completions and datagrams are taken item by item.</summary>
public sealed class SockNodeBatchSpec : SocketSpecBase
{
    [Fact]
    public void SendBatch_Open_OneXmitBatchRequestThenCompletionBatchAnswersEachSendInOneEvent()
    {
        var (node, ts) = StartBoundSocket(txBatches: true);
        var payloads = new List<byte[]>();
        var users = new List<Capability>();
        var sends = new List<SendReqEvent>();
        for (int i = 0; i < 4; i++)
        {
            var payload = Pattern(100 + i, i);
            payloads.Add(payload);
            users.Add(UserBuffer(payload));
            sends.Add(new SendReqEvent((ulong)(10 + i), ShareToSocket(users[i], ts, payload.Length), payload.Length, Peer, false));
        }

        node.Tell(new SendBatchReqEvent(sends), TestActor);

        var batch = Tx.ExpectMsg<XmitBatchRequest>();
        Assert.Equal(4, batch.Count);
        var completions = Ipv4Protocol.IpXmitCompleteBatch.Rent();
        for (int i = 0; i < batch.Count; i++)
        {
            Assert.Equal(payloads[i], ReadAll(TxTs, batch[i].Payload, batch[i].Length));
            Assert.Equal(Peer, batch[i].Destination);
            Memory.Pop(TxTs, batch[i].Payload).ThrowIfFailed();
            completions.Add(Ipv4Protocol.IpXmitComplete.Rent(batch[i].RequestId, batch[i].Length, i == 2 ? Errno.EHOSTUNREACH : Errno.None));
        }

        node.Tell(completions, Tx.Ref);

        // The burst's four answers reach the KPN in one event, in completion order.
        var answers = ExpectMsg<SendRespBatchEvent>().Resps;
        Assert.Equal(4, answers.Count);
        for (int i = 0; i < 4; i++)
        {
            var answer = answers[i];
            Assert.Equal((ulong)(10 + i), answer.ReqId);
            Assert.Equal(i == 2 ? (0, Errno.EHOSTUNREACH) : (100 + i, Errno.None), (answer.Bytes, answer.Error));
        }

        ExpectNoMsg(Short);

        Tx.ExpectNoMsg(Short);
        users.ForEach(user => Memory.Pop(UserTs, user).ThrowIfFailed());
        node.Tell(new CloseSocket(99), TestActor);
        ExpectMsg<SocketReply>(r => r.ReqId == 99);
        AssertNoLeaks();
    }

    [Fact]
    public void SendBatch_OneSend_TransmittedAsAPlainXmitRequest()
    {
        var (node, ts) = StartBoundSocket(txBatches: true);
        var payload = Pattern(64);
        var user = UserBuffer(payload);
        node.Tell(new SendBatchReqEvent([new SendReqEvent(1, ShareToSocket(user, ts, payload.Length), payload.Length, Peer, false)]), TestActor);

        Assert.Equal(1UL, CompleteNextXmit().RequestId);
        var answer = ExpectMsg<SendRespEvent>();
        Assert.Equal((1UL, 64, Errno.None), (answer.ReqId, answer.Bytes, answer.Error));
        Memory.Pop(UserTs, user).ThrowIfFailed();
        node.Tell(new CloseSocket(99), TestActor);
        ExpectMsg<SocketReply>(r => r.ReqId == 99);
        AssertNoLeaks();
    }

    [Fact]
    public void SendBatch_WorkerWithoutBatches_OneXmitRequestPerSend()
    {
        var (node, ts) = StartBoundSocket();
        var users = new List<Capability>();
        var sends = new List<SendReqEvent>();
        for (int i = 0; i < 3; i++)
        {
            users.Add(UserBuffer(Pattern(50, i)));
            sends.Add(new SendReqEvent((ulong)(30 + i), ShareToSocket(users[i], ts, 50), 50, Peer, false));
        }

        node.Tell(new SendBatchReqEvent(sends), TestActor);

        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(50, CompleteNextXmit().Length);
            Assert.Equal((ulong)(30 + i), ExpectMsg<SendRespEvent>().ReqId);
        }

        users.ForEach(user => Memory.Pop(UserTs, user).ThrowIfFailed());
        node.Tell(new CloseSocket(99), TestActor);
        ExpectMsg<SocketReply>(r => r.ReqId == 99);
        AssertNoLeaks();
    }

    [Fact]
    public void DatagramReceivedBatch_WaitingReceives_EachServedInOrderInOneEvent()
    {
        var (node, ts) = StartBoundSocket();
        for (ulong i = 0; i < 3; i++)
        {
            node.Tell(new RecvReqEvent(20 + i, RecvMode.ZeroCopy, UserTs, false), TestActor);
        }

        var batch = DatagramReceivedBatchEvent.Rent();
        for (int i = 0; i < 3; i++)
        {
            batch.Add(DatagramReceivedEvent.Rent(Mount(ts, Pattern(30 + i, i)), 30 + i, Peer, Local));
        }

        node.Tell(batch);

        // The three deliveries reach the KPN in one event, in order.
        var responses = ExpectMsg<RecvRespBatchEvent>().Resps;
        Assert.Equal(3, responses.Count);
        for (int i = 0; i < 3; i++)
        {
            var response = responses[i];
            Assert.Equal(((ulong)(20 + i), Errno.None), (response.ReqId, response.Error));
            Assert.Equal(Pattern(30 + i, i), ReadAll(UserTs, response.Data, response.Length));
            Memory.Pop(UserTs, response.Data).ThrowIfFailed();
        }

        node.Tell(new CloseSocket(99), TestActor);
        ExpectMsg<SocketReply>(r => r.ReqId == 99);
        AssertNoLeaks();
    }

    [Fact]
    public void RecvBatch_DatagramsQueued_AnsweredInOneEventAndAnOnlyAnswerAlone()
    {
        var (node, ts) = StartBoundSocket();
        var arrived = DatagramReceivedBatchEvent.Rent();
        for (int i = 0; i < 3; i++)
        {
            arrived.Add(DatagramReceivedEvent.Rent(Mount(ts, Pattern(40 + i, i)), 40 + i, Peer, Local));
        }

        node.Tell(arrived);
        node.Tell(new RecvBatchReqEvent([new RecvReqEvent(50, RecvMode.ZeroCopy, UserTs, false), new RecvReqEvent(51, RecvMode.ZeroCopy, UserTs, false)]), TestActor);

        var responses = ExpectMsg<RecvRespBatchEvent>().Resps;
        Assert.Equal([50UL, 51UL], responses.Select(r => r.ReqId));
        for (int i = 0; i < 2; i++)
        {
            Assert.Equal(Pattern(40 + i, i), ReadAll(UserTs, responses[i].Data, responses[i].Length));
            Memory.Pop(UserTs, responses[i].Data).ThrowIfFailed();
        }

        // One datagram left, one receive in the batch: its answer goes alone, as a plain RecvRespEvent.
        node.Tell(new RecvBatchReqEvent([new RecvReqEvent(52, RecvMode.ZeroCopy, UserTs, false)]), TestActor);
        var last = ExpectMsg<RecvRespEvent>();
        Assert.Equal(52UL, last.ReqId);
        Assert.Equal(Pattern(42, 2), ReadAll(UserTs, last.Data, last.Length));
        Memory.Pop(UserTs, last.Data).ThrowIfFailed();
        node.Tell(new CloseSocket(99), TestActor);
        ExpectMsg<SocketReply>(r => r.ReqId == 99);
        AssertNoLeaks();
    }

    [Fact]
    public void DatagramReceivedBatch_EmptyDatagramBetweenOthers_AnsweredInArrivalOrderInTheBatch()
    {
        var (node, ts) = StartBoundSocket();
        for (ulong i = 0; i < 3; i++)
        {
            node.Tell(new RecvReqEvent(60 + i, RecvMode.ZeroCopy, UserTs, false), TestActor);
        }

        // An empty datagram (legal UDP, no node) between two others: its answer must not overtake the first's.
        var batch = DatagramReceivedBatchEvent.Rent();
        batch.Add(DatagramReceivedEvent.Rent(Mount(ts, Pattern(20, 1)), 20, Peer, Local));
        batch.Add(DatagramReceivedEvent.Rent(default, 0, Peer, Local));
        batch.Add(DatagramReceivedEvent.Rent(Mount(ts, Pattern(22, 3)), 22, Peer, Local));
        node.Tell(batch);

        var responses = ExpectMsg<RecvRespBatchEvent>().Resps;
        Assert.Equal([60UL, 61UL, 62UL], responses.Select(r => r.ReqId));
        Assert.Equal([20, 0, 22], responses.Select(r => r.Length));
        Assert.Equal(Pattern(20, 1), ReadAll(UserTs, responses[0].Data, 20));
        Assert.Equal(Pattern(22, 3), ReadAll(UserTs, responses[2].Data, 22));
        Memory.Pop(UserTs, responses[0].Data).ThrowIfFailed();
        Memory.Pop(UserTs, responses[2].Data).ThrowIfFailed();
        node.Tell(new CloseSocket(99), TestActor);
        ExpectMsg<SocketReply>(r => r.ReqId == 99);
        AssertNoLeaks();
    }

    /// <summary>A datagram's payload mounted in the socket's TS, as the receive worker hands it.</summary>
    private Capability Mount(TsId socketTs, byte[] payload)
    {
        var rx = Memory.Push(RxTs, "rx/batch", payload.Length).Unwrap();
        Memory.Write(RxTs, rx, 0, payload, CopyKind.Metadata).ThrowIfFailed();
        var gva = Memory.Inspect(RxTs, rx).Unwrap().Gva;
        var ctrn = Memory.CtShare(RxTs, rx, gva, payload.Length, socketTs, "rx_q/batch", Rights.Read | Rights.Share | Rights.Map).Unwrap();
        Memory.Pop(RxTs, rx).ThrowIfFailed();
        return ctrn;
    }
}
