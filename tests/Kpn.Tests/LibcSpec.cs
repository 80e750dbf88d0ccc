using Edsos.Memory;
using Edsos.Protocol;
using Edsos.Protocol.Ipv4;
using Edsos.Protocol.Wire;
using Edsos.SocketService;
using static Edsos.Protocol.InetProtocol;

namespace Edsos.Kpn.Tests;

/// <summary>The facade apps use: receive (copy and zero copy), options, ping, process exit.</summary>
public sealed class LibcSpec : KpnSpecBase
{
    [Fact]
    public async Task RecvFrom_Datagram_CopiedOnceIntoUserBufferWithSource()
    {
        var (fd, node, socketTs) = await OpenBoundAsync();
        var buffer = App.Alloc(1000);
        Deliver(node, socketTs, Pattern(700), Peer);
        var before = Memory.Counters.PayloadBytesCopied;

        var result = await Within10s(App.RecvFromAsync(fd, buffer.Gva, 1000));

        Assert.Equal(new RecvResult(700, Errno.None, Peer), result);
        Assert.Equal(700, Memory.Counters.PayloadBytesCopied - before);
        Assert.Equal(Pattern(700), ReadBack(buffer, 700));
        Assert.Equal(Errno.None, App.Free(buffer));
        AssertNoLeaks();
    }

    [Fact]
    public async Task RecvFrom_DatagramLongerThanBuffer_TruncatesLikeUdp()
    {
        var (fd, node, socketTs) = await OpenBoundAsync();
        var buffer = App.Alloc(4096);
        Deliver(node, socketTs, Pattern(1000));
        var before = Memory.Counters.PayloadBytesCopied;

        var result = await Within10s(App.RecvFromAsync(fd, buffer.Gva.Add(10), 100));

        Assert.Equal(100, result.Value);
        Assert.Equal(100, Memory.Counters.PayloadBytesCopied - before);
        var back = new byte[120];
        Assert.Equal(Errno.None, App.ReadBuffer(buffer, 0, back));
        Assert.Equal(new byte[10], back[..10]);
        Assert.Equal(Pattern(1000)[..100], back[10..110]);
        Assert.Equal(new byte[10], back[110..]);
        // The rest of the datagram is gone (UDP): the next receive finds an empty queue.
        Assert.Equal(Errno.EAGAIN, (await Within10s(App.RecvFromAsync(fd, buffer.Gva, 100, MsgFlags.DontWait))).Error);
        Assert.Equal(Errno.None, App.Free(buffer));
        AssertNoLeaks();
    }

    [Fact]
    public async Task RecvFrom_Blocking_WaitsThenCompletes()
    {
        var (fd, node, socketTs) = await OpenBoundAsync();
        var buffer = App.Alloc(100);
        var receive = App.RecvFromAsync(fd, buffer.Gva, 100).AsTask();
        await AwaitRecvWaitingAsync(node);
        Assert.False(receive.IsCompleted);

        Deliver(node, socketTs, Pattern(40));

        Assert.Equal(40, (await receive.WaitAsync(Long)).Value);
        Assert.Equal(Errno.None, App.Free(buffer));
        AssertNoLeaks();
    }

    [Fact]
    public async Task RecvFrom_ReadOnlyBuffer_ReturnsEfaultBeforeTakingADatagram()
    {
        var (fd, node, socketTs) = await OpenBoundAsync();
        Deliver(node, socketTs, Pattern(30, 1));
        var granted = await Within10s(App.RecvZeroCopyAsync(fd));
        Deliver(node, socketTs, Pattern(30, 2));

        // A zero-copy buffer is read-only: recvfrom into it is EFAULT and the datagram stays queued.
        var result = await Within10s(App.RecvFromAsync(fd, granted.Buffer!.Gva, 30));
        var next = await Within10s(App.RecvZeroCopyAsync(fd));

        Assert.Equal(Errno.EFAULT, result.Error);
        Assert.Equal(Pattern(30, 2), ReadBack(next.Buffer!, 30));
        Assert.Equal(Errno.None, App.Free(granted.Buffer));
        Assert.Equal(Errno.None, App.Free(next.Buffer!));
        AssertNoLeaks();
    }

