using Edsos.Memory;
using Edsos.Protocol;
using Edsos.Protocol.Ipv4;
using Edsos.Protocol.Wire;
using Edsos.SocketService;
using static Edsos.Protocol.InetProtocol;

namespace Edsos.Kpn.Tests;

/// <summary>The KPN's checks on send (seed 000 stage 1) and the send path through it.</summary>
public sealed class KpnActorSpec : KpnSpecBase
{
    [Fact]
    public async Task SendTo_ValidBuffer_SharesUserPagesAndReturnsBytesAfterCompletion()
    {
        var (fd, _, socketTs) = await OpenBoundAsync();
        var buffer = Filled(2000);
        var copiedBefore = Memory.Counters.PayloadBytesCopied;

        var send = App.SendToAsync(fd, buffer.Gva, 2000, Peer).AsTask();
        var request = Tx.ExpectMsg<XmitRequest>();
        var info = Memory.Inspect(TxTs, request.Payload).Unwrap();
        Assert.Contains(App.Ts, info.Origins);
        Assert.Equal(Pattern(2000), ReadTx(request));
        // The user's share sits in the socket's send_q while the datagram is in flight.
        Assert.Contains(Memory.GetLeakReport(socketTs).Nodes, n => n.Path.Contains("send_q") && n.IsCtrn);
        Assert.False(send.IsCompleted);
        Memory.Pop(TxTs, request.Payload).ThrowIfFailed();
        request.ReplyTo.Tell(new XmitComplete(request.RequestId, 2000, Errno.None));

        Assert.Equal(SysResult.Ok(2000), await send.WaitAsync(Long));
        Assert.Equal(copiedBefore, Memory.Counters.PayloadBytesCopied);
        Assert.Equal(Errno.None, App.Free(buffer));
        AssertNoLeaks();
    }

    [Fact]
    public async Task SendTo_GvaOfAnotherProcess_ReturnsEfault()
    {
        var (fd, _, _) = await OpenBoundAsync();
        var other = UserProcess.Start(Sys, "other", Table, Icmp);
        var foreign = other.Alloc(100);

        var result = await Within10s(App.SendToAsync(fd, foreign.Gva, 100, Peer));

        Assert.Equal(Errno.EFAULT, result.Error);
        Assert.Equal(-1, result.Value);
        Tx.ExpectNoMsg(Short);
        Assert.Equal(Errno.None, other.Free(foreign));
        AssertNoLeaks();
    }

    [Fact]
    public async Task SendTo_UnmappedGva_ReturnsEfault()
    {
        var (fd, _, _) = await OpenBoundAsync();
        var unmapped = Gva.Make(App.Ts, 0x7000_0000);

        var result = await Within10s(App.SendToAsync(fd, unmapped, 100, Peer));

        Assert.Equal(Errno.EFAULT, result.Error);
        AssertNoLeaks();
    }

    [Fact]
    public async Task SendTo_LengthPastBuffer_ReturnsEfault()
    {
        var (fd, _, _) = await OpenBoundAsync();
        var buffer = Filled(100);

        var fromStart = await Within10s(App.SendToAsync(fd, buffer.Gva, 101, Peer));
        var fromMiddle = await Within10s(App.SendToAsync(fd, buffer.Gva.Add(50), 51, Peer));

        Assert.Equal(Errno.EFAULT, fromStart.Error);
        Assert.Equal(Errno.EFAULT, fromMiddle.Error);
        Tx.ExpectNoMsg(Short);
        Assert.Equal(Errno.None, App.Free(buffer));
        AssertNoLeaks();
    }

    [Fact]
    public async Task SendTo_NeverOpenedOrClosedFd_ReturnsEbadf()
    {
        var (fd, _, _) = await OpenBoundAsync();
        var buffer = Filled(10);
        Assert.True((await Within10s(App.CloseAsync(fd))).IsOk);

        Assert.Equal(Errno.EBADF, (await Within10s(App.SendToAsync(fd, buffer.Gva, 10, Peer))).Error);
        Assert.Equal(Errno.EBADF, (await Within10s(App.SendToAsync(42, buffer.Gva, 10, Peer))).Error);
        Assert.Equal(Errno.EBADF, (await Within10s(App.CloseAsync(fd))).Error);
        Assert.Equal(Errno.None, App.Free(buffer));
        AssertNoLeaks();
    }

