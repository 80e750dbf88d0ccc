using Edsos.Memory;
using Edsos.Protocol;
using static Edsos.SocketService.SocketProtocol;

namespace Edsos.SocketService.Tests;

/// <summary>The receive half of sock_node: queue, SO_RCVBUF, zero-copy grant, copy share.</summary>
public sealed partial class SockNodeSpec
{
    [Fact]
    public void Recv_ZeroCopy_GrantsReadOnlyShareableNodeToUserTs()
    {
        var (node, ts) = StartBoundSocket();
        var payload = Pattern(1200);
        Deliver(node, ts, payload);
        var before = Memory.Counters;

        node.Tell(new RecvReqEvent(1, RecvMode.ZeroCopy, UserTs, false), TestActor);

        var response = ExpectMsg<RecvRespEvent>();
        Assert.Equal(Errno.None, response.Error);
        Assert.Equal(payload.Length, response.Length);
        Assert.Equal(Peer, response.From);
        Assert.Equal(before.PayloadBytesCopied, Memory.Counters.PayloadBytesCopied);
        var info = Memory.Inspect(UserTs, response.Data).Unwrap();
        Assert.Equal(UserTs, info.Owner);
        Assert.Equal(Rights.Read | Rights.Share | Rights.Map, info.Rights);
        Assert.Equal(payload, ReadAll(UserTs, response.Data, payload.Length));
        // Read-only: the app cannot write into the buffer it was granted...
        Assert.Equal(MemoryError.RightsDenied, Memory.Write(UserTs, response.Data, 0, new byte[] { 1 }, CopyKind.Application).Error);
        // ...but it may share it on (send it again).
        var reshared = Memory.CtShare(UserTs, response.Data, info.Gva, payload.Length, ts, "send_q/echo", Rights.Read);
        Assert.True(reshared.IsOk, reshared.ToString());

        Memory.Pop(ts, reshared.Value).ThrowIfFailed();
        Memory.Pop(UserTs, response.Data).ThrowIfFailed();
        AssertNoLeaks();
    }

    [Fact]
    public void Recv_Copy_SharesReadOnlyIntoTargetAndPopsOwn()
    {
        var (node, ts) = StartBoundSocket(DataPathMode.Copy);
        var kpnTs = Memory.CreateTs("/user_proc/app/sysagent/kpn", TsKind.Kernel).Unwrap();
        var payload = Pattern(700);
        Deliver(node, ts, payload);

        node.Tell(new RecvReqEvent(1, RecvMode.Copy, kpnTs, false), TestActor);

        var response = ExpectMsg<RecvRespEvent>();
        Assert.Equal(Errno.None, response.Error);
        var info = Memory.Inspect(kpnTs, response.Data).Unwrap();
        Assert.True(info.IsCtrn);
        Assert.Equal(Rights.Read, info.Rights);
        Assert.Equal(payload, ReadAll(kpnTs, response.Data, payload.Length));
        Memory.Pop(kpnTs, response.Data).ThrowIfFailed();
        // The socket popped its own mount: nothing is left once the KPN pops its share.
        AssertNoLeaks();
    }

    [Fact]
    public void Recv_NonBlockingOnEmptyQueue_RepliesEagain()
    {
        var (node, _) = StartBoundSocket();

        node.Tell(new RecvReqEvent(1, RecvMode.ZeroCopy, UserTs, true), TestActor);

        Assert.Equal(Errno.EAGAIN, ExpectMsg<RecvRespEvent>().Error);
    }

    [Fact]
    public void Recv_BlockingOnEmptyQueue_WaitsForNextDatagram()
    {
        var (node, ts) = StartBoundSocket();
        node.Tell(new RecvReqEvent(1, RecvMode.ZeroCopy, UserTs, false), TestActor);
        ExpectNoMsg(Short);

        Deliver(node, ts, Pattern(50));

        var response = ExpectMsg<RecvRespEvent>();
        Assert.Equal(Errno.None, response.Error);
        Assert.Equal(50, response.Length);
        Memory.Pop(UserTs, response.Data).ThrowIfFailed();
        AssertNoLeaks();
    }

    [Fact]
    public void Datagram_PastReceiveBuffer_IsDroppedPoppedAndCounted()
    {
        var (node, ts) = StartBoundSocket(receiveBuffer: 1000);
        Deliver(node, ts, Pattern(600, 1));
        Deliver(node, ts, Pattern(600, 2));
        Deliver(node, ts, Pattern(400, 3));

        node.Tell(new GetSocketStats(1), TestActor);
        var stats = ExpectMsg<SocketStats>();
        Assert.Equal(3, stats.DatagramsReceived);
        Assert.Equal(1, stats.DatagramsDropped);
        Assert.Equal(2, stats.ReceiveQueued);
        Assert.Equal(1000, stats.ReceiveQueuedBytes);

        // Order kept, the dropped one is gone.
        node.Tell(new RecvReqEvent(2, RecvMode.ZeroCopy, UserTs, true), TestActor);
        var first = ExpectMsg<RecvRespEvent>();
        node.Tell(new RecvReqEvent(3, RecvMode.ZeroCopy, UserTs, true), TestActor);
        var second = ExpectMsg<RecvRespEvent>();
        Assert.Equal(Pattern(600, 1), ReadAll(UserTs, first.Data, 600));
        Assert.Equal(Pattern(400, 3), ReadAll(UserTs, second.Data, 400));
        Memory.Pop(UserTs, first.Data).ThrowIfFailed();
        Memory.Pop(UserTs, second.Data).ThrowIfFailed();
        AssertNoLeaks();
    }

    [Fact]
    public async Task Recv_TargetTsExited_RepliesEfaultAndPopsDatagram()
    {
        var (node, ts) = StartBoundSocket();
        var gone = Memory.CreateTs("/user_proc/gone").Unwrap();
        await Sys.ExitTsAsync(gone);
        Deliver(node, ts, Pattern(80));

        node.Tell(new RecvReqEvent(1, RecvMode.ZeroCopy, gone, false), TestActor);

        Assert.Equal(Errno.EFAULT, ExpectMsg<RecvRespEvent>().Error);
        AssertNoLeaks();
    }

    [Fact]
    public async Task Recv_CopyModeTargetTsExited_RepliesEfaultAndLeaksNothing()
    {
        var (node, ts) = StartBoundSocket();
        var gone = Memory.CreateTs("/user_proc/gone").Unwrap();
        await Sys.ExitTsAsync(gone);
        Deliver(node, ts, Pattern(80));

        node.Tell(new RecvReqEvent(1, RecvMode.Copy, gone, false), TestActor);

        Assert.Equal(Errno.EFAULT, ExpectMsg<RecvRespEvent>().Error);
        AssertNoLeaks();
    }
}