    [Fact]
    public async Task RecvZeroCopy_GrantsReadOnlyBufferThatCanBeSentOnAndFreed()
    {
        var (fd, node, socketTs) = await OpenBoundAsync();
        Deliver(node, socketTs, Pattern(512), Peer);
        var before = Memory.Counters;

        var received = await Within10s(App.RecvZeroCopyAsync(fd));

        Assert.Equal(Errno.None, received.Error);
        Assert.Equal(512, received.Length);
        Assert.Equal(Peer, received.From);
        Assert.Equal(before.PayloadBytesCopied, Memory.Counters.PayloadBytesCopied);
        var buffer = received.Buffer!;
        Assert.Equal(App.Ts, buffer.Gva.Ts);
        Assert.Equal(Errno.EFAULT, App.WriteBuffer(buffer, 0, new byte[] { 0xFF }));
        int filled = 0;
        Assert.Equal(Errno.EFAULT, App.FillBuffer(buffer, 0, 512, ref filled, static (ref int n, Span<byte> segment) => n += segment.Length));
        Assert.Equal(0, filled);
        Assert.Equal(MemoryError.RightsDenied, Memory.Write(App.Ts, buffer.Cap, 0, new byte[] { 0xFF }, CopyKind.Application).Error);
        var sum = 0L;
        Assert.Equal(Errno.None, App.Visit(buffer, 0, 512, ref sum, static (ref long s, ReadOnlySpan<byte> segment) =>
        {
            foreach (var b in segment)
            {
                s += b;
            }
        }));
        var expected = 0L;
        foreach (var b in Pattern(512))
        {
            expected += b;
        }

        Assert.Equal(expected, sum);

        // Echo: the received buffer goes out again without a copy.
        var echo = App.SendToAsync(fd, buffer.Gva, 512, received.From).AsTask();
        var request = Tx.ExpectMsg<XmitRequest>();
        Assert.Equal(Peer, request.Destination);
        Memory.Pop(TxTs, request.Payload).ThrowIfFailed();
        request.ReplyTo.Tell(new XmitComplete(request.RequestId, 512, Errno.None));
        Assert.Equal(SysResult.Ok(512), await echo.WaitAsync(Long));
        Assert.Equal(before.PayloadBytesCopied, Memory.Counters.PayloadBytesCopied);
        Assert.Equal(Errno.None, App.Free(buffer));
        AssertNoLeaks();
    }

    [Fact]
    public async Task RecvZeroCopy_NonBlockingOnEmptySocket_ReturnsEagain()
    {
        var (fd, _, _) = await OpenBoundAsync();
        Assert.True((await Within10s(App.SetNonBlocking(fd, true))).IsOk);

        var result = await Within10s(App.RecvZeroCopyAsync(fd));

        Assert.Equal(Errno.EAGAIN, result.Error);
        Assert.Null(result.Buffer);
    }

    [Fact]
    public async Task Close_WithPendingRecv_EndsItWithEbadf()
    {
        var (fd, node, _) = await OpenBoundAsync();
        var buffer = App.Alloc(10);
        var receive = App.RecvFromAsync(fd, buffer.Gva, 10).AsTask();
        await AwaitRecvWaitingAsync(node);

        Assert.True((await Within10s(App.CloseAsync(fd))).IsOk);

        Assert.Equal(Errno.EBADF, (await receive.WaitAsync(Long)).Error);
        Assert.Equal(Errno.None, App.Free(buffer));
        AssertNoLeaks();
    }

    [Fact]
    public async Task SockOpts_SetGetAndSoError_RoundTrip()
    {
        var (fd, _, _) = await OpenBoundAsync();

        Assert.True((await Within10s(App.SetSockOptAsync(fd, SocketOption.ReceiveBuffer, 65536))).IsOk);
        Assert.Equal(SysResult.Ok(65536), await Within10s(App.GetSockOptAsync(fd, SocketOption.ReceiveBuffer)));
        Assert.Equal(SysResult.Ok(SocketTableOptions.LinuxDefaultBuffer), await Within10s(App.GetSockOptAsync(fd, SocketOption.SendBuffer)));
        Assert.Equal(SysResult.Ok(0), await Within10s(App.GetSockOptAsync(fd, SocketOption.Error)));
        Assert.Equal(Errno.ENOPROTOOPT, (await Within10s(App.SetSockOptAsync(fd, SocketOption.Error, 1))).Error);
        Assert.Equal(Errno.EBADF, (await Within10s(App.GetSockOptAsync(99, SocketOption.Error))).Error);
    }

    [Fact]
    public async Task Ping_ForwardedToIcmpAndReplyReturned()
    {
        var target = Ipv4Address.Parse("10.0.0.2");

        var ping = App.PingAsync(target, 7, 56, TimeSpan.FromSeconds(1)).AsTask();
        var request = Icmp.ExpectMsg<PingRequest>();
        Icmp.Reply(new PingReply(Errno.None, request.Sequence, target, 64, TimeSpan.FromMilliseconds(1)));

        Assert.Equal(new PingRequest(target, 7, 56, TimeSpan.FromSeconds(1)), request);
        var reply = await ping.WaitAsync(Long);
        Assert.Equal(Errno.None, reply.Error);
        Assert.Equal(target, reply.From);
        Assert.Equal(7, reply.Sequence);
    }

