using Edsos.Memory;
using Edsos.Protocol;
using Edsos.Protocol.Ipv4;
using Edsos.SocketService;
using static Edsos.Protocol.InetProtocol;

namespace Edsos.Kpn.Tests;

/// <summary>
/// The io_uring-style rings: many operations per submission, completions reaped without a syscall each, errors per
/// entry, the full and empty edges, and nothing leaked when the ring or the process goes away mid-batch.
/// </summary>
public sealed class IoRingSpec : KpnSpecBase
{
    [Fact]
    public async Task BatchedSends_OneSubmit_EveryDatagramLeavesWithItsBytes_AndCompletes()
    {
        var (fd, _, _) = await OpenBoundAsync();
        Assert.Equal(Errno.None, App.TryCreateRing(8, out var ring));
        var buffers = new UserBuffer[8];
        for (int i = 0; i < buffers.Length; i++)
        {
            buffers[i] = Filled(100 + i, seed: i + 1);
            Assert.True(ring!.PrepareSend(fd, buffers[i].Gva, 100 + i, Peer, userData: 1000UL + (ulong)i));
        }

        Assert.Equal(SysResult.Ok(8), ring!.Submit());

        for (int i = 0; i < buffers.Length; i++)
        {
            var request = Tx.ExpectMsg<XmitRequest>();
            var bytes = new byte[request.Length];
            Memory.Read(TxTs, request.Payload, 0, bytes, CopyKind.Metadata).ThrowIfFailed();
            Assert.Equal(Pattern(100 + i, seed: i + 1), bytes);
            Assert.Equal(Peer, request.Destination);
            Memory.Pop(TxTs, request.Payload).ThrowIfFailed();
            request.ReplyTo.Tell(new XmitComplete(request.RequestId, request.Length, Errno.None));
        }

        var completions = await ReapAsync(ring, 8);
        for (int i = 0; i < completions.Count; i++)
        {
            Assert.Equal(new IoCompletion(1000UL + (ulong)i, IoOp.Send, 100 + i, Errno.None, null, default), completions[i]);
        }

        Assert.Equal(0, ring.Outstanding);
        Assert.False(ring.TryReap(out _));
        ring.Dispose();
        foreach (var buffer in buffers)
        {
            Assert.Equal(Errno.None, App.Free(buffer));
        }

        AssertNoLeaks();
    }

    [Fact]
    public async Task BatchOnAnUnboundSocket_BindsOnceThenSendsEveryEntryInOrder()
    {
        int fd = await OpenUnboundAsync();
        Assert.Equal(Errno.None, App.TryCreateRing(4, out var ring));
        var buffer = Filled(300);
        for (int i = 0; i < 4; i++)
        {
            Assert.True(ring!.PrepareSend(fd, buffer.Gva.Add(i * 10), 100, Peer, userData: (ulong)i));
        }

        Assert.Equal(SysResult.Ok(4), ring!.Submit());

        var binding = RxWorker.ExpectMsg<Ipv4Protocol.BindingAdded>();
        Assert.NotEqual(0, binding.Local.Port);
        for (int i = 0; i < 4; i++)
        {
            var request = Tx.ExpectMsg<XmitRequest>();
            var bytes = new byte[100];
            Memory.Read(TxTs, request.Payload, 0, bytes, CopyKind.Metadata).ThrowIfFailed();
            Assert.Equal(Pattern(300)[(i * 10)..((i * 10) + 100)], bytes);
            Assert.Equal(binding.Local.Port, request.Source.Port);
            Memory.Pop(TxTs, request.Payload).ThrowIfFailed();
            request.ReplyTo.Tell(new XmitComplete(request.RequestId, request.Length, Errno.None));
        }

        Assert.Equal([0UL, 1UL, 2UL, 3UL], (await ReapAsync(ring, 4)).Select(c => c.UserData));
        RxWorker.ExpectNoMsg(Short);
        ring.Dispose();
        Assert.Equal(Errno.None, App.Free(buffer));
        AssertNoLeaks();
    }

    [Fact]
    public async Task ErrorsPerEntry_LandInTheRightCompletion()
    {
        var (fd, _, _) = await OpenBoundAsync();
        Assert.Equal(Errno.None, App.TryCreateRing(8, out var ring));
        var good = Filled(64);
        var big = App.Alloc(70_000);
        Assert.True(ring!.PrepareSend(fd, good.Gva, 64, Peer, userData: 1));
        Assert.True(ring.PrepareSend(99, good.Gva, 64, Peer, userData: 2));
        Assert.True(ring.PrepareSend(fd, big.Gva, 70_000, Peer, userData: 3));
        Assert.True(ring.PrepareSend(fd, good.Gva.Add(60), 64, Peer, userData: 4));
        Assert.True(ring.PrepareSend(fd, good.Gva, 64, null, userData: 5));
        Assert.True(ring.PrepareSend(fd, good.Gva, 64, Peer, userData: 6));

        Assert.Equal(SysResult.Ok(6), ring.Submit());
        CompleteNextXmit();
        CompleteNextXmit(Errno.ENETDOWN);

        var byUserData = (await ReapAsync(ring, 6)).ToDictionary(c => c.UserData);
        Assert.Equal(64, byUserData[1].Result);
        Assert.Equal(Errno.EBADF, byUserData[2].Error);
        Assert.Equal(Errno.EMSGSIZE, byUserData[3].Error);
        Assert.Equal(Errno.EFAULT, byUserData[4].Error);
        Assert.Equal(Errno.EDESTADDRREQ, byUserData[5].Error);
        Assert.Equal(Errno.ENETDOWN, byUserData[6].Error);
        Assert.All(byUserData.Values.Where(c => !c.IsOk), c => Assert.Equal(-1, c.Result));
        Tx.ExpectNoMsg(Short);
        ring.Dispose();
        Assert.Equal(Errno.None, App.Free(good));
        Assert.Equal(Errno.None, App.Free(big));
        AssertNoLeaks();
    }

