using System.Diagnostics;
using Akka.Actor;
using Akka.Actor.Dsl;
using Edsos.Protocol;
using Edsos.SocketService;

namespace Edsos.Kpn.Tests;

/// <summary>
/// Starting a process never waits for a second thread: on a one-thread dispatcher, an actor (the only thread the KPN
/// could run on) starts a process without stalling, and the process's first syscall is answered.
/// </summary>
public sealed class UserProcessStartSpec : KpnSpecBase
{
    public UserProcessStartSpec()
        : base(DataPathMode.ZeroCopy, dispatcherThreads: 1)
    {
    }

    [Fact]
    public async Task Start_FromAnActorOnTheOnlyDispatcherThread_ReturnsAtOnce_AndTheFirstSyscallIsAnswered()
    {
        var result = new TaskCompletionSource<(Libc? Libc, TimeSpan Took, Exception? Error)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var table = Table;
        var icmp = Icmp.Ref;
        var starter = Sys.ActorOf(dsl => dsl.ReceiveAny((_, context) =>
        {
            var clock = Stopwatch.StartNew();
            try
            {
                var libc = UserProcess.Start(context.System, "started-in-actor", table, icmp);
                result.SetResult((libc, clock.Elapsed, null));
            }
            catch (Exception e)
            {
                result.SetResult((null, clock.Elapsed, e));
            }
        }));

        starter.Tell("start");
        var (started, took, error) = await result.Task.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Null(error);
        Assert.True(took < TimeSpan.FromSeconds(2), $"UserProcess.Start blocked the dispatcher's only thread for {took}");
        var socket = await started!.SocketAsync(SocketTable.AfInet, SocketKind.Dgram, 0).AsTask().WaitAsync(Long);
        Assert.True(socket.IsOk, socket.ToString());
        Assert.Equal(3, socket.Value);
    }
}
