using Edsos.Protocol;
using Edsos.Scheduler;
using Edsos.SocketService;

namespace Edsos.Kpn.Tests;

/// <summary>
/// With the default dispatcher on a <see cref="ParkingExecutor"/> that runs continuations, a syscall's continuation
/// runs on the executor's thread (after the KPN's turn), and the app's next syscall from there is answered.
/// </summary>
public sealed class ContinuationsOnExecutorSpec : KpnSpecBase
{
    public ContinuationsOnExecutorSpec()
        : base(DataPathMode.ZeroCopy, extraConfig: """
            akka.actor.default-dispatcher {
              type = Dispatcher
              executor = "Edsos.Scheduler.ParkingExecutorConfigurator, Edsos.Scheduler"
              parking-executor { thread-count = 1, spin-us = 50, run-continuations = on }
            }
            """)
    {
    }

    [Fact]
    public async Task SyscallContinuation_RunsOnTheExecutorThread_AndTheNextSyscallFromThereIsAnswered()
    {
        // A continuation lands on the executor only if the answer comes after the await: under load (a CI run building
        // the next test project meanwhile) the helper's hundred tries once all completed synchronously, so the whole
        // sequence is tried again (three times; each helper call tries for up to 5 s) until the first continuation is
        // on the executor.
        (SysResult first, ParkingExecutor? firstOn, SysResult second, ParkingExecutor? secondOn) result = default;
        for (int attempt = 0; attempt < 3; attempt++)
        {
            result = await Task.Run(async () =>
            {
                var first = await OpenSocketOnExecutorAsync().ConfigureAwait(false);

                var firstOn = ParkingExecutor.Current;
                var second = await App.SocketAsync(SocketTable.AfInet, SocketKind.Dgram, 0).ConfigureAwait(false);
                return (first, firstOn, second, secondOn: ParkingExecutor.Current);
            }).WaitAsync(Long);
            if (result.firstOn is not null || !result.first.IsOk || !result.second.IsOk)
            {
                break;
            }

            await App.CloseAsync((int)result.first.Value);
            await App.CloseAsync((int)result.second.Value);
        }

        Assert.True(result.first.IsOk, result.first.ToString());
        Assert.True(result.second.IsOk, result.second.ToString());
        Assert.Equal(result.first.Value + 1, result.second.Value);
        Assert.NotNull(result.firstOn);
        Assert.True(result.firstOn!.RunsContinuations);
        Assert.Same(result.firstOn, result.secondOn);
    }
}
