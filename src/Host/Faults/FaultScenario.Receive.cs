using Edsos.Scheduler;
using System.Collections.Concurrent;
using Edsos.Kpn;
using Edsos.Memory;
using Edsos.Protocol;
using Edsos.Protocol.Wire;
using Edsos.Scheduler.Faults;
using Edsos.SocketService;

namespace Edsos.Host.Faults;

/// <summary>The receive duals: app B receives zero-copy from a sender on A while the fault hits B's receive path.</summary>
public static partial class FaultScenario
{
    private const ushort BystanderPort = 5001;
    private const int PollAttempts = 100;
    private static readonly TimeSpan s_pollPause = TimeSpan.FromMilliseconds(5);

    private static async Task<FaultScenarioResult> RunReceiveAsync(FaultScenarioOptions options, EdsosHost a, EdsosHost b, CancellationToken stop)
    {
        var interrupted = false;
        var rounds = 0;
        var ledger = new SyscallLedger(options.SyscallTimeout);
        var violations = ledger.Violations;
        var results = ledger.Results;
        var failuresA = ActorFailedCollector.Start(a.System);
        var failuresB = ActorFailedCollector.Start(b.System);
        var fault = options.Fault!.Value;

        var sender = a.StartProcess("sender");
        var senderFd = await OpenAsync(sender, 0).ConfigureAwait(false);
        var data = sender.Alloc(options.Size);
        sender.WriteBuffer(data, 0, new byte[options.Size]);
        var bystander = b.StartProcess("bystander");
        var bystanderFd = await OpenAsync(bystander, BystanderPort).ConfigureAwait(false);
        var bystanderSends = 0;
        var bystanderOk = 0;
        async Task BystanderRoundAsync()
        {
            bystanderSends++;
            var sent = await sender.SendToAsync(senderFd, data.Gva, options.Size, new Ipv4Endpoint(Ipv4Address.Parse("10.0.0.2"), BystanderPort)).ConfigureAwait(false);
            if (sent.IsOk && await PollOneAsync(bystander, bystanderFd, null).ConfigureAwait(false) == Errno.None)
            {
                bystanderOk++;
            }
        }

        // Resolves the addresses, and shows the bystander receives before the fault.
        await BystanderRoundAsync().ConfigureAwait(false);

        var app = b.StartProcess("app");

        var appFd = (int)(await ledger.CallAsync(app.SocketAsync(2, SocketKind.Dgram, 0), "socket").ConfigureAwait(false)).Value;
        await ledger.CallAsync(app.BindAsync(appFd, new Ipv4Endpoint(Ipv4Address.Any, AppPort)), "bind").ConfigureAwait(false);
        var armed = b.System.Faults.Arm(new FaultSpec(fault.Kind, fault.Point)
        {
            Target = fault.Kind == FaultKind.TsExit ? app.Ts : null,
            AfterHits = options.FaultAfterSends,
            Action = fault.Kind == FaultKind.SocketClose ? async () => await ledger.CallAsync(app.CloseAsync(appFd), "close (injected)").ConfigureAwait(false) : null,
        });

        // One datagram at a time: the sender's send returns when its frame is on the wire, then the
        // app polls (non-blocking recv) until it arrives; each poll is a syscall with one result.
        var received = 0;
        var destination = new Ipv4Endpoint(Ipv4Address.Parse("10.0.0.2"), AppPort);
        for (var i = 0; i < options.Sends; i++)
        {
            if (stop.IsCancellationRequested)
            {
                interrupted = true;
                break;
            }

            rounds++;
            var sent = await sender.SendToAsync(senderFd, data.Gva, options.Size, destination).ConfigureAwait(false);
            if (!sent.IsOk)
            {
                violations.Enqueue($"the sender on A failed: {sent.Error}");
            }

            if (await PollOneAsync(app, appFd, ledger.CallAsync).ConfigureAwait(false) == Errno.None)
            {
                received++;
            }
        }

        FaultFiring? firing = null;
        try
        {
            firing = await armed.FirstFiring.WaitAsync(options.SyscallTimeout, stop).ConfigureAwait(false);
            await firing.Completion.WaitAsync(options.SyscallTimeout).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Interrupted before the fault fired: the report says it did not fire.
            interrupted = true;
        }
        catch (TimeoutException)
        {
            violations.Enqueue(firing is null
                ? $"the fault never fired ({armed.Hits} hit(s) of {fault.Point.Name})"
                : "the fault's asynchronous part (TS exit, close) did not finish");
        }

        armed.Dispose();
        var bystanderBefore = bystanderOk;
        var bystanderRounds = interrupted ? 0 : 3;
        for (var i = 0; i < bystanderRounds; i++)
        {
            await BystanderRoundAsync().ConfigureAwait(false);
        }

        if (bystanderOk - bystanderBefore != bystanderRounds)
        {
            violations.Enqueue($"the bystander on B received {bystanderOk - bystanderBefore}/{bystanderRounds} datagrams after the fault");
        }

        if (fault.Kind is FaultKind.DmaFail or FaultKind.DriverCrash && received < rounds - 1)
        {
            violations.Enqueue($"app B received {received}/{rounds} datagrams; one fault may cost one at most");
        }

        if (fault.Kind == FaultKind.TsExit && firing is not null && !app.HasExited)
        {
            violations.Enqueue("app B's TS did not exit");
        }

        await a.StopAsync().ConfigureAwait(false);
        await b.StopAsync().ConfigureAwait(false);
        CheckResults(fault, results, violations);

        var failures = new List<string>();
        foreach (var failed in failuresA.Concat(failuresB))
        {
            failures.Add($"{failed.Actor.Path}: {failed.Exception.GetType().Name}: {failed.Exception.Message}");
            if (failed.Exception is not InjectedFaultException)
            {
                violations.Enqueue($"an exception escaped {failed.Actor.Path}: {failed.Exception}");
            }
        }

        if (fault.Kind == FaultKind.DriverCrash && firing is not null && failuresB.Count(f => f.Exception is InjectedFaultException) != 1)
        {
            violations.Enqueue("expected one injected driver crash on B");
        }

        var leakA = a.Memory.GetLeakReport();
        var leakB = b.Memory.GetLeakReport();
        if (!leakA.IsClean)
        {
            violations.Enqueue($"host A: {leakA}");
        }

        if (!leakB.IsClean)
        {
            violations.Enqueue($"host B: {leakB}");
        }

        return new FaultScenarioResult
        {
            Fault = fault.ToString(),
            FaultFired = firing is not null,
            FaultHit = firing?.Hit ?? 0,
            LiftedCtrns = firing?.LiftedCtrns ?? [],
            LiftedNodes = firing?.Lift?.NodesRevoked ?? 0,
            Syscalls = ledger.Syscalls,
            SyscallResults = new SortedDictionary<string, int>(results, StringComparer.Ordinal),
            BystanderSends = bystanderSends,
            BystanderOk = bystanderOk,
            FramesFromLiftedPages = 0,
            FramesTx = 0,
            ActorFailures = failures,
            LeakedPages = leakA.PagesInUse + leakB.PagesInUse,
            LeakedCtrns = leakA.Nodes.Count(n => n.IsCtrn) + leakB.Nodes.Count(n => n.IsCtrn),
            LeakedNodes = leakA.Nodes.Count + leakB.Nodes.Count,
            LeakedPins = leakA.ActivePins + leakB.ActivePins,
            Violations = [.. violations],
            Interrupted = interrupted,
        };
    }