    [Fact]
    public async Task SendTo_65508Bytes_ReturnsEmsgsizeAnd65507Goes()
    {
        var (fd, _, _) = await OpenBoundAsync();
        var buffer = Filled(65508);

        var tooBig = await Within10s(App.SendToAsync(fd, buffer.Gva, 65508, Peer));
        var send = App.SendToAsync(fd, buffer.Gva, 65507, Peer).AsTask();
        CompleteNextXmit();

        Assert.Equal(Errno.EMSGSIZE, tooBig.Error);
        Assert.Equal(SysResult.Ok(65507), await send.WaitAsync(Long));
        Assert.Equal(Errno.None, App.Free(buffer));
        AssertNoLeaks();
    }

    [Fact]
    public async Task Send_UnconnectedWithoutDestination_ReturnsEdestaddrreq()
    {
        var (fd, _, _) = await OpenBoundAsync();
        var buffer = Filled(10);

        var result = await Within10s(App.SendAsync(fd, buffer.Gva, 10));

        Assert.Equal(Errno.EDESTADDRREQ, result.Error);
        Assert.Equal(Errno.None, App.Free(buffer));
        AssertNoLeaks();
    }

    [Fact]
    public async Task Send_Connected_GoesToPeerWithoutDestination()
    {
        var fd = await OpenUnboundAsync();
        Assert.True((await Within10s(App.ConnectAsync(fd, Peer))).IsOk);
        Assert.Equal(49152, RxWorker.ExpectMsg<Ipv4Protocol.BindingAdded>().Local.Port);
        var buffer = Filled(10);

        var send = App.SendAsync(fd, buffer.Gva, 10).AsTask();
        var request = CompleteNextXmit();

        Assert.Equal(Peer, request.Destination);
        Assert.Equal(49152, request.Source.Port);
        Assert.Equal(SysResult.Ok(10), await send.WaitAsync(Long));
        Assert.Equal(Errno.None, App.Free(buffer));
        AssertNoLeaks();
    }

    [Fact]
    public async Task SendTo_SendBufferFullWithNonBlockingFlagOrFcntl_ReturnsEagain()
    {
        var (fd, _, _) = await OpenBoundAsync();
        Assert.True((await Within10s(App.SetSockOptAsync(fd, SocketOption.SendBuffer, 1000))).IsOk);
        var buffer = Filled(800);
        var first = App.SendToAsync(fd, buffer.Gva, 800, Peer).AsTask();
        var inFlight = Tx.ExpectMsg<XmitRequest>();

        var withFlag = await Within10s(App.SendToAsync(fd, buffer.Gva, 800, Peer, MsgFlags.DontWait));
        Assert.True((await Within10s(App.SetNonBlocking(fd, true))).IsOk);
        var withFcntl = await Within10s(App.SendToAsync(fd, buffer.Gva, 800, Peer));

        Assert.Equal(Errno.EAGAIN, withFlag.Error);
        Assert.Equal(Errno.EAGAIN, withFcntl.Error);
        Memory.Pop(TxTs, inFlight.Payload).ThrowIfFailed();
        inFlight.ReplyTo.Tell(new XmitComplete(inFlight.RequestId, 800, Errno.None));
        Assert.Equal(SysResult.Ok(800), await first.WaitAsync(Long));
        Assert.Equal(Errno.None, App.Free(buffer));
        AssertNoLeaks();
    }

