using Edsos.Protocol;
using Edsos.Scheduler;
using Edsos.SocketService;

namespace Edsos.Kpn.Tests;

/// <summary>
/// On the default dispatcher (one shared executor thread that also runs the apps' continuations), an app that blocks
/// that thread synchronously on a syscall still gets its answer: after the blocked-run threshold a spare thread runs
/// the KPN, which answers, and the blocked thread goes on.
/// </summary>
public sealed class BlockingAppOnDefaultExecutorSpec : KpnSpecBase
{
    public BlockingAppOnDefaultExecutorSpec()
        : base(DataPathMode.ZeroCopy, dispatcherThreads: 1)
    {
    }

    [Fact]
    public async Task AppBlockingItsThreadOnASyscall_IsAnswered_ThroughASpare()
    {
        var result = await Task.Run(() => OnExecutorWithSocketAsync(first =>
        {
            var executor = ParkingExecutor.Current;
            var thread = Thread.CurrentThread.Name;
            long wakesBefore = executor?.BlockedWakes ?? 0;

            // A spare still within its lease from an earlier blocked run (another spec of this process shares the
            // executor) takes the KPN's run without a new wake.
            int sparesActive = executor?.ActiveSpares ?? 0;

            // The executor's only thread now waits for the KPN, which needs a thread to run on.
            var second = App.SocketAsync(SocketTable.AfInet, SocketKind.Dgram, 0).AsTask().Result;
            return Task.FromResult((first, executor, thread, second, wakes: (executor?.BlockedWakes ?? 0) - wakesBefore, sparesActive));
        })).WaitAsync(Long);

        Assert.True(result.first.IsOk, result.first.ToString());
        Assert.True(result.executor is not null, $"the continuation ran on {result.thread ?? "an unnamed thread"}");
        Assert.True(result.executor!.RunsContinuations);
        Assert.True(result.second.IsOk, result.second.ToString());
        Assert.Equal(result.first.Value + 1, result.second.Value);
        Assert.True(result.wakes >= 1 || result.sparesActive > 0, "no spare was woken for the blocked run, and none was active");
    }
}
