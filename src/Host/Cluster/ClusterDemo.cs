using System.Diagnostics;
using System.Threading.Channels;
using Akka.Actor;
using Akka.Cluster;
using Edsos.Host.Demo;
using Edsos.Scheduler;
using Edsos.Scheduler.Tracing;

namespace Edsos.Host.Cluster;

/// <summary>
/// <c>edsos cluster demo</c>: the coordinator. It is the seed of an Akka.Cluster on 127.0.0.1 (role
/// <c>coordinator</c>), starts hosts B and A as two <c>edsos node --role all</c> processes whose NICs are joined by a
/// <see cref="Driver.Wires.UdpWire"/>, tells A to run the echo and collects every node's report over Akka.Remote.
/// With <c>--kill B@N</c> it SIGKILLs B's process once A has N echoes back, and times what the cluster sees: B
/// unreachable (then A is told, and its round in flight ends), B removed (downed by the split-brain resolver); with
/// <c>--restart</c> it starts B again and A resumes once the new B is up. Every process it started is killed on
/// every path out.
/// </summary>
public static partial class ClusterDemo
{
    /// <summary>What precedes a role process's lane figures in its last lines (<c>edsos node: host A role net: lanes: ...</c>).</summary>
    private const string LaneMark = ": lanes: ";

    private static readonly TimeSpan s_readyTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan s_reportTimeout = TimeSpan.FromSeconds(40);
    private static readonly TimeSpan s_exitTimeout = TimeSpan.FromSeconds(20);

    /// <summary>How long a restarted process may take to say it is ready before the run ends with an error (no hang).</summary>
    private static readonly TimeSpan s_restartLimit = TimeSpan.FromSeconds(90);

    /// <summary>The serializer named in reports (see <see cref="EdsosJsonSerializer"/>).</summary>
    public const string SerializerName = "EdsosJsonSerializer (System.Text.Json, source-generated)";

    /// <summary>Runs the demo; the report, or null when nothing could start (the reason is on <paramref name="error"/>).</summary>
    public static async Task<ClusterDemoReport?> RunAsync(ClusterDemoOptions options, TextWriter error, CancellationToken stop)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(error);
        var total = Stopwatch.StartNew();
        RemoveStaleArenas();
        var arrivals = Channel.CreateUnbounded<ClusterCoordinator.Arrival>();