    [Fact]
    public async Task BadCalls_LoseNothing_AndTheSocketStillWorks()
    {
        var (fd, _, _) = await OpenBoundAsync();
        var other = UserProcess.Start(Sys, "other", Table, Icmp);
        var foreign = other.Alloc(64);
        var buffer = Filled(64);

        Assert.Equal(Errno.EFAULT, (await Within10s(App.SendToAsync(fd, foreign.Gva, 64, Peer))).Error);
        Assert.Equal(Errno.EFAULT, (await Within10s(App.SendToAsync(fd, buffer.Gva, 65, Peer))).Error);
        Assert.Equal(Errno.EFAULT, (await Within10s(App.SendToAsync(fd, Gva.Make(App.Ts, 0x1234_5000), 8, Peer))).Error);
        Assert.Equal(Errno.EMSGSIZE, (await Within10s(App.SendToAsync(fd, buffer.Gva, 65508, Peer))).Error);
        Assert.Equal(Errno.EINVAL, (await Within10s(App.SendToAsync(fd, buffer.Gva, -1, Peer))).Error);
        Assert.Equal(Errno.EINVAL, (await Within10s(App.SendToAsync(fd, buffer.Gva, 64, Peer with { Port = 0 }))).Error);
        Assert.Equal(Errno.EDESTADDRREQ, (await Within10s(App.SendAsync(fd, buffer.Gva, 64))).Error);
        Assert.Equal(Errno.EBADF, (await Within10s(App.SendToAsync(fd + 1, buffer.Gva, 64, Peer))).Error);
        Assert.Equal(Errno.EFAULT, (await Within10s(App.RecvFromAsync(fd, foreign.Gva, 64))).Error);
        Assert.Equal(Errno.EAGAIN, (await Within10s(App.RecvFromAsync(fd, buffer.Gva, 64, MsgFlags.DontWait))).Error);
        Assert.Equal(Errno.None, other.Free(foreign));
        Assert.Equal(Errno.None, App.Free(buffer));
        AssertNoLeaks();

        var again = Filled(64, seed: 9);
        var send = App.SendToAsync(fd, again.Gva, 64, Peer).AsTask();
        var request = Tx.ExpectMsg<XmitRequest>();
        Assert.Equal(Pattern(64, 9), ReadTx(request));
        Memory.Pop(TxTs, request.Payload).ThrowIfFailed();
        request.ReplyTo.Tell(new XmitComplete(request.RequestId, 64, Errno.None));
        Assert.Equal(SysResult.Ok(64), await send.WaitAsync(Long));
        Assert.Equal(Errno.None, App.Free(again));
        AssertNoLeaks();
    }

    [Fact]
    public async Task SendTo_TransmitFails_ReturnsTheErrorAndLeaksNothing()
    {
        var (fd, _, _) = await OpenBoundAsync();
        var buffer = Filled(300);

        var send = App.SendToAsync(fd, buffer.Gva, 300, Peer).AsTask();
        CompleteNextXmit(Errno.EHOSTUNREACH);

        Assert.Equal(Errno.EHOSTUNREACH, (await send.WaitAsync(Long)).Error);
        Assert.Equal(Errno.None, App.Free(buffer));
        AssertNoLeaks();
    }

    [Fact]
    public async Task Socket_OtherDomainOrType_ReturnsErrnoAndNoDescriptor()
    {
        Assert.Equal(Errno.EAFNOSUPPORT, (await Within10s(App.SocketAsync(10, SocketKind.Dgram, 0))).Error);
        // The family here has only UDP: no stream entry at all, and no entry for protocol 6 among the datagram ones.
        Assert.Equal(Errno.ESOCKTNOSUPPORT, (await Within10s(App.SocketAsync(SocketTable.AfInet, SocketKind.Stream, 0))).Error);
        Assert.Equal(Errno.EPROTONOSUPPORT, (await Within10s(App.SocketAsync(SocketTable.AfInet, SocketKind.Dgram, 6))).Error);

        var fd = await Within10s(App.SocketAsync(SocketTable.AfInet, SocketKind.Dgram, 0));
        Assert.Equal(SysResult.Ok(KpnActor.FirstFd), fd);
    }

    [Fact]
    public async Task Close_LowestFreeDescriptorIsReused()
    {
        var a = await OpenUnboundAsync();
        var b = await OpenUnboundAsync();
        Assert.True((await Within10s(App.CloseAsync(a))).IsOk);

        var c = await OpenUnboundAsync();

        Assert.Equal(3, a);
        Assert.Equal(4, b);
        Assert.Equal(3, c);
    }

    [Fact]
    public async Task Exit_ClosesEveryDescriptorThenRefusesNewSocketsAndASecondExit()
    {
        var fd = await OpenUnboundAsync();
        var allocated = App.Alloc(10);

        var exited = await App.Kpn.Ask<SysResult>(new KpnProtocol.Exit(), Long);
        var socket = await App.Kpn.Ask<SysResult>(new KpnProtocol.Socket(2, SocketKind.Dgram, 0), Long);
        var send = await App.Kpn.Ask<SysResult>(
            new KpnProtocol.SendTo(Fd: fd, Buffer: allocated.Gva, Length: 10, Destination: Peer, Flags: MsgFlags.None), Long);
        var again = await App.Kpn.Ask<SysResult>(new KpnProtocol.Exit(), Long);

        Assert.True(exited.IsOk);
        Assert.Equal(Errno.EINTR, socket.Error);
        Assert.Equal(Errno.EBADF, send.Error);
        Assert.Equal(Errno.EINTR, again.Error);
        Assert.Equal(Errno.None, App.Free(allocated));
        AwaitAssert(() => Assert.True(Memory.GetLeakReport().IsClean, Memory.GetLeakReport().ToString()));
    }

