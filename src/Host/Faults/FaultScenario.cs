using Edsos.Driver;
using System.Collections.Concurrent;
using Edsos.Driver.Wires;
using Edsos.Kpn;
using Edsos.Memory;
using Edsos.Protocol;
using Edsos.Protocol.Wire;
using Akka.Actor;
using Edsos.Scheduler;
using Edsos.Scheduler.Faults;
using Edsos.SocketService;

namespace Edsos.Host.Faults;

/// <summary>
/// One fault scenario on two real hosts (A 10.0.0.1, B 10.0.0.2) on a watched loopback wire: app A
/// sends datagrams to a sink on B, a bystander app on A sends on its own socket, and the fault is
/// armed on app A's sends so that it fires after a few of them completed. It then checks the
/// invariants of issue 6 and seed 000 section 4.3: every syscall of app A got exactly one result,
/// no frame carried bytes of a lifted page, the bystander carried on, no exception escaped an actor
/// other than an injected crash, and after both hosts closed everything nothing leaked.
/// Used by <c>edsos demo --fault</c> and by the fault matrix tests.
/// </summary>
public static partial class FaultScenario
{
    /// <summary>App A's UDP port (the watched wire recognises its frames by it).</summary>
    public const ushort AppPort = 5000;

    /// <summary>The sink's UDP port on B.</summary>
    public const ushort SinkPort = 9;

    private const int BystanderSendsAfter = 3;