    /// <summary>Polls a non-blocking zero-copy receive until a datagram comes (freed at once), the socket fails, or time runs out.</summary>
    private static async Task<Errno> PollOneAsync(Libc libc, int fd, Func<ValueTask<SysResult>, string, Task<SysResult>>? call)
    {
        for (var attempt = 0; attempt < PollAttempts; attempt++)
        {
            UserBuffer? buffer = null;
            var errno = Errno.None;
            var pending = libc.RecvZeroCopyAsync(fd, MsgFlags.DontWait);
            if (call is null)
            {
                var got = await pending.ConfigureAwait(false);
                errno = got.Error;
                buffer = got.Buffer;
            }
            else
            {
                // Wrapped as a SysResult so the scenario counts it like every other syscall.
                var result = await call(AsSysResult(pending, b => buffer = b), "recv").ConfigureAwait(false);
                errno = result.Error;
            }

            if (errno == Errno.None)
            {
                if (buffer is not null)
                {
                    libc.Free(buffer);
                }

                return Errno.None;
            }

            if (errno != Errno.EAGAIN)
            {
                return errno;
            }

            await Task.Delay(s_pollPause).ConfigureAwait(false);
        }

        return Errno.EAGAIN;
    }

    private static async ValueTask<SysResult> AsSysResult(ValueTask<ZeroCopyRecv> pending, Action<UserBuffer?> keep)
    {
        var got = await pending.ConfigureAwait(false);
        keep(got.Buffer);
        return got.IsOk ? SysResult.Ok(got.Length) : SysResult.Fail(got.Error);
    }
}