    [Fact]
    public async Task BatchedReceives_ZeroCopyAndCopy_DeliverEveryDatagramWithItsSource()
    {
        var (fd, node, socketTs) = await OpenBoundAsync();
        Assert.Equal(Errno.None, App.TryCreateRing(4, out var ring));
        var copyBuffer = App.Alloc(200);
        Assert.True(ring!.PrepareRecvZeroCopy(fd, userData: 1));
        Assert.True(ring.PrepareRecvZeroCopy(fd, userData: 2));
        Assert.True(ring.PrepareRecv(fd, copyBuffer.Gva, 200, userData: 3));
        Assert.Equal(SysResult.Ok(3), ring.Submit());
        await AwaitAssertAsync(async () =>
        {
            var stats = await node.Ask<SocketProtocol.SocketStats>(new SocketProtocol.GetSocketStats(0), Long);
            Assert.Equal(3, stats.ReceiveWaiters);
        });

        var from = new Ipv4Endpoint(Peer.Address, 7001);
        Deliver(node, socketTs, Pattern(300, seed: 1), Peer);
        Deliver(node, socketTs, Pattern(400, seed: 2), from);
        Deliver(node, socketTs, Pattern(150, seed: 3), Peer);

        var completions = await ReapAsync(ring, 3);
        var byUserData = completions.ToDictionary(c => c.UserData);
        Assert.Equal(300, byUserData[1].Result);
        Assert.Equal(Peer, byUserData[1].From);
        Assert.Equal(Pattern(300, seed: 1), ReadBack(byUserData[1].Buffer!, 300));
        Assert.Equal(400, byUserData[2].Result);
        Assert.Equal(from, byUserData[2].From);
        Assert.Equal(Pattern(400, seed: 2), ReadBack(byUserData[2].Buffer!, 400));
        Assert.Equal(Errno.EFAULT, App.WriteBuffer(byUserData[2].Buffer!, 0, new byte[1]));
        Assert.Equal(150, byUserData[3].Result);
        Assert.Null(byUserData[3].Buffer);
        Assert.Equal(Pattern(150, seed: 3), ReadBack(copyBuffer, 150));

        Assert.Equal(Errno.None, App.Free(byUserData[1].Buffer!));
        Assert.Equal(Errno.None, App.Free(byUserData[2].Buffer!));
        Assert.Equal(Errno.None, App.Free(copyBuffer));
        ring.Dispose();
        AssertNoLeaks();
    }

    [Fact]
    public async Task FullAndEmptyEdges_PrepareRefusesPastTheRing_SubmitWaitsForCompletionRoom()
    {
        var (fd, _, _) = await OpenBoundAsync();
        Assert.Equal(Errno.EINVAL, App.TryCreateRing(3, out _));
        Assert.Equal(Errno.EINVAL, App.TryCreateRing(0, out _));
        Assert.Equal(Errno.None, App.TryCreateRing(2, out var ring));
        var buffer = Filled(32);
        Assert.False(ring!.TryReap(out _));
        Assert.Equal(SysResult.Ok(0), ring.Submit());

        Assert.True(ring.PrepareSend(fd, buffer.Gva, 32, Peer, 1));
        Assert.True(ring.PrepareSend(fd, buffer.Gva, 32, Peer, 2));
        Assert.False(ring.PrepareSend(fd, buffer.Gva, 32, Peer, 3));
        Assert.Equal(SysResult.Ok(2), ring.Submit());
        var first = Tx.ExpectMsg<XmitRequest>();
        var second = Tx.ExpectMsg<XmitRequest>();

        // The KPN consumed both entries: the submission ring has room again; the completion ring holds 4.
        Assert.True(ring.PrepareSend(fd, buffer.Gva, 32, Peer, 3));
        Assert.True(ring.PrepareSend(fd, buffer.Gva, 32, Peer, 4));
        Assert.Equal(SysResult.Ok(2), ring.Submit());
        var third = Tx.ExpectMsg<XmitRequest>();
        var fourth = Tx.ExpectMsg<XmitRequest>();
        await AwaitAssertAsync(() => Assert.True(ring.PrepareSend(fd, buffer.Gva, 32, Peer, 5)));
        Assert.Equal(4, ring.Outstanding);
        Assert.Equal(SysResult.Ok(0), ring.Submit());
        Assert.Equal(1, ring.Prepared);
        Assert.False(ring.TryReap(out _));

        foreach (var request in new[] { first, second, third, fourth })
        {
            Memory.Pop(TxTs, request.Payload).ThrowIfFailed();
            request.ReplyTo.Tell(new XmitComplete(request.RequestId, request.Length, Errno.None));
        }

        Assert.Equal([1UL, 2UL, 3UL, 4UL], (await ReapAsync(ring, 4)).Select(c => c.UserData));
        Assert.Equal(SysResult.Ok(1), ring.Submit());
        CompleteNextXmit();
        Assert.Equal(5UL, (await ReapAsync(ring, 1))[0].UserData);
        ring.Dispose();
        Assert.Equal(SysResult.Fail(Errno.EBADF), ring.Submit());
        Assert.Equal(Errno.None, App.Free(buffer));
        AssertNoLeaks();
    }