    [Fact]
    public async Task NetDown_PendingCallsEndEnetdown_LaterCallsEnetdown_CloseZero()
    {
        var (fd, node, _) = await OpenBoundAsync();
        var buffer = Filled(100);
        var send = App.SendToAsync(fd, buffer.Gva, 100, Peer).AsTask();
        var request = Tx.ExpectMsg<XmitRequest>();
        var recv = App.RecvZeroCopyAsync(fd).AsTask();
        await AwaitRecvWaitingAsync(node);

        // The net process died (console cluster): its sockets will never answer.
        App.Kpn.Tell(new KpnProtocol.NetDown("test"));

        Assert.Equal(Errno.ENETDOWN, (await send.WaitAsync(Long)).Error);
        Assert.Equal(Errno.ENETDOWN, (await recv.WaitAsync(Long)).Error);
        Assert.Equal(Errno.ENETDOWN, (await Within10s(App.SendToAsync(fd, buffer.Gva, 100, Peer))).Error);
        Assert.Equal(Errno.ENETDOWN, (await Within10s(App.RecvZeroCopyAsync(fd))).Error);
        Assert.Equal(Errno.ENETDOWN, (await Within10s(App.SetSockOptAsync(fd, SocketOption.SendBuffer, 4096))).Error);
        Tx.ExpectNoMsg(Short);
        Assert.Equal(SysResult.Ok(0), await Within10s(App.CloseAsync(fd)));
        Assert.Equal(Errno.EBADF, (await Within10s(App.CloseAsync(fd))).Error);

        // Here the socket is alive after all (one process): finish its send and close it as a net restart would have.
        Memory.Pop(TxTs, request.Payload).ThrowIfFailed();
        request.ReplyTo.Tell(new XmitComplete(request.RequestId, 100, Errno.None));
        await node.Ask<SocketProtocol.SocketReply>(new SocketProtocol.CloseSocket(99), Long);
        Assert.Equal(Errno.None, App.Free(buffer));
        AwaitAssert(() => Assert.True(Memory.GetLeakReport().IsClean, Memory.GetLeakReport().ToString()));
    }

    [Fact]
    public async Task SendTo_SocketsTsExitedBeforeNetDown_EnetdownNotEbadfAndNothingShared()
    {
        var (fd, node, socketTs) = await OpenBoundAsync();
        var buffer = Filled(100);

        // A console cluster's net process died and a survivor reaped its TSs; this KPN has not heard NetDown yet.
        Memory.Lift(socketTs);

        Assert.Equal(Errno.ENETDOWN, (await Within10s(App.SendToAsync(fd, buffer.Gva, 100, Peer))).Error);
        Assert.Equal(Errno.ENETDOWN, (await Within10s(App.SendToAsync(fd, buffer.Gva, 100, Peer))).Error);
        Tx.ExpectNoMsg(Short);
        App.Kpn.Tell(new KpnProtocol.NetDown("test"));
        Assert.Equal(Errno.ENETDOWN, (await Within10s(App.SendToAsync(fd, buffer.Gva, 100, Peer))).Error);
        Assert.Equal(SysResult.Ok(0), await Within10s(App.CloseAsync(fd)));
        Assert.Equal(Errno.None, App.Free(buffer));
        await node.Ask<SocketProtocol.SocketReply>(new SocketProtocol.CloseSocket(99), Long);
        AwaitAssert(() => Assert.DoesNotContain(Memory.GetLeakReport().Nodes, n => n.OwnerPath.StartsWith("/user_proc", StringComparison.Ordinal)));
    }

    private byte[] ReadTx(XmitRequest request)
    {
        var bytes = new byte[request.Length];
        Memory.Read(TxTs, request.Payload, 0, bytes, CopyKind.Metadata).ThrowIfFailed();
        return bytes;
    }
}