        // The coordinator is a service of its own in traces: its RunEcho and Finish carry its span to the nodes.
        var traceOptions = new Telemetry.TelemetryOptions
        {
            OtlpEndpoint = options.OtlpEndpoint,
            TraceFile = options.TraceDirectory is { } directory ? Path.Combine(directory, "coordinator.json") : null,
        };
        using var telemetry = Telemetry.TelemetrySession.Start(traceOptions, [ClusterConfig.SystemName], ClusterNode.CoordinatorRole);
        var system = Edsrt.Create(ClusterConfig.SystemName, new EdsrtOptions
        {
            ExtraConfig = ClusterConfig.Build(0, [ClusterNode.CoordinatorRole], null),
            DispatcherThreads = 1,
        });
        var run = new RunState(options, error);
        try
        {
            var cluster = Akka.Cluster.Cluster.Get(system);
            cluster.Join(cluster.SelfAddress);
            var coordinator = system.ActorOf(Props.Create(() => new ClusterCoordinator(arrivals.Writer)), ClusterCoordinator.Name);
            run.Coordinator = coordinator;
            string seed = $"127.0.0.1:{cluster.SelfAddress.Port}";
            var (portA, portB) = FreeUdpPortPair();
            var started = new Dictionary<string, int>();
            string[] Telemetry(string name) =>
            [
                .. options.TraceDirectory is { } dir ? new[] { "--trace-file", Path.Combine(dir, $"{name}-{started[name] = started.GetValueOrDefault(name) + 1}.json") } : [],
                .. options.OtlpEndpoint is { } endpoint ? new[] { "--otlp", endpoint } : [],
            ];
            string[] NodeArgs(string host, int local, int peer) =>
            [
                "--host", host, "--role", "all", "--port", "0", "--seed", seed, "--wire", $"udp:{local}:{peer}", .. Telemetry($"host-{host.ToLowerInvariant()}"),
            ];

            // Host A's roles as processes of their own on one arena file (the driver holds the wire's end).
            string arena = run.Arena;
            string[] RoleArgs(string role, string app) =>
            [
                "--host", "A", "--role", role, "--arena", arena, "--port", "0", "--seed", seed, "--transport", options.Transport,
                .. role == "driver" ? new[] { "--wire", $"udp:{portA}:{portB}" } : [],
                .. role == "user" ? new[] { "--app", app } : [],
                .. Telemetry(role == "user" ? $"host-a-{app}" : $"host-a-{role}"),
            ];

            run.Start(NodeProcess.Start("B", NodeArgs("B", portB, portA)));
            if (options.Roles)
            {
                run.Start(NodeProcess.Start("A", RoleArgs("driver", "app"), "driver", "A/driver"));
                run.Start(NodeProcess.Start("A", RoleArgs("net", "app"), "net", "A/net"));
                run.Start(NodeProcess.Start("A", RoleArgs("user", "app"), "user", "A"));
                if (options.KillHost == "user" || options.Chaos > 0)
                {
                    run.Start(NodeProcess.Start("A", RoleArgs("user", ClusterDemoOptions.VictimApp), "user", ClusterDemoOptions.KillKeyOf("user")));
                }
            }
            else
            {
                run.Start(NodeProcess.Start("A", NodeArgs("A", portA, portB)));
            }

            var reader = arrivals.Reader;

            // 1. Both hosts up, their apps running.
            if (!await run.WaitReadyAsync(reader, s_readyTimeout, stop))
            {
                await error.WriteLineAsync($"edsos cluster demo: {run.Errors.FirstOrDefault() ?? "the nodes did not start"}");
                return run.Build(total.Elapsed, coordinator);
            }

            // 2. The echo, with the kill and the restart as they come. A victim user process (--kill user) runs an echo
            // of its own until it is killed, so its sockets are busy when it dies.
            using (system.Tracing.Source.StartActivity("cluster demo", ActivityKind.Producer))
            {
                if (run.Nodes.ContainsKey(ClusterDemoOptions.KillKeyOf("user")) && (options.KillHost == "user" || options.Chaos > 0))
                {
                    run.RunVictimEcho();
                }

                int notifyAt = options.Chaos > 0 ? ChaosNotifyEvery : options.KillHost is null ? 0 : options.KillAfter;
                run.Nodes["A"].Node.TellTraced(
                    new ClusterProtocol.RunEcho(options.Proto, options.Chaos > 0 ? int.MaxValue : options.Sends, options.Size, notifyAt, options.EchoTimeout.TotalSeconds, options.Restart || options.Chaos > 0),
                    coordinator);
            }

            await run.RunEchoAsync(reader, seed, target => target switch
            {
                "net" or "driver" => RoleArgs(target, "app"),
                "user" => RoleArgs("user", ClusterDemoOptions.VictimApp),
                _ => NodeArgs("B", portB, portA),
            }, stop);

            // 3. Every surviving host closes and reports its arena.
            await run.FinishAsync(reader, coordinator, stop.IsCancellationRequested ? "a signal" : "the echo ended");
            return run.Build(total.Elapsed, coordinator);
        }
        finally
        {
            run.Dispose();
            File.Delete(run.Arena);
            await system.Terminate();
            if (telemetry.IsTracing && !telemetry.Flush())
            {
                await error.WriteLineAsync($"edsos cluster demo: the coordinator's trace export did not finish{(telemetry.ExportError is { } e ? $": {e}" : string.Empty)}");
            }

            if (traceOptions.TraceFile is { } file && telemetry.Collector is { } collector)
            {
                Telemetry.JaegerTraceFile.Write(file, collector.Spans);
            }
        }
    }

    /// <summary>What the coordinator knows as the run goes; read from the arrivals channel only (one reader).</summary>
    private sealed partial class RunState : IDisposable
    {
        private readonly ClusterDemoOptions _options;
        private readonly List<NodeProcess> _processes = [];
        private readonly Dictionary<int, string> _ended = [];
        private readonly List<ClusterProtocol.NodeReport> _reports = [];
        private ClusterProtocol.EchoDone? _echo;
        private NodeProcess? _killed;
        private string? _killedAddress;
        private long _killAt;
        private long? _killWallMs;
        private int? _killedAfter;
        private double? _unreachable;
        private double? _removed;
        private double? _rejoined;
        private bool _restarting;
        private long _restartedAt;
        private bool _interrupted;

        public RunState(ClusterDemoOptions options, TextWriter progress)
        {
            _options = options;
            _progress = progress;
            _chaos = new Random(options.ChaosSeed);
        }

        /// <summary>The coordinator actor: the sender of what the run tells the nodes.</summary>
        public IActorRef Coordinator { get; set; } = ActorRefs.Nobody;

        /// <summary>The process the current kill is of: <c>B</c>, <c>user</c>, <c>net</c> or <c>driver</c> (a chaos run picks one per kill).</summary>
        private string? Target => _chaosTarget ?? _options.KillHost;

        private bool Restarts => _options.Restart || _options.Chaos > 0;

        /// <summary>Host A's arena file when its roles run as processes (removed when the demo ends).</summary>
        public string Arena { get; } = Path.Combine("/dev/shm", $"edsos-demo-{Environment.ProcessId}-a.arena");

        public Dictionary<string, ClusterProtocol.NodeReady> Nodes { get; } = [];

        public List<string> Errors { get; } = [];

        public void Start(NodeProcess process) => _processes.Add(process);

        public async Task<bool> WaitReadyAsync(ChannelReader<ClusterCoordinator.Arrival> reader, TimeSpan limit, CancellationToken stop)
        {
            var deadline = Stopwatch.StartNew();
            while (_processes.Any(p => !Nodes.ContainsKey(p.Key)))
            {
                if (_processes.FirstOrDefault(p => p.HasExited && !WasKilled(p)) is { } dead)
                {
                    Errors.Add($"host {dead.Host}'s process {dead.Pid} exited with {dead.ExitCode} before it was ready: {string.Join(" | ", dead.Lines.TakeLast(3))}");
                    return false;
                }

                var arrival = await ReadAsync(reader, TimeSpan.FromMilliseconds(500), stop);
                if (stop.IsCancellationRequested)
                {
                    _interrupted = true;
                    return false;
                }

                if (arrival is not null)
                {
                    Observe(arrival, null, null);
                }

                if (deadline.Elapsed > limit)
                {
                    Errors.Add($"the nodes were not ready within {limit.TotalSeconds:0} s");
                    return false;
                }
            }

            return true;
        }

        public async Task RunEchoAsync(ChannelReader<ClusterCoordinator.Arrival> reader, string seed, Func<string, string[]> restartArgs, CancellationToken stop)
        {
            // Generous on a loaded machine: a minute plus 20 ms a round, plus each kill's detection and restart.
            var limit = TimeSpan.FromSeconds(60 + (_options.Sends * 0.02) + (_options.KillHost is null ? 0 : 120) + (_options.Chaos * 60));
            var deadline = Stopwatch.StartNew();
            // With a kill the run is over when the echo ended and the cluster removed the killed member, and, with a
            // restart, the restarted process is back (told the coordinator it is ready): the echo can end first (the app
            // found the new process by the membership), and a process still starting when the finish goes out would get
            // no finish and wait for one.
            while (_echo is null || (_killed is not null && (_removed is null || (Restarts && _rejoined is null)) && deadline.Elapsed < limit))
            {
                var arrival = await ReadAsync(reader, TimeSpan.FromMilliseconds(500), stop);
                if (stop.IsCancellationRequested)
                {
                    _interrupted = true;
                    return;
                }

                if (arrival is not null)
                {
                    Observe(arrival, seed, restartArgs);
                }

                if (_processes.FirstOrDefault(p => p.Key == "A" && p.HasExited) is { } a)
                {
                    Errors.Add($"host A's process {a.Pid} exited with {a.ExitCode} during the echo: {string.Join(" | ", a.Lines.TakeLast(3))}");
                    return;
                }

                if (deadline.Elapsed > limit)
                {
                    Errors.Add($"the echo did not finish within {limit.TotalSeconds:0} s");
                    return;
                }

                if (_restarting && _processes.LastOrDefault(p => p.Key == _killed?.Key) is { } restarted
                    && (restarted.HasExited || Stopwatch.GetElapsedTime(_restartedAt) > s_restartLimit))
                {
                    Errors.Add(restarted.HasExited
                        ? $"the restarted {restarted.Role} process {restarted.Pid} exited with {restarted.ExitCode} before it was ready: {string.Join(" | ", restarted.Lines.TakeLast(2))}"
                        : $"the restarted {restarted.Role} process {restarted.Pid} did not say it was ready within {s_restartLimit.TotalSeconds:0} s (its last line: {restarted.Lines.LastOrDefault() ?? "none"})");
                    return;
                }
            }
        }

        public ClusterDemoReport Build(TimeSpan elapsed, IActorRef coordinator)
        {
            _ = coordinator;
            var echo = _echo ?? new ClusterProtocol.EchoDone(0, 0, 0, 0, 0, 0, 0, 0, 0, [], 0, 0);
            var processes = _processes.Select(p => new ClusterProcessInfo(
                p.Role, p.Host, p.Pid, WasKilled(p) ? "SIGKILL (the demo's kill)" : _ended.GetValueOrDefault(p.Pid) ?? (p.HasExited ? $"exit {p.ExitCode}" : "killed at cleanup"),
                p.Lines.Select(l => l.IndexOf(LaneMark, StringComparison.Ordinal) is int at and >= 0 ? l[(at + 2)..] : null).LastOrDefault(l => l is not null))).ToList();
            var errors = new List<string>(Errors);
            if (_killed is not null && Target == "B" && _options.Chaos == 0 && (_unreachable is null || _removed is null))
            {
                errors.Add($"the cluster did not see the killed host {(_unreachable is null ? "unreachable" : "removed")} before the run ended");
            }

            if (_killed is not null && Target != "B" && _removed is null)
            {
                errors.Add("the killed process was not removed from the cluster before the run ended");
            }

            if (Environment.GetEnvironmentVariable("EDSOS_DEBUG") == "1")
            {
                errors.AddRange(_processes.SelectMany(p => p.Lines.Select(l => $"[{p.Host} {p.Pid}] {l}")));
            }

            errors.AddRange(echo.Errors.Where(e => !IsNote(e)));
            var notes = echo.Errors.Where(IsNote).Concat(_reports.SelectMany(r => r.Events.Select(e => $"host {r.Host} {r.Role}: {e}")));
            int? afterRestart = _killed is not null && _options.Restart && _options.KillHost == "B"
                ? _reports.Where(r => r.Host == "B").Sum(r => r.EchoedByServer)
                : null;
            var leaks = _reports.SelectMany(r => r.Leaks).ToList();

            // A shared arena's pages are judged by the last of its processes to close (its report covers all of them).
            int leakedPages = _reports.Where(r => r.Arena.Length == 0).Sum(r => r.LeakedPages)
                + _reports.Where(r => r.Arena.Length > 0).GroupBy(r => r.Arena).Sum(g => g.Last().LeakedPages);
            int arenas = _reports.Count(r => r.Arena.Length == 0) + _reports.Where(r => r.Arena.Length > 0).Select(r => r.Arena).Distinct().Count();
            int leakedNodes = _reports.Sum(r => r.LeakedNodes);
            bool ok = Verdict(echo, leakedPages, leakedNodes, afterRestart, errors);
            return new ClusterDemoReport
            {
                Mode = "zerocopy",
                Proto = _options.Proto,
                Sends = _options.Chaos > 0 ? echo.Attempted : _options.Sends,
                Size = _options.Size,
                EchoedOk = echo.Ok,
                EchoedBad = echo.Bad,
                Lost = echo.Lost,
                LostToPeerDown = echo.LostToPeerDown,
                Attempted = echo.Attempted,
                Interrupted = _interrupted,
                FramesTx = _reports.Sum(r => r.FramesTx),
                PayloadBytesCopied = _reports.Sum(r => r.PayloadBytesCopied),
                HeaderBytesCopied = _reports.Sum(r => r.HeaderBytesCopied),
                DmaBytes = _reports.Sum(r => r.DmaBytes),
                LeakedPages = leakedPages,
                LeakedCtrns = _reports.Sum(r => r.LeakedCtrns),
                LeakedNodes = leakedNodes,
                ArenasReported = arenas,
                LiftedNodes = _reports.Sum(r => r.LiftedNodes),
                LiftedCtrns = _reports.Sum(r => r.LiftedCtrns),
                ReapedProcesses = _reports.Sum(r => r.ReapedProcesses),
                ReapedAfterS = _killWallMs is { } killedAt && _options.KillHost is not (null or "B") && KillReaps().Any()
                    ? KillReaps().Max(at => at - killedAt) / 1000.0
                    : null,
                SendsPerSec = echo.LoopSeconds > 0 ? echo.Ok / echo.LoopSeconds : 0,
                SteadySendsPerSec = echo.SteadyPerSec,
                SteadyFromRound = echo.SteadyFromRound,
                SendP50Us = echo.SendP50Us,
                SendP99Us = echo.SendP99Us,
                RttP50Us = echo.RttP50Us,
                ElapsedSeconds = elapsed.TotalSeconds,
                Processes = processes,
                Killed = _killed is null ? null : processes.First(p => p.Pid == _killed.Pid),
                KilledAfterEchoes = _killedAfter,
                UnreachableAfterS = _unreachable,
                RemovedAfterS = _removed,
                RejoinedAfterS = _rejoined,
                EchoedAfterRestart = afterRestart,
                ChaosSeed = _options.Chaos > 0 ? _options.ChaosSeed : null,
                Kills = [.. Kills],
                FailureDetection = $"heartbeat {ClusterConfig.HeartbeatInterval.TotalMilliseconds:0} ms, acceptable pause {ClusterConfig.AcceptableHeartbeatPause.TotalSeconds:0.#} s; split-brain resolver keep-majority, stable-after {ClusterConfig.StableAfter.TotalSeconds:0.#} s",
                Serializer = SerializerName,
                Leaks = leaks,
                Errors = [.. errors, .. notes.Select(n => $"note: {n}")],
                Ok = ok,
            };
        }

        public void Dispose()
        {
            foreach (var process in _processes)
            {
                if (!process.HasExited && !WasKilled(process))
                {
                    _ended.TryAdd(process.Pid, "killed at cleanup");
                }

                process.Dispose();
            }
        }

        private bool Verdict(ClusterProtocol.EchoDone echo, int leakedPages, int leakedNodes, int? afterRestart, List<string> errors)
        {
            bool clean = errors.Count == 0 && leakedPages == 0 && leakedNodes == 0 && echo.Bad == 0 && !_interrupted
                && _reports.Sum(r => r.PayloadBytesCopied) == 0
                && _reports.Count == _processes.Count(p => !WasKilled(p))
                && _processes.Select(p => p.Pid).Distinct().Count() == _processes.Count;
            if (!clean || _echo is null)
            {
                return false;
            }

            if (_options.Chaos > 0)
            {
                return ChaosVerdict(echo, errors);
            }

            if (_options.KillHost is null)
            {
                return echo.Ok == _options.Sends;
            }

            if (_options.KillHost == "user")
            {
                // Another app's death: this app's echo is untouched, and net closed the victim's sockets. Over UDP the
                // victim holds its send buffer all along, so its reap lifts it; the TCP victim frees each round's buffer
                // once sent, and dies holding nothing when the kill falls between its rounds.
                return echo.Ok == _options.Sends && _removed is not null && _reports.Sum(r => r.ReapedProcesses) > 0
                    && (_options.Proto == "tcp" || _reports.Sum(r => r.LiftedNodes) > 0)
                    && _reports.Any(r => r.Events.Any(e => e.StartsWith("closed ", StringComparison.Ordinal) && !e.StartsWith("closed 0 ", StringComparison.Ordinal)));
            }

            if (_options.KillHost == "driver" && _options.Proto == "tcp")
            {
                // TCP's connection lives in net and outlives the driver: with a restart every round came back on it
                // (the stalled one once TCP retransmitted on the new driver); without one the stalled round ran out
                // of time and the client stopped there. An echo already acknowledged survives the reap: TCP granted
                // it to the socket, so it no longer lies in the dead driver's RX pages under a revocable share (until
                // 7 December the reap lifted it, the read failed ENETDOWN and the round was lost).
                return _removed is not null && echo.Ok >= _options.KillAfter && (_options.Restart
                    ? _rejoined is not null && echo.Attempted == _options.Sends && echo.Ok == _options.Sends
                    : echo.Attempted < _options.Sends && echo.Ok + echo.Lost == echo.Attempted);
            }

            if (_options.KillHost is "net" or "driver")
            {
                // The app's sends failed ENETDOWN at once (no hang); with a restart the rounds resumed on the new process
                // (at most the two in flight lost; a restart quicker than the lost round's 5 s wait is never seen as
                // ENETDOWN at all), without one the client stopped at its first ENETDOWN.
                bool sawDown = echo.Errors.Any(e => e.Contains("ENETDOWN", StringComparison.Ordinal));
                return _removed is not null && echo.Ok >= _options.KillAfter && (_options.Restart
                    ? _rejoined is not null && echo.Attempted == _options.Sends && echo.Ok >= _options.Sends - 2
                    : sawDown && echo.Attempted < _options.Sends);
            }

            // A kill: the cluster saw it and said so in time, at most the rounds in flight were lost, and with a
            // restart every round was sent and the new host echoed some of them.
            bool detected = _killed is not null && _unreachable is not null && _removed is not null && echo.Lost <= 2 && echo.Ok + echo.Lost == echo.Attempted;
            return _options.Restart
                ? detected && _rejoined is not null && echo.Attempted == _options.Sends && afterRestart > 0
                : detected && echo.Ok >= _options.KillAfter;
        }

        /// <summary>
        /// When each process alive at the kill handled the kill: its first peer death. A peer's normal exit at the close
        /// (the apps close first) is a death to a reaper still running, but later; a restarted process saw only those.
        /// </summary>
        private IEnumerable<long> KillReaps() => _reports
            .Where(r => r.DeathsHandledAtUnixMs.Length > 0 && !_processes.Any(p => p.Pid == r.Pid && p != _killed && p.Key == _killed?.Key))
            .Select(r => r.DeathsHandledAtUnixMs.Min());

        /// <summary>An echo line that is the expected effect of the kill, not a fault: reported as a note.</summary>
        private bool IsNote(string line) =>
            line.StartsWith(EchoTally.ErrorsInAll, StringComparison.Ordinal) || line.Contains("the peer went down", StringComparison.Ordinal) || line.StartsWith("stopped after", StringComparison.Ordinal)
            || ((_options.KillHost is "net" or "driver" || _options.Chaos > 0) && (line.Contains("ENETDOWN", StringComparison.Ordinal) || line.Contains("sent again", StringComparison.Ordinal)
                || line.Contains("no echo within", StringComparison.Ordinal) || line.Contains("recv failed", StringComparison.Ordinal)))
            || ((_options.KillHost is not null || _options.Chaos > 0) && _options.Proto == "tcp" && (line.StartsWith("connection ", StringComparison.Ordinal) || line.Contains(" came ", StringComparison.Ordinal)));

        private bool Alive(int pid) => _processes.Any(p => p.Pid == pid && !p.HasExited);

        private void Observe(ClusterCoordinator.Arrival arrival, string? seed, Func<string, string[]>? restartArgs)
        {
            _ = seed;
            switch (arrival.Message)
            {
                case ClusterProtocol.NodeReady ready:
                    string key = _processes.LastOrDefault(p => p.Pid == ready.Pid)?.Key ?? ready.Host;
                    Nodes[key] = ready;
                    if (_restarting && _killed is not null && key == _killed.Key)
                    {
                        _restarting = false;
                        _rejoined = Since(arrival.At);
                        if (Target == "B" && Nodes.TryGetValue("A", out var a))
                        {
                            a.Node.TellTraced(new ClusterProtocol.PeerStatus(false, "B"));
                        }

                        if (_options.Chaos > 0)
                        {
                            OnChaosRejoined();
                        }
                    }

                    break;
                case ClusterProtocol.EchoReached reached when _options.Chaos > 0 && FromApp(arrival):
                    OnChaosProgress(reached.Echoed);
                    break;
                case ClusterProtocol.EchoReached reached when _options.KillHost is not null && _killed is null && FromApp(arrival):
                    string victim = ClusterDemoOptions.KillKeyOf(_options.KillHost);
                    _killed = _processes.Last(p => p.Key == victim);
                    _killedAddress = Nodes[victim].Address;
                    _killedAfter = reached.Echoed;
                    _killAt = Stopwatch.GetTimestamp();
                    _killWallMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                    _killed.Kill();
                    break;
                case ClusterEvent.UnreachableMember unreachable when IsKilled(unreachable.Member) && _unreachable is null:
                    _unreachable = Since(arrival.At);
                    if (Target == "B" && Nodes.TryGetValue("A", out var client))
                    {
                        client.Node.TellTraced(new ClusterProtocol.PeerStatus(true, "B"));
                    }

                    break;
                case ClusterEvent.MemberRemoved removed when IsKilled(removed.Member) && _removed is null:
                    _removed = Since(arrival.At);
                    if (Restarts && restartArgs is not null)
                    {
                        _restarting = true;
                        _restartedAt = Stopwatch.GetTimestamp();
                        Start(NodeProcess.Start(_killed!.Host, restartArgs(Target!), _killed.Role, _killed.Key));
                    }

                    break;
                case ClusterProtocol.EchoDone done when FromApp(arrival):
                    _echo = done;
                    break;
                case ClusterProtocol.NodeReport report:
                    _reports.Add(report);
                    break;
            }
        }

        private bool IsKilled(Member member) => _killedAddress is not null && member.Address.ToString() == _killedAddress;

        private double Since(long at) => Stopwatch.GetElapsedTime(_killAt, at).TotalSeconds;

        private static async Task<ClusterCoordinator.Arrival?> ReadAsync(ChannelReader<ClusterCoordinator.Arrival> reader, TimeSpan wait, CancellationToken stop)
        {
            if (reader.TryRead(out var ready))
            {
                return ready;
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
            timeout.CancelAfter(wait);
            try
            {
                return await reader.ReadAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                return null;
            }
        }
    }
}