    [Fact]
    public async Task Exit_MidSend_EndsWithCleanErrorAndNoLeak()
    {
        var (fd, _, socketTs) = await OpenBoundAsync();
        var buffer = Filled(4000);
        var send = App.SendToAsync(fd, buffer.Gva, 4000, Peer).AsTask();
        var inFlight = Tx.ExpectMsg<XmitRequest>();

        Assert.Equal(Errno.None, await App.ExitAsync().AsTask().WaitAsync(Long));

        Assert.Equal(Errno.EBADF, (await send.WaitAsync(Long)).Error);
        Assert.Equal(Unbound(Local), RxWorker.ExpectMsg<Ipv4Protocol.BindingRemoved>());
        // The lift revoked the worker's share of the exited process's pages: nothing to pop, nothing leaked.
        Assert.Equal(MemoryError.InvalidGva, Memory.Inspect(TxTs, inFlight.Payload).Error);
        inFlight.ReplyTo.Tell(new XmitComplete(inFlight.RequestId, 0, Errno.EFAULT));
        Assert.False(Memory.GetTs(App.Ts).Alive);
        Assert.False(Memory.GetTs(App.KpnTs).Alive);
        AwaitAssert(() => Assert.False(Memory.GetTs(socketTs).Alive));
        Assert.True(App.HasExited);
        Assert.Equal(Errno.EBADF, (await Within10s(App.SocketAsync(SocketTable.AfInet, SocketKind.Dgram, 0))).Error);
        AssertNoLeaks();
    }

    [Fact]
    public async Task ProcessTsKilled_PendingRecvEndsAndSocketsClose()
    {
        var (fd, node, socketTs) = await OpenBoundAsync();
        var receive = App.RecvZeroCopyAsync(fd).AsTask();
        await AwaitRecvWaitingAsync(node);

        // Killed from outside (no ExitAsync): the KPN stops with its TS and cleans up after itself.
        await Sys.ExitTsAsync(App.Ts);

        Assert.Equal(Errno.EINTR, (await receive.WaitAsync(Long)).Error);
        RxWorker.ExpectMsg<Ipv4Protocol.BindingRemoved>();
        AwaitAssert(() => Assert.False(Memory.GetTs(socketTs).Alive));
        AssertNoLeaks();
    }

    [Fact]
    public async Task TwoProcesses_HaveSeparateTsAndDescriptors()
    {
        var other = UserProcess.Start(Sys, "other", Table, Icmp);
        var a = await OpenUnboundAsync();
        var b = await Within10s(other.SocketAsync(SocketTable.AfInet, SocketKind.Dgram, 0));

        Assert.Equal(a, b.Value);
        Assert.NotEqual(App.Ts, other.Ts);
        Assert.Equal("/user_proc/app", Memory.GetTs(App.Ts).Path);
        Assert.Equal("/user_proc/app/sysagent/kpn", Memory.GetTs(App.KpnTs).Path);
        Assert.Equal(TsKind.User, Memory.GetTs(App.Ts).Kind);
        Assert.Equal(TsKind.Kernel, Memory.GetTs(App.KpnTs).Kind);
        Assert.Throws<InvalidOperationException>(() => UserProcess.Start(Sys, "other", Table, Icmp));
    }

    [Fact]
    public void WriteAndReadBuffer_CountedAsApplicationCopiesNotStackCopies()
    {
        var before = Memory.Counters;
        var buffer = App.Alloc(256);

        Assert.Equal(Errno.None, App.WriteBuffer(buffer, 0, Pattern(256)));
        Assert.Equal(Pattern(256), ReadBack(buffer, 256));
        Assert.Equal(Errno.EFAULT, App.WriteBuffer(buffer, 200, new byte[57]));
        Assert.Equal(Errno.EFAULT, App.ReadBuffer(buffer, -1, new byte[1]));

        var after = Memory.Counters;
        Assert.Equal(512, after.ApplicationBytesCopied - before.ApplicationBytesCopied);
        Assert.Equal(before.CpuBytesCopied, after.CpuBytesCopied);
        Assert.Equal(Errno.None, App.Free(buffer));
        Assert.Equal(Errno.EFAULT, App.Free(buffer));
        Assert.Equal(Errno.EINVAL, App.TryAlloc(0, out _));
        AssertNoLeaks();
    }

    private static Ipv4Protocol.BindingRemoved Unbound(Ipv4Endpoint local) => new(17, local);
}
