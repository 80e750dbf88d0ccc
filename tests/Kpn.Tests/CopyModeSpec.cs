using Edsos.Protocol;
using Edsos.SocketService;
using static Edsos.Protocol.InetProtocol;

namespace Edsos.Kpn.Tests;

/// <summary>The Linux copy path of seeds 001/003/004 on the same stack: one counted copy each way.</summary>
public sealed class CopyModeSpec : KpnSpecBase
{
    public CopyModeSpec()
        : base(DataPathMode.Copy)
    {
    }

    [Fact]
    public async Task SendTo_CopyMode_CopiesOnceAndReturnsBeforeCompletion()
    {
        var (fd, _, _) = await OpenBoundAsync();
        var buffer = Filled(3000);
        var before = Memory.Counters.PayloadBytesCopied;

        var result = await Within10s(App.SendToAsync(fd, buffer.Gva, 3000, Peer));

        Assert.Equal(SysResult.Ok(3000), result);
        Assert.Equal(3000, Memory.Counters.PayloadBytesCopied - before);
        // The user's buffer is free to reuse at once: the kernel buffer is what goes out.
        Assert.Equal(Errno.None, App.Free(buffer));
        var request = Tx.ExpectMsg<XmitRequest>();
        Assert.DoesNotContain(App.Ts, Memory.Inspect(TxTs, request.Payload).Unwrap().Origins);
        Memory.Pop(TxTs, request.Payload).ThrowIfFailed();
        request.ReplyTo.Tell(new XmitComplete(request.RequestId, 3000, Errno.None));
        AssertNoLeaks();
    }

    [Fact]
    public async Task SendThenRecv_CopyMode_CountsExactlyOneCopyEachWay()
    {
        var (fd, node, socketTs) = await OpenBoundAsync();
        var outgoing = Filled(1000);
        var incoming = App.Alloc(1000);
        var before = Memory.Counters.PayloadBytesCopied;

        Assert.True((await Within10s(App.SendToAsync(fd, outgoing.Gva, 1000, Peer))).IsOk);
        CompleteNextXmit();
        Deliver(node, socketTs, Pattern(1000, 5));
        var received = await Within10s(App.RecvFromAsync(fd, incoming.Gva, 1000));

        Assert.Equal(1000, received.Value);
        Assert.Equal(2000, Memory.Counters.PayloadBytesCopied - before);
        Assert.Equal(Pattern(1000, 5), ReadBack(incoming, 1000));
        Assert.Equal(Errno.None, App.Free(outgoing));
        Assert.Equal(Errno.None, App.Free(incoming));
        AssertNoLeaks();
    }

    [Fact]
    public async Task RecvZeroCopy_CopyMode_ReturnsEopnotsupp()
    {
        var (fd, _, _) = await OpenBoundAsync();

        var result = await Within10s(App.RecvZeroCopyAsync(fd));

        Assert.Equal(Errno.EOPNOTSUPP, result.Error);
    }
}