    [Fact]
    public async Task ProcessExitMidBatch_ReaperGetsEbadf_NothingLeaks()
    {
        var (fd, node, socketTs) = await OpenBoundAsync();
        Assert.Equal(Errno.None, App.TryCreateRing(8, out var ring));
        var buffer = Filled(500);
        Assert.True(ring!.PrepareSend(fd, buffer.Gva, 500, Peer, 1));
        Assert.True(ring.PrepareSend(fd, buffer.Gva, 500, Peer, 2));
        Assert.True(ring.PrepareRecvZeroCopy(fd, 3));
        Assert.True(ring.PrepareRecvZeroCopy(fd, 4));
        Assert.Equal(SysResult.Ok(4), ring.Submit());
        var inFlight = Tx.ExpectMsg<XmitRequest>();
        Tx.ExpectMsg<XmitRequest>();
        await AwaitAssertAsync(async () =>
        {
            var stats = await node.Ask<SocketProtocol.SocketStats>(new SocketProtocol.GetSocketStats(0), Long);
            Assert.Equal(2, stats.ReceiveWaiters);
        });

        // One datagram is granted to the app (its completion written, not reaped) when the process exits.
        Deliver(node, socketTs, Pattern(60));
        await AwaitAssertAsync(async () => Assert.Equal(Errno.None, await ring.WaitAsync().AsTask().WaitAsync(Long)));
        var granted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reaper = Task.Run(async () =>
        {
            // Reap until the ring closes: the exit's close of the descriptor answers what is still out (EBADF).
            var reaped = new List<IoCompletion>();
            do
            {
                while (ring.TryReap(out var completion))
                {
                    reaped.Add(completion);
                    if (completion.UserData == 3)
                    {
                        granted.TrySetResult();
                    }
                }
            }
            while (await ring.WaitAsync() == Errno.None);

            return reaped;
        });

        // The exit comes once the reaper holds the granted datagram (not yet freed): a completion still in the ring
        // when the process's TS goes is gone with the ring's memory, so under load the reaper could miss it.
        await granted.Task.WaitAsync(Long);
        Assert.Equal(Errno.None, await App.ExitAsync().AsTask().WaitAsync(Long));

        var byUserData = (await reaper.WaitAsync(Long)).ToDictionary(c => c.UserData);
        Assert.Equal(60, byUserData[3].Result);
        Assert.All(byUserData.Values.Where(c => c.UserData != 3), c => Assert.Equal(Errno.EBADF, c.Error));
        Assert.Equal(Errno.EBADF, await ring.WaitAsync().AsTask().WaitAsync(Long));
        Assert.True(ring.IsClosed);
        Assert.Equal(SysResult.Fail(Errno.EBADF), ring.Submit());
        Assert.Equal(MemoryError.InvalidGva, Memory.Inspect(TxTs, inFlight.Payload).Error);
        AwaitAssert(() => Assert.False(Memory.GetTs(socketTs).Alive));
        AssertNoLeaks();
    }

    [Fact]
    public async Task RingDisposedWithAReceiveDue_TheKpnReleasesTheDatagram()
    {
        var (fd, node, socketTs) = await OpenBoundAsync();
        Assert.Equal(Errno.None, App.TryCreateRing(2, out var ring));
        Assert.True(ring!.PrepareRecvZeroCopy(fd, 1));
        Assert.Equal(SysResult.Ok(1), ring.Submit());
        await AwaitRecvWaitingAsync(node);

        ring.Dispose();
        Deliver(node, socketTs, Pattern(80));

        Assert.Equal(Errno.EBADF, await ring.WaitAsync().AsTask().WaitAsync(Long));
        AssertNoLeaks();
        Assert.True((await Within10s(App.CloseAsync(fd))).IsOk);
    }

    private static async Task<List<IoCompletion>> ReapAsync(IoRing ring, int count)
    {
        var reaped = new List<IoCompletion>();
        while (reaped.Count < count)
        {
            if (ring.TryReap(out var completion))
            {
                reaped.Add(completion);
                continue;
            }

            Assert.Equal(Errno.None, await ring.WaitAsync().AsTask().WaitAsync(Long));
        }

        Assert.False(ring.TryReap(out _));
        return reaped;
    }
}
