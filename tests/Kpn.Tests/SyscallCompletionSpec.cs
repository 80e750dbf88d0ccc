using Edsos.Protocol;
using Edsos.Protocol.Wire;
using static Edsos.Protocol.InetProtocol;
using Edsos.SocketService;

namespace Edsos.Kpn.Tests;

/// <summary>
/// The pooled syscall completions that replace Ask: timeouts from the one timer, cancellation, the KPN's stop, and
/// slots reused under load without a late reply reaching someone else's call.
/// </summary>
public sealed class SyscallCompletionSpec : KpnSpecBase
{
    [Fact]
    public async Task TimedOutRecv_LateReplyIsDropped_NextCallGetsItsOwnAnswer()
    {
        // Long enough that the second receive stays out while the checks below run on a loaded machine (at 300 ms it
        // sometimes timed out too, and "not completed" failed).
        var timed = UserProcess.Start(Sys, "timed", Table, Icmp, DataPathMode.ZeroCopy, new UserProcessOptions { SyscallTimeout = TimeSpan.FromMilliseconds(1500) });
        var (fd, node, socketTs) = await OpenBoundAsync(timed);
        var buffer = timed.Alloc(100);

        var first = await Within10s(timed.RecvFromAsync(fd, buffer.Gva, 100));
        Assert.Equal(Errno.ETIMEDOUT, first.Error);

        // The socket still holds the first receive's waiter: datagram 1 goes to it, and the KPN answers a call that
        // ended. The second receive, on a slot from the same pool, must not see that answer.
        var second = timed.RecvFromAsync(fd, buffer.Gva, 100).AsTask();
        await AwaitAssertAsync(async () =>
        {
            var stats = await node.Ask<SocketProtocol.SocketStats>(new SocketProtocol.GetSocketStats(0), Long);
            Assert.Equal(2, stats.ReceiveWaiters);
        });
        Deliver(node, socketTs, Pattern(30, seed: 1));
        await Task.Delay(100);
        Assert.False(second.IsCompleted);

        Deliver(node, socketTs, Pattern(40, seed: 2));

        var got = await second.WaitAsync(Long);
        Assert.Equal(40, got.Value);
        Assert.Equal(Pattern(40, seed: 2), ReadBack(buffer, 40, timed));
        Assert.Equal(Errno.None, timed.Free(buffer));
        Assert.Equal(Errno.None, await timed.ExitAsync().AsTask().WaitAsync(Long));
        AssertNoLeaks();
    }

    [Fact]
    public async Task EarlierDeadline_MovesTheOneTimer_LaterCallKeepsWaiting()
    {
        var (fd, node, socketTs) = await OpenBoundAsync();
        var buffer = App.Alloc(50);

        // A receive with the default deadline (a day away) arms the process's timer; a ping that nobody answers has
        // an earlier one (its timeout plus 5 s of slack), which must move the timer forward.
        var receive = App.RecvFromAsync(fd, buffer.Gva, 50).AsTask();
        await AwaitRecvWaitingAsync(node);
        var started = System.Diagnostics.Stopwatch.StartNew();
        var ping = await App.PingAsync(Ipv4Address.Parse("10.0.0.9"), 1, 8, TimeSpan.FromMilliseconds(100)).AsTask().WaitAsync(Long);

        Assert.Equal(Errno.ETIMEDOUT, ping.Error);
        Assert.InRange(started.Elapsed, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(9));
        Icmp.ExpectMsg<PingRequest>();
        Assert.False(receive.IsCompleted);
        Deliver(node, socketTs, Pattern(50));
        Assert.Equal(50, (await receive.WaitAsync(Long)).Value);
        Assert.Equal(Errno.None, App.Free(buffer));
        AssertNoLeaks();
    }

    [Fact]
    public async Task ManyConcurrentCalls_EachGetsTheAnswerForItsOwnDescriptor()
    {
        var fds = new int[3];
        for (int i = 0; i < fds.Length; i++)
        {
            fds[i] = await OpenUnboundAsync();
            Assert.True((await Within10s(App.SetSockOptAsync(fds[i], SocketOption.SendBuffer, 10_000 * (i + 1)))).IsOk);
        }

        for (int round = 0; round < 5; round++)
        {
            var calls = new Task<SysResult>[300];
            for (int i = 0; i < calls.Length; i++)
            {
                int fd = fds[i % fds.Length];
                calls[i] = Task.Run(async () => await App.GetSockOptAsync(fd, SocketOption.SendBuffer));
            }

            var results = await Task.WhenAll(calls).WaitAsync(Long);
            for (int i = 0; i < results.Length; i++)
            {
                Assert.Equal(SysResult.Ok(10_000 * ((i % fds.Length) + 1)), results[i]);
            }
        }
    }

    [Fact]
    public async Task CancelledCall_EndsWithEintr_AndTheNextCallsWork()
    {
        var (fd, node, socketTs) = await OpenBoundAsync();
        using var cancel = new CancellationTokenSource();
        var receive = App.RecvZeroCopyAsync(fd, MsgFlags.None, cancel.Token).AsTask();
        await AwaitRecvWaitingAsync(node);

        await cancel.CancelAsync();

        Assert.Equal(Errno.EINTR, (await receive.WaitAsync(Long)).Error);

        // Withdrawn from the socket: the next datagram goes to the next receive.
        await AwaitAssertAsync(async () =>
        {
            var stats = await node.Ask<SocketProtocol.SocketStats>(new SocketProtocol.GetSocketStats(0), Long);
            Assert.Equal(0, stats.ReceiveWaiters);
        });
        Deliver(node, socketTs, Pattern(20));
        var next = await Within10s(App.RecvZeroCopyAsync(fd));
        Assert.Equal(20, next.Length);
        Assert.Equal(Errno.None, App.Free(next.Buffer!));

        // A token cancelled before the call: EINTR at once, nothing sent to the socket.
        Assert.Equal(Errno.EINTR, (await Within10s(App.GetSockOptAsync(fd, SocketOption.SendBuffer, cancel.Token))).Error);
        Assert.True((await Within10s(App.GetSockOptAsync(fd, SocketOption.SendBuffer))).IsOk);
        AssertNoLeaks();
    }

    [Fact]
    public async Task KpnStopped_CallsOutEndWithEintr_LaterCallsEndAtOnce()
    {
        var (fd, node, _) = await OpenBoundAsync();
        var receives = new Task<ZeroCopyRecv>[4];
        for (int i = 0; i < receives.Length; i++)
        {
            receives[i] = App.RecvZeroCopyAsync(fd).AsTask();
        }

        await AwaitAssertAsync(async () =>
        {
            var stats = await node.Ask<SocketProtocol.SocketStats>(new SocketProtocol.GetSocketStats(0), Long);
            Assert.Equal(4, stats.ReceiveWaiters);
        });

        // The KPN alone dies (its TS exits, the app's stays): the calls out end, and every later one at once.
        await Sys.ExitTsAsync(App.KpnTs);

        foreach (var receive in receives)
        {
            Assert.Equal(Errno.EINTR, (await receive.WaitAsync(Long)).Error);
        }

        Assert.Equal(Errno.EINTR, (await Within10s(App.GetSockOptAsync(fd, SocketOption.SendBuffer))).Error);
        AssertNoLeaks();
    }
}
