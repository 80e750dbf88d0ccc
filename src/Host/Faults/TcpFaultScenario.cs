using Edsos.Driver;
using System.Collections.Concurrent;
using System.Text;
using Akka.Actor;
using Edsos.Driver.Wires;
using Edsos.Kpn;
using Edsos.Memory;
using Edsos.Protocol;
using Edsos.Protocol.Tcp;
using Edsos.Protocol.Wire;
using Edsos.Scheduler;
using Edsos.Scheduler.Faults;
using Edsos.SocketService;

namespace Edsos.Host.Faults;

/// <summary>
/// One fault on a TCP stream between two real hosts (A 10.0.0.1, B 10.0.0.2) on a watched loopback
/// wire: a client on A connects to a server on B and writes a stream the server reads (zero copy)
/// to its end, while a bystander pair keeps its own connection between the same hosts. A fault on
/// the send path hits the client's writes on A; a receive dual (<c>rx-*</c>) hits the server on B as it
/// reads. TCP holds references to the client's pages for retransmission, so a lift must cut them off
/// (no byte of a lifted page on the wire afterwards, the peer told by a reset or a FIN); device faults
/// (dma-fail, ring-full, qdisc-full, driver-crash) are repaired by retransmission: every byte arrives.
/// It then checks what <see cref="FaultScenario"/> checks for UDP: every syscall of both apps got
/// exactly one result that the fault explains, no frame carried bytes of a lifted page, the bystander
/// carried on, no exception escaped an actor other than an injected crash, and after both hosts closed
/// everything nothing leaked. Used by <c>edsos demo --proto tcp --fault</c> and the TCP fault tests.
/// </summary>
public static partial class TcpFaultScenario
{
    /// <summary>The server's port on B (discard: it reads and drops the stream).</summary>
    public const ushort ServerPort = 9;

    /// <summary>The bystander peer's port on B.</summary>
    public const ushort BystanderPort = 13;

    /// <summary>The smallest write: every segment of 31 bytes or more then carries the marker whole.</summary>
    public const int MinWriteSize = 32;

    private const int BystanderRoundsAfter = 3;
    private static readonly Ipv4Address s_addressB = Ipv4Address.Parse("10.0.0.2");
    private static readonly TimeSpan s_pollPause = TimeSpan.FromMilliseconds(1);

    /// <summary>Sixteen bytes that tile the stream: the watched wire tells the client's frames by them.</summary>
    private static readonly byte[] s_marker = Encoding.ASCII.GetBytes("EDSOS*TCP*FAULT!");

    /// <summary>Byte <paramref name="index"/> of the stream the client writes (the marker, repeated).</summary>
    public static byte StreamByte(long index) => s_marker[(int)(index % s_marker.Length)];