    /// <summary>
    /// Runs the scenario. Throws only when a host cannot start (or the pcap file cannot be created);
    /// every other failure is a violation in the result. When <paramref name="stop"/> fires (a signal),
    /// app A sends no more, the hosts close as usual and the result covers what ran
    /// (<see cref="FaultScenarioResult.Interrupted"/>).
    /// </summary>
    public static async Task<FaultScenarioResult> RunAsync(FaultScenarioOptions options, CancellationToken stop = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var (wireA, wireB) = LoopbackWire.CreatePair();
        using var pcap = options.PcapPath is null ? null : new PcapWriter(File.Create(options.PcapPath));
        var mirror = pcap is null ? null : new PcapMirrorWire(wireA, pcap);
        var watch = new FrameWatchWire(mirror ?? (IWire)wireA) { WatchedSourcePort = AppPort };
        var a = await EdsosHost.StartAsync(HostOptions("A", "10.0.0.1/24", "02:00:00:00:00:01", options.ArenaPages), watch).ConfigureAwait(false);
        EdsosHost? b = null;
        try
        {
            b = await EdsosHost.StartAsync(HostOptions("B", "10.0.0.2/24", "02:00:00:00:00:02", options.ArenaPages), wireB).ConfigureAwait(false);
            var result = IsReceivePoint(options.Fault?.Point)
                ? await RunReceiveAsync(options, a, b, stop).ConfigureAwait(false)
                : await RunOnAsync(options, a, b, watch, stop).ConfigureAwait(false);
            pcap?.Flush();
            return result with { PcapFrames = mirror?.FramesCaptured ?? 0 };
        }
        finally
        {
            if (b is not null)
            {
                await b.DisposeAsync().ConfigureAwait(false);
            }

            await a.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static async Task<FaultScenarioResult> RunOnAsync(FaultScenarioOptions options, EdsosHost a, EdsosHost b, FrameWatchWire watch, CancellationToken stop)
    {
        var interrupted = false;
        var ledger = new SyscallLedger(options.SyscallTimeout);
        var violations = ledger.Violations;
        var results = ledger.Results;
        var failuresA = ActorFailedCollector.Start(a.System);
        var failuresB = ActorFailedCollector.Start(b.System);
        var destination = new Ipv4Endpoint(Ipv4Address.Parse("10.0.0.2"), SinkPort);


        // B's sink drains what arrives, so its receive queue never holds the run up.
        var sink = b.StartProcess("sink");
        var sinkFd = await OpenAsync(sink, SinkPort).ConfigureAwait(false);
        var drain = DrainAsync(sink, sinkFd, options.Size);

        var bystander = a.StartProcess("bystander");
        var bystanderFd = await OpenAsync(bystander, 0).ConfigureAwait(false);
        var bystanderBuffer = bystander.Alloc(options.Size);
        bystander.WriteBuffer(bystanderBuffer, 0, new byte[options.Size]);
        var bystanderSends = 0;
        var bystanderOk = 0;
        async Task BystanderSendAsync()
        {
            bystanderSends++;
            var sent = await bystander.SendToAsync(bystanderFd, bystanderBuffer.Gva, options.Size, destination).AsTask()
                .WaitAsync(options.SyscallTimeout).ConfigureAwait(false);
            if (sent.IsOk)
            {
                bystanderOk++;
            }
        }

        var fault = options.Fault;
        var point = fault?.Point;
        if (point != StackFaultPoints.ArpParked)
        {
            // Resolves B's address first, so only arp-parked sees a datagram wait on ARP.
            await BystanderSendAsync().ConfigureAwait(false);
        }

        var app = a.StartProcess("app");
        var appFd = (int)(await ledger.CallAsync(app.SocketAsync(2, SocketKind.Dgram, 0), "socket").ConfigureAwait(false)).Value;
        await ledger.CallAsync(app.BindAsync(appFd, new Ipv4Endpoint(Ipv4Address.Any, AppPort)), "bind").ConfigureAwait(false);
        var buffer = app.Alloc(options.Size);
        var pattern = new byte[options.Size];

        // The lift of app A's TS is journalled synchronously: from then on its frames must not appear.
        using var journal = a.Memory.Observe(record =>
        {
            if (record.Op == MemoryOp.Lift && record.Caller == app.Ts)
            {
                watch.Mark();
            }
        });

        ArmedFault? armed = null;
        if (fault is { } chosen)
        {
            armed = a.System.Faults.Arm(new FaultSpec(chosen.Kind, chosen.Point)
            {
                Origin = app.Ts,
                Target = chosen.Kind == FaultKind.TsExit ? app.Ts : null,
                AfterHits = chosen.Point == StackFaultPoints.ArpParked ? 0 : options.FaultAfterSends,
                Action = chosen.Kind == FaultKind.SocketClose ? async () => await ledger.CallAsync(app.CloseAsync(appFd), "close (injected)").ConfigureAwait(false) : null,
            });
        }

        // The device points see no capability, only physical addresses: keep the bystander quiet
        // while app A sends so that the fault lands on one of A's frames.
        var interleave = point != DriverFaultPoints.Dma && point != DriverFaultPoints.AfterTransmit;
        for (var i = 0; i < options.Sends; i++)
        {
            if (stop.IsCancellationRequested)
            {
                interrupted = true;
                break;
            }

            if (!app.HasExited)
            {
                Array.Fill(pattern, (byte)(0xA0 + (i % 16)));
                app.WriteBuffer(buffer, 0, pattern);
            }

            await ledger.CallAsync(app.SendToAsync(appFd, buffer.Gva, options.Size, destination), $"sendto #{i + 1}").ConfigureAwait(false);
            if (interleave)
            {
                await BystanderSendAsync().ConfigureAwait(false);
            }
        }

        FaultFiring? firing = null;
        if (armed is not null)
        {
            try
            {
                firing = await armed.FirstFiring.WaitAsync(options.SyscallTimeout, stop).ConfigureAwait(false);
                await firing.Completion.WaitAsync(options.SyscallTimeout).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // Interrupted before the fault fired: not a violation, the report says it did not fire.
                interrupted = true;
            }
            catch (TimeoutException)
            {
                violations.Enqueue(firing is null
                    ? $"the fault never fired ({armed.Hits} hit(s) of {armed.Spec.Point.Name})"
                    : "the fault's asynchronous part (TS exit, close) did not finish");
            }

            armed.Dispose();
        }

        // Other sockets and TSs on the host carry on.
        var bystanderBefore = bystanderOk;
        var sendsBefore = bystanderSends;
        for (var i = 0; i < BystanderSendsAfter && !stop.IsCancellationRequested; i++)
        {
            await BystanderSendAsync().ConfigureAwait(false);
        }

        if (bystanderOk - bystanderBefore != bystanderSends - sendsBefore)
        {
            violations.Enqueue($"the bystander's sends after the fault failed: {bystanderOk - bystanderBefore}/{bystanderSends - sendsBefore} ok");
        }

        if (fault?.Kind == FaultKind.TsExit && firing is not null && !app.HasExited)
        {
            violations.Enqueue("app A's TS did not exit");
        }

        // Settle: both hosts close everything (processes exit, NICs stop, stacks release).
        await a.StopAsync().ConfigureAwait(false);
        await b.StopAsync().ConfigureAwait(false);
        await drain.ConfigureAwait(false);

        CheckResults(fault, results, violations);
        if (watch.WatchedAfterMark != 0)
        {
            violations.Enqueue($"{watch.WatchedAfterMark} frame(s) of app A left the NIC after its TS was lifted");
        }

        var failures = new List<string>();
        foreach (var failed in failuresA.Concat(failuresB))
        {
            failures.Add($"{failed.Actor.Path}: {failed.Exception.GetType().Name}: {failed.Exception.Message}");
            if (failed.Exception is not InjectedFaultException)
            {
                violations.Enqueue($"an exception escaped {failed.Actor.Path}: {failed.Exception}");
            }
        }

        var injectedCrashes = failuresA.Count(f => f.Exception is InjectedFaultException);
        if (fault?.Kind == FaultKind.DriverCrash && firing is not null && injectedCrashes != 1)
        {
            violations.Enqueue($"expected one injected driver crash, saw {injectedCrashes}");
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
            Fault = fault?.ToString() ?? "none",
            FaultFired = firing is not null,
            FaultHit = firing?.Hit ?? 0,
            LiftedCtrns = firing?.LiftedCtrns ?? [],
            LiftedNodes = firing?.Lift?.NodesRevoked ?? 0,
            Syscalls = ledger.Syscalls,
            SyscallResults = new SortedDictionary<string, int>(results, StringComparer.Ordinal),
            BystanderSends = bystanderSends,
            BystanderOk = bystanderOk,
            FramesFromLiftedPages = watch.WatchedAfterMark,
            FramesTx = watch.Frames,
            ActorFailures = failures,
            LeakedPages = leakA.PagesInUse + leakB.PagesInUse,
            LeakedCtrns = leakA.Nodes.Count(n => n.IsCtrn) + leakB.Nodes.Count(n => n.IsCtrn),
            LeakedNodes = leakA.Nodes.Count + leakB.Nodes.Count,
            LeakedPins = leakA.ActivePins + leakB.ActivePins,
            Violations = [.. violations],
            Interrupted = interrupted,
        };
    }

    /// <summary>What each fault may do to app A's results: the faulted call's errno, never a missing one.</summary>
    internal static void CheckResults(FaultSpecName? fault, ConcurrentDictionary<string, int> results, ConcurrentQueue<string> violations)
    {
        Errno[] allowed = fault?.Kind switch
        {
            null => [],
            // The exiting process's calls end with EINTR (its KPN stops) or EBADF (it has exited);
            // a send already past the NIC may still report its bytes.
            FaultKind.TsExit => [Errno.EINTR, Errno.EBADF, Errno.EFAULT, Errno.EIO],
            FaultKind.SocketClose => [Errno.EBADF],
            FaultKind.DriverCrash => [Errno.ENETDOWN],
            FaultKind.DmaFail => [Errno.EIO],
            FaultKind.RingFull or FaultKind.QdiscFull => [Errno.ENOBUFS],
            _ => [],
        };
        var receiving = IsReceivePoint(fault?.Point);
        foreach (var (outcome, count) in results)
        {
            if (outcome is "ok" or "none" || (receiving && outcome == nameof(Errno.EAGAIN)))
            {
                continue;
            }

            if (!Enum.TryParse<Errno>(outcome, out var errno) || Array.IndexOf(allowed, errno) < 0)
            {
                violations.Enqueue($"{count} syscall(s) of app A failed with {outcome}, which {fault?.ToString() ?? "a clean run"} does not explain");
            }
        }

        if (!receiving && fault?.Kind is FaultKind.DmaFail or FaultKind.RingFull or FaultKind.QdiscFull or FaultKind.DriverCrash)
        {
            var failed = results.Where(r => r.Key is not ("ok" or "none")).Sum(r => r.Value);
            if (failed > 1)
            {
                violations.Enqueue($"one fault, yet {failed} of app A's syscalls failed");
            }
        }
    }

    internal static async Task<int> OpenAsync(Libc libc, ushort port)
    {
        var socket = await libc.SocketAsync(2, SocketKind.Dgram, 0).ConfigureAwait(false);
        if (!socket.IsOk)
        {
            throw new InvalidOperationException($"socket() on {libc}: {socket.Error}");
        }

        if (port != 0)
        {
            var bound = await libc.BindAsync((int)socket.Value, new Ipv4Endpoint(Ipv4Address.Any, port)).ConfigureAwait(false);
            if (!bound.IsOk)
            {
                throw new InvalidOperationException($"bind({port}): {bound.Error}");
            }
        }

        return (int)socket.Value;
    }

    internal static async Task DrainAsync(Libc sink, int fd, int size)
    {
        var buffer = sink.Alloc(size);
        while (true)
        {
            var received = await sink.RecvFromAsync(fd, buffer.Gva, size).ConfigureAwait(false);
            if (!received.IsOk)
            {
                return;
            }
        }
    }

    /// <summary>True for the receive duals (<c>rx-*</c> points): the scenario then receives on host B.</summary>
    internal static bool IsReceivePoint(FaultPoint? point) => point is { IsReceive: true };

    private static EdsosHostOptions HostOptions(string name, string cidr, string mac, int pages) => new()
    {
        Name = name,
        Address = Ipv4Cidr.Parse(cidr),
        Mac = MacAddress.Parse(mac),
        ArenaPages = pages,
    };
}