    /// <summary>
    /// Runs the scenario. Throws <see cref="ArgumentOutOfRangeException"/> for fewer than one write or
    /// writes under <see cref="MinWriteSize"/>, and whatever a host throws when it cannot start; every
    /// other failure is a violation in the result.
    /// </summary>
    public static async Task<TcpFaultScenarioResult> RunAsync(TcpFaultScenarioOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Writes, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.WriteSize, MinWriteSize, nameof(options));
        var (wireA, wireB) = LoopbackWire.CreatePair();
        var watch = new FrameWatchWire(wireA) { WatchedPattern = s_marker };
        var a = await EdsosHost.StartAsync(HostOptions("A", "10.0.0.1/24", "02:00:00:00:00:01", options), watch).ConfigureAwait(false);
        EdsosHost? b = null;
        try
        {
            b = await EdsosHost.StartAsync(HostOptions("B", "10.0.0.2/24", "02:00:00:00:00:02", options), wireB).ConfigureAwait(false);
            return await RunOnAsync(options, a, b, watch).ConfigureAwait(false);
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

    private static async Task<TcpFaultScenarioResult> RunOnAsync(TcpFaultScenarioOptions options, EdsosHost a, EdsosHost b, FrameWatchWire watch)
    {
        var fault = options.Fault;
        var receiving = FaultScenario.IsReceivePoint(fault?.Point);
        var atArp = fault?.Point == StackFaultPoints.ArpParked;
        var timeout = options.SyscallTimeout;
        var clientCalls = new SyscallLedger(timeout);
        var serverCalls = new SyscallLedger(timeout);
        var violations = new ConcurrentQueue<string>();
        var failuresA = ActorFailedCollector.Start(a.System);
        var failuresB = ActorFailedCollector.Start(b.System);

        var server = b.StartProcess("server");
        var listener = await ListenAsync(server, serverCalls).ConfigureAwait(false);
        var bystander = new TcpBystander(a.StartProcess("bystander"), b.StartProcess("bystander-peer"), BystanderPort, timeout);
        await bystander.ListenAsync().ConfigureAwait(false);
        if (!atArp)
        {
            // Resolves B's address first, so only arp-parked sees the stream wait on ARP.
            await bystander.RoundAsync(s_addressB).ConfigureAwait(false);
        }

        var client = a.StartProcess("client");
        var clientFd = (int)(await clientCalls.CallAsync(client.SocketAsync(2, SocketKind.Stream, 0), "socket").ConfigureAwait(false)).Value;

        // Each send returns once TCP transmitted its bytes, so Nagle would hold every small write for the
        // peer's delayed ACK: the client streams with TCP_NODELAY, as a bulk sender of small writes would.
        await clientCalls.CallAsync(client.SetSockOptAsync(clientFd, SocketOption.NoDelay, 1), "setsockopt(TCP_NODELAY)").ConfigureAwait(false);

        // One buffer holds the stream's next bytes from any phase: a write starts at (bytes written) mod 16,
        // so the stream stays the marker repeated whatever the write size, and the app never rewrites a
        // page TCP may still retransmit from.
        var buffer = client.Alloc(options.WriteSize + s_marker.Length);
        var tile = new byte[buffer.Length];
        for (var i = 0; i < tile.Length; i++)
        {
            tile[i] = StreamByte(i);
        }

        client.WriteBuffer(buffer, 0, tile);

        // The lift of the client's TS is journalled synchronously: from then on none of its bytes may leave.
        using var journal = a.Memory.Observe(record =>
        {
            if (record.Op == MemoryOp.Lift && record.Caller == client.Ts)
            {
                watch.Mark();
            }
        });

        var victim = receiving ? server : client;
        var victimCalls = receiving ? serverCalls : clientCalls;
        var victimFd = clientFd;
        var closedByFault = 0;
        ArmedFault? armed = null;
        void Arm()
        {
            if (fault is not { } chosen)
            {
                return;
            }

            var fd = victimFd;
            armed = (receiving ? b : a).System.Faults.Arm(new FaultSpec(chosen.Kind, chosen.Point)
            {
                // The device sees physical addresses only, and the receive path carries no client page.
                Origin = receiving || chosen.Point == DriverFaultPoints.Dma || chosen.Point == DriverFaultPoints.AfterTransmit ? null : client.Ts,
                Target = chosen.Kind == FaultKind.TsExit ? victim.Ts : null,
                AfterHits = atArp ? 0 : options.FaultAfterHits,
                Action = chosen.Kind == FaultKind.SocketClose
                    ? async () =>
                    {
                        Volatile.Write(ref closedByFault, 1);
                        await victimCalls.CallAsync(victim.CloseAsync(fd), "close (injected)").ConfigureAwait(false);
                    }
                    : null,
            });
        }

        var accepting = serverCalls.CallAsync(server.AcceptAsync(listener), "accept");
        if (atArp)
        {
            // Over TCP only the handshake ever waits on ARP: the fault hits the stream's SYN.
            Arm();
        }

        var connected = await clientCalls.CallAsync(client.ConnectAsync(clientFd, new Ipv4Endpoint(s_addressB, ServerPort)), "connect").ConfigureAwait(false);
        var serverFd = -1;
        Task<(byte[] Bytes, Errno End)>? reader = null;
        if (connected.IsOk)
        {
            var accepted = await accepting.ConfigureAwait(false);
            if (accepted.IsOk)
            {
                serverFd = (int)accepted.Value;

                // At rx-socket-queue the server polls, so the stream's data waits in its receive queue between reads.
                var poll = fault?.Point == SocketFaultPoints.RxSocketQueue;
                reader = Task.Run(() => ReadToEndAsync(server, serverFd, serverCalls, poll, timeout, violations));
            }
            else
            {
                violations.Enqueue($"the server's accept failed with {accepted.Error} although the client connected");
            }
        }

        if (!atArp)
        {
            victimFd = receiving ? serverFd : clientFd;
            Arm();
        }

        var sends = new List<Errno>();
        long written = 0;
        if (connected.IsOk)
        {
            for (var i = 0; i < options.Writes; i++)
            {
                var sent = await clientCalls.CallAsync(client.SendAsync(clientFd, buffer.Gva.Add(written % s_marker.Length), options.WriteSize), $"send #{i + 1}").ConfigureAwait(false);
                sends.Add(sent.IsOk ? Errno.None : sent.Error);
                if (!sent.IsOk)
                {
                    break;
                }

                written += sent.Value;
            }
        }

        FaultFiring? firing = null;
        if (armed is not null)
        {
            try
            {
                firing = await armed.FirstFiring.WaitAsync(timeout).ConfigureAwait(false);
                await firing.Completion.WaitAsync(timeout).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                violations.Enqueue(firing is null
                    ? $"the fault never fired ({armed.Hits} hit(s) of {armed.Spec.Point.Name})"
                    : "the fault's asynchronous part (TS exit, close) did not finish");
            }

            armed.Dispose();
        }

        var clientClosedByFault = !receiving && Volatile.Read(ref closedByFault) != 0;
        if (!client.HasExited && !clientClosedByFault)
        {
            await clientCalls.CallAsync(client.CloseAsync(clientFd), "close").ConfigureAwait(false);
        }

        var (received, readerEnd) = reader is null ? (Array.Empty<byte>(), Errno.None) : await reader.ConfigureAwait(false);
        if (!server.HasExited)
        {
            if (serverFd >= 0 && !(receiving && Volatile.Read(ref closedByFault) != 0))
            {
                await serverCalls.CallAsync(server.CloseAsync(serverFd), "close").ConfigureAwait(false);
            }

            // With no connection (the handshake failed) the accept still waits: closing the listener answers it.
            await serverCalls.CallAsync(server.CloseAsync(listener), "close (listener)").ConfigureAwait(false);
        }

        await accepting.ConfigureAwait(false);

        // Other apps and connections on both hosts carry on.
        var bystanderBefore = bystander.Ok;
        for (var i = 0; i < BystanderRoundsAfter; i++)
        {
            await bystander.RoundAsync(s_addressB).ConfigureAwait(false);
        }

        if (bystander.Ok - bystanderBefore != BystanderRoundsAfter)
        {
            violations.Enqueue($"the bystander connection carried {bystander.Ok - bystanderBefore}/{BystanderRoundsAfter} rounds after the fault");
        }

        await bystander.CloseAsync().ConfigureAwait(false);
        if (fault?.Kind == FaultKind.TsExit && firing is not null && !victim.HasExited)
        {
            violations.Enqueue($"the {(receiving ? "server" : "client")}'s TS did not exit");
        }

        long retransmits = 0;
        try
        {
            retransmits = (await a.Inet.Tcp!.Ask<TcpCounters>(TcpProtocol.GetTcpCounters.Instance, timeout).ConfigureAwait(false)).Retransmits;
        }
        catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
        {
            violations.Enqueue("host A's TCP worker did not report its counters");
        }

        // Settle: both hosts close everything (processes exit, NICs stop, stacks release).
        await a.StopAsync().ConfigureAwait(false);
        await b.StopAsync().ConfigureAwait(false);

        var intact = IsStreamPrefix(received);
        CheckStream(fault, (long)options.Writes * options.WriteSize, sends, received.Length, intact, readerEnd, violations);
        CheckResults(fault, receiving, clientCalls.Results, serverCalls.Results, violations);
        foreach (var violation in clientCalls.Violations.Concat(serverCalls.Violations))
        {
            violations.Enqueue(violation);
        }

        if (watch.WatchedAfterMark != 0)
        {
            violations.Enqueue($"{watch.WatchedAfterMark} frame(s) with the client's bytes left the NIC after its TS was lifted");
        }

        var failures = failuresA.Concat(failuresB).ToList();
        foreach (var failed in failures)
        {
            if (failed.Exception is not InjectedFaultException)
            {
                violations.Enqueue($"an exception escaped {failed.Actor.Path}: {failed.Exception}");
            }
        }

        var injectedCrashes = (receiving ? failuresB : failuresA).Count(f => f.Exception is InjectedFaultException);
        if (fault?.Kind == FaultKind.DriverCrash && firing is not null && injectedCrashes != 1)
        {
            violations.Enqueue($"expected one injected driver crash on host {(receiving ? 'B' : 'A')}, saw {injectedCrashes}");
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

        var results = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var (outcome, count) in clientCalls.Results)
        {
            results[$"client {outcome}"] = count;
        }

        foreach (var (outcome, count) in serverCalls.Results)
        {
            results[$"server {outcome}"] = count;
        }

        return new TcpFaultScenarioResult
        {
            Fault = fault?.ToString() ?? "none",
            FaultDescription = fault is { } described ? Describe(described) : "no fault: a clean stream, for comparison",
            Victim = receiving ? "server" : "client",
            FaultFired = firing is not null,
            FaultHit = firing?.Hit ?? 0,
            LiftedCtrns = firing?.LiftedCtrns ?? [],
            LiftedNodes = firing?.Lift?.NodesRevoked ?? 0,
            VictimExited = victim.HasExited && fault?.Kind == FaultKind.TsExit,
            Connected = connected.IsOk,
            Syscalls = clientCalls.Syscalls + serverCalls.Syscalls,
            SyscallResults = results,
            SendResults = sends,
            StreamBytes = (long)options.Writes * options.WriteSize,
            Received = received,
            StreamIntact = intact,
            ReaderEnd = readerEnd,
            Retransmits = retransmits,
            BystanderRounds = bystander.Rounds,
            BystanderOk = bystander.Ok,
            FramesTx = watch.Frames,
            FramesFromLiftedPages = watch.WatchedAfterMark,
            Failures = failures,
            ActorFailures = [.. failures.Select(f => $"{f.Actor.Path}: {f.Exception.GetType().Name}: {f.Exception.Message}")],
            LeakA = leakA,
            LeakB = leakB,
            Violations = [.. violations],
        };
    }

    private static async Task<int> ListenAsync(Libc server, SyscallLedger calls)
    {
        var socket = await calls.CallAsync(server.SocketAsync(2, SocketKind.Stream, 0), "socket (listener)").ConfigureAwait(false);
        if (!socket.IsOk)
        {
            throw new InvalidOperationException($"socket() on the server: {socket.Error}");
        }

        var fd = (int)socket.Value;
        var bound = await calls.CallAsync(server.BindAsync(fd, new Ipv4Endpoint(Ipv4Address.Any, ServerPort)), "bind").ConfigureAwait(false);
        var listening = bound.IsOk ? await calls.CallAsync(server.ListenAsync(fd, 4), "listen").ConfigureAwait(false) : bound;
        if (!listening.IsOk)
        {
            throw new InvalidOperationException($"bind/listen({ServerPort}) on the server: {listening.Error}");
        }

        return fd;
    }

    /// <summary>
    /// Reads (zero copy) until the end of the stream or an error; returns the bytes and how it ended (None: the end).
    /// Polling, a receive that finds nothing (EAGAIN) waits a moment and tries again, until nothing came for the timeout.
    /// </summary>
    private static async Task<(byte[] Bytes, Errno End)> ReadToEndAsync(Libc libc, int fd, SyscallLedger calls, bool poll, TimeSpan timeout, ConcurrentQueue<string> violations)
    {
        var bytes = new MemoryStream();
        var lastProgress = DateTime.UtcNow;
        while (true)
        {
            UserBuffer? piece = null;
            var flags = poll ? MsgFlags.DontWait : MsgFlags.None;
            var got = await calls.CallAsync(AsSysResult(libc.RecvZeroCopyAsync(fd, flags), b => piece = b), "recv").ConfigureAwait(false);
            if (poll && got.Error == Errno.EAGAIN)
            {
                if (DateTime.UtcNow - lastProgress > timeout)
                {
                    violations.Enqueue($"the server's stream stalled: nothing to read for {timeout.TotalSeconds:0} s");
                    return (bytes.ToArray(), Errno.ETIMEDOUT);
                }

                await Task.Delay(s_pollPause).ConfigureAwait(false);
                continue;
            }

            if (!got.IsOk)
            {
                return (bytes.ToArray(), got.Error);
            }

            if (got.Value == 0 || piece is null)
            {
                return (bytes.ToArray(), Errno.None);
            }

            lastProgress = DateTime.UtcNow;
            var chunk = new byte[piece.Length];
            var read = libc.ReadBuffer(piece, 0, chunk);

            // A buffer lifted under the reader (its TS exiting) reads as EFAULT: the stream ends there for it.
            libc.Free(piece);
            if (read != Errno.None)
            {
                return (bytes.ToArray(), read);
            }

            bytes.Write(chunk);
        }
    }

    private static async ValueTask<SysResult> AsSysResult(ValueTask<ZeroCopyRecv> pending, Action<UserBuffer?> keep)
    {
        var got = await pending.ConfigureAwait(false);
        keep(got.Buffer);
        return got.IsOk ? SysResult.Ok(got.Length) : SysResult.Fail(got.Error);
    }

    private static bool IsStreamPrefix(byte[] received)
    {
        for (var i = 0; i < received.Length; i++)
        {
            if (received[i] != StreamByte(i))
            {
                return false;
            }
        }

        return true;
    }

    private static EdsosHostOptions HostOptions(string name, string cidr, string mac, TcpFaultScenarioOptions options) => new()
    {
        Name = name,
        Address = Ipv4Cidr.Parse(cidr),
        Mac = MacAddress.Parse(mac),
        ArenaPages = options.ArenaPages,
        Tso = options.Tso,
    };
}
