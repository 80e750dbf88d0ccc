using System.CommandLine;
using System.Text.Json;

namespace Edsos.Host.Cluster;

/// <summary>
/// The console cluster's commands, kept apart from <see cref="EdsosCli"/> so other commands merge without
/// conflict: <c>edsos node</c> (one host as an Akka.Cluster member) and <c>edsos cluster demo</c>. They follow
/// the CLI's contract (README, "Exit codes"): a bad option is one line and 2 before anything starts.
/// </summary>
public static class ClusterCli
{
    private static readonly JsonSerializerOptions s_json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
    };

    /// <summary>
    /// <c>--transport lanes|lane-threads|akka</c>: how a host's role processes send each other the services' events: by
    /// lane (a Unix socket per pair of processes) read by the dispatcher's own thread, by lane read by a reader thread
    /// per connection, or over Akka.Remote like everything else. Lanes are the default (README, "Lanes").
    /// </summary>
    public static Option<string> TransportOption()
    {
        var transport = new Option<string>("--transport") { Description = "Role processes: the services' events by lane (a Unix socket per pair of processes) read by the dispatcher's thread (lanes), by lane read by reader threads (lane-threads), or over Akka.Remote (akka); default lanes", DefaultValueFactory = _ => "lanes" };
        OneOf(transport, "lanes", "lane-threads", "akka");
        return transport;
    }

    /// <summary><c>edsos node --host A|B --role all --port P [--seed HOST:PORT] [--wire null|udp:LOCAL:PEER]</c>.</summary>
    public static Command BuildNode()
    {
        var host = new Option<string>("--host") { Description = "The EDSOS host this process runs: A (10.0.0.1, the echo client) or B (10.0.0.2, echo apps on port 7)", Required = true };
        OneOf(host, "A", "B");
        var role = new Option<string>("--role") { Description = "The host's roles in this process: all, or one of user, net, driver (with --arena: the host's roles as separate processes on one arena file)", DefaultValueFactory = _ => "all" };
        OneOf(role, [.. NodeOptions.Roles]);
        var port = new Option<int>("--port") { Description = "Akka.Remote port on 127.0.0.1 (0: a free one, printed in the ready line)", DefaultValueFactory = _ => 0 }.MustBeAtLeast(0);
        var seed = new Option<string?>("--seed") { Description = "The cluster member to join, HOST:PORT (none: start a cluster of one)" };
        seed.Validators.Add(r =>
        {
            if (NodeOptions.CheckSeed(r.GetValueOrDefault<string?>()) is { } problem)
            {
                r.AddError(problem);
            }
        });
        var wire = new Option<string>("--wire") { Description = "The NIC's wire: null, or udp:LOCALPORT:PEERPORT (one frame per datagram on 127.0.0.1)", DefaultValueFactory = _ => "null" };
        wire.Validators.Add(r =>
        {
            try
            {
                NodeOptions.ParseWire(r.GetValueOrDefault<string>() ?? "null");
            }
            catch (FormatException e)
            {
                r.AddError(e.Message);
            }
        });
        var transport = TransportOption();
        var arena = new Option<string?>("--arena") { Description = "The host's arena file (in /dev/shm), shared by its user, net and driver processes; the first creates it" };
        var app = new Option<string>("--app") { Description = "User role: the app's process name (/user_proc/NAME); a bystander user process takes another", DefaultValueFactory = _ => "app" };
        var otlp = new Option<string?>("--otlp") { Description = "Export this host's traces over OTLP (service edsos-host-a or -b)" }.MustBeHttpEndpoint();
        var traceFile = new Option<string?>("--trace-file") { Description = "Write this host's traces to a Jaeger JSON file when the node ends" }.MustBeWritableFile();
        var command = new Command("node", "Run one EDSOS host in this process as a member of an Akka.Cluster on 127.0.0.1, until SIGINT/SIGTERM or the coordinator's finish")
        {
            host, role, port, seed, wire, arena, app, otlp, traceFile, transport,
        };
        command.SetAction(async (result, stop) =>
        {
            var options = new NodeOptions
            {
                Host = result.GetValue(host)!,
                Role = result.GetValue(role)!,
                Port = result.GetValue(port),
                Seed = result.GetValue(seed),
                Wire = result.GetValue(wire)!,
                Arena = result.GetValue(arena),
                App = result.GetValue(app)!,
                Transport = result.GetValue(transport)!,
                Telemetry = new Telemetry.TelemetryOptions { OtlpEndpoint = result.GetValue(otlp), TraceFile = result.GetValue(traceFile) },
            };
            if (options.RefuseRole() is { } refused)
            {
                await Console.Error.WriteLineAsync($"edsos node: {refused}");
                return ExitCodes.Usage;
            }

            return await ClusterNode.RunAsync(options, Console.Out, Console.Error, stop);
        });
        return command;
    }

    /// <summary><c>edsos cluster demo [--proto udp|tcp] [--sends N] [--size B] [--kill B@N] [--restart] [--json]</c>.</summary>
    public static Command BuildCluster()
    {
        var proto = new Option<string>("--proto") { Description = "udp or tcp", DefaultValueFactory = _ => "udp" };
        OneOf(proto, "udp", "tcp");
        var sends = new Option<int>("--sends") { Description = "Datagrams (or TCP writes) host A sends and has echoed", DefaultValueFactory = _ => 1000 }.MustBeAtLeast(1);
        var size = new Option<int>("--size") { Description = "Bytes per datagram or write", DefaultValueFactory = _ => 1024 };
        var kill = new Option<string?>("--kill") { Description = "SIGKILL a process once A has N echoes back: B@N (host B), or user@N, net@N, driver@N (one of host A's role processes, with --layout roles) (UDP or TCP)" };
        var layout = new Option<string>("--layout") { Description = "roles: host A as three processes, user, net and driver, on one arena file (zero copy across them), host B a fourth; hosts: each host one process (--role all)", DefaultValueFactory = _ => "roles" };
        OneOf(layout, "roles", "hosts");
        var transport = TransportOption();
        var roles = new Option<bool>("--roles") { Description = "The same as --layout roles (the default), kept for scripts" };
        var restart = new Option<bool>("--restart") { Description = "With --kill: start the killed host again; it rejoins and the echo resumes" };
        var json = new Option<bool>("--json") { Description = "One JSON object on stdout: the demo's fields summed over every arena, processes, kill timings" };
        var traceDir = new Option<string?>("--trace-dir") { Description = "Each node writes its traces there as Jaeger JSON (host-a-1.json, host-b-1.json; a restarted B host-b-2.json)" };
        var otlp = new Option<string?>("--otlp") { Description = "Each node exports its traces over OTLP to this http(s) endpoint (services edsos-host-a, edsos-host-b)" }.MustBeHttpEndpoint();
        var chaos = new Option<int>("--chaos") { Description = "K SIGKILLs in a row at seeded random instants while the echo runs, each of a random process (victim user, net, driver or B), each restarted before the next (--layout roles; UDP or TCP)", DefaultValueFactory = _ => 0 }.MustBeAtLeast(0);
        var chaosSeed = new Option<int?>("--seed") { Description = "The chaos run's seed (default: from the clock, printed in the report; EDSOS_KILL_SEED also sets it)" };
        var demo = new Command("demo", "Host A as three processes (user, net, driver) on one arena and host B as a fourth, in one Akka.Cluster, NICs joined by a UDP wire: the demo's echo across them, every byte checked")
        {
            proto, sends, size, kill, restart, layout, roles, json, traceDir, otlp, chaos, chaosSeed, transport,
        };
        demo.SetAction(async (result, stop) =>
        {
            (string Host, int After)? killed = null;
            if (result.GetValue(kill) is { } spec)
            {
                killed = ClusterDemoOptions.ParseKill(spec, out string? problem);
                if (killed is null)
                {
                    await Console.Error.WriteLineAsync($"edsos cluster demo: {problem}");
                    return ExitCodes.Usage;
                }
            }

            var options = new ClusterDemoOptions
            {
                Proto = result.GetValue(proto)!,
                Sends = result.GetValue(sends),
                Size = result.GetValue(size),
                KillHost = killed?.Host,
                KillAfter = killed?.After ?? 0,
                Restart = result.GetValue(restart),
                Roles = result.GetValue(layout) == "roles" || result.GetValue(roles),
                TraceDirectory = result.GetValue(traceDir),
                Transport = result.GetValue(transport)!,
                OtlpEndpoint = result.GetValue(otlp),
                Chaos = result.GetValue(chaos),
                ChaosSeed = result.GetValue(chaosSeed)
                    ?? (int.TryParse(Environment.GetEnvironmentVariable("EDSOS_KILL_SEED"), out int fromEnvironment) ? fromEnvironment : Environment.TickCount & int.MaxValue),
            };
            if (options.Validate() is { } invalid)
            {
                await Console.Error.WriteLineAsync($"edsos cluster demo: {invalid}");
                return ExitCodes.Usage;
            }

            var report = await ClusterDemo.RunAsync(options, Console.Error, stop);
            if (report is null)
            {
                return ExitCodes.Failed;
            }

            if (result.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(report, s_json));
            }
            else
            {
                WriteSummary(Console.Out, report);
            }

            if (!report.Ok && report.Errors.FirstOrDefault(e => !e.StartsWith("note:", StringComparison.Ordinal)) is { } first)
            {
                await Console.Error.WriteLineAsync($"edsos cluster demo: {first}");
            }

            return report.Ok ? ExitCodes.Ok : ExitCodes.Failed;
        });
        var cluster = new Command("cluster", "The console cluster: EDSOS hosts as OS processes on Akka.Cluster") { demo };
        return cluster;
    }

    /// <summary><c>edsos bench serializer [--messages N] [--reps R]</c>: the measurement behind the cluster's serializer.</summary>
    public static Command BuildSerializerBench()
    {
        var messages = new Option<int>("--messages") { Description = "Round trips per serializer and repetition", DefaultValueFactory = _ => 200_000 }.MustBeAtLeast(10);
        var reps = new Option<int>("--reps") { Description = "Repetitions, serializers interleaved; the best is reported", DefaultValueFactory = _ => 3 }.MustBeAtLeast(1);
        var command = new Command("serializer", "The console cluster's messages through Akka's default JSON, Hyperion and EDSOS's System.Text.Json serializer: round trips/s and bytes") { messages, reps };
        command.SetAction(async (result, stop) =>
        {
            var rows = await Bench.SerializerBench.RunAsync(result.GetValue(messages), result.GetValue(reps)).WaitAsync(stop);
            Console.WriteLine($"cluster messages (8 kinds, one in a Traced carrier), {result.GetValue(messages):N0} round trips per repetition, best of {result.GetValue(reps)}");
            foreach (var row in rows)
            {
                Console.WriteLine($"  {row.Name,-58} {row.RoundTripsPerSecond,12:N0} msg/s {row.BytesPerMessage,8:N1} bytes/msg  round trip {(row.RoundTripOk ? "ok" : "WRONG")}");
            }

            return rows.All(r => r.RoundTripOk) ? ExitCodes.Ok : ExitCodes.Failed;
        });
        return command;
    }

    /// <summary>The human summary of a cluster run.</summary>
    public static void WriteSummary(TextWriter output, ClusterDemoReport report)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(report);
        output.WriteLine($"EDSOS cluster demo: {report.Proto} echo 10.0.0.1 → 10.0.0.2:7, {report.Sends} × {report.Size} bytes, {(report.Processes.Any(p => p.Role != "all") ? "host A as user, net and driver processes on one arena" : "one host per process")}, {report.Mode} mode");
        if (report.Interrupted)
        {
            output.WriteLine($"  interrupted        by a signal after {report.Attempted} of {report.Sends} rounds; the figures below cover those");
        }

        foreach (var process in report.Processes)
        {
            output.WriteLine($"  process            host {process.Host}, role {process.Role}, pid {process.Pid} ({process.Ended}){(process.Lanes is { } lanes ? $"; {lanes}" : string.Empty)}");
        }

        string lost = report.Lost > 0 ? $" ({report.Lost} lost{(report.LostToPeerDown > 0 ? $", {report.LostToPeerDown} to the peer going down" : string.Empty)})" : string.Empty;
        output.WriteLine($"  echoed ok          {report.EchoedOk}/{report.Attempted} attempted of {report.Sends}{(report.EchoedBad > 0 ? $" ({report.EchoedBad} wrong)" : string.Empty)}{lost}");
        output.WriteLine($"  frames on the wire {report.FramesTx} (cross-process UDP wire)");
        output.WriteLine($"  payload copied     {report.PayloadBytesCopied:N0} bytes by the CPU (stack, {report.ArenasReported} arena(s))");
        output.WriteLine($"  headers copied     {report.HeaderBytesCopied:N0} bytes");
        output.WriteLine($"  device DMA         {report.DmaBytes:N0} bytes");
        output.WriteLine($"  sends/s            {report.SendsPerSec:N0} (send+echo rounds across processes, warm-up included){(report.SteadySendsPerSec > 0 ? $"; {report.SteadySendsPerSec:N0} settled, from round {report.SteadyFromRound:N0}" : string.Empty)}");
        output.WriteLine($"  sendto latency     p50 {report.SendP50Us:0.0} µs, p99 {report.SendP99Us:0.0} µs; round trip p50 {report.RttP50Us:0.0} µs");
        if (report.ChaosSeed is { } chaosSeed)
        {
            output.WriteLine($"  chaos              {report.Kills.Count} kills, seed {chaosSeed} (--seed {chaosSeed} replays the picks)");
            foreach (var (kill, index) in report.Kills.Select((k, i) => (k, i + 1)))
            {
                output.WriteLine($"    kill {index,2}          {kill.Target,-6} pid {kill.Pid,-7} after {kill.AfterEchoes,5} echoes +{kill.JitterUs,4} µs: removed after {Seconds(kill.RemovedAfterS)}, back after {Seconds(kill.RejoinedAfterS)}");
            }

            output.WriteLine($"  reaped (last)      {report.ReapedProcesses} process(es) by the surviving processes: {report.LiftedNodes} nodes lifted, of them {report.LiftedCtrns} CTRNs");
        }
        else if (report.Killed is { } killed)
        {
            output.WriteLine($"  killed             host {killed.Host} {killed.Role} pid {killed.Pid} by SIGKILL after {report.KilledAfterEchoes} echoes");
            if (report.ReapedProcesses > 0)
            {
                output.WriteLine($"  reaped             {report.ReapedProcesses} process(es) within {Seconds(report.ReapedAfterS)} of the kill: {report.LiftedNodes} nodes lifted, of them {report.LiftedCtrns} CTRNs");
            }

            output.WriteLine($"  cluster saw it     unreachable after {Seconds(report.UnreachableAfterS)}, removed after {Seconds(report.RemovedAfterS)}");
            if (killed.Role == "all" && (report.RejoinedAfterS is not null || report.EchoedAfterRestart is not null))
            {
                output.WriteLine($"  restarted          host B up again after {Seconds(report.RejoinedAfterS)}; {report.EchoedAfterRestart} echoes served by the new process");
            }
            else if (report.RejoinedAfterS is not null)
            {
                output.WriteLine($"  restarted          host {killed.Host} {killed.Role} up again after {Seconds(report.RejoinedAfterS)} (a new process, found by the others and re-attached)");
            }
        }

        output.WriteLine($"  failure detection  {report.FailureDetection}");
        output.WriteLine($"  serializer         {report.Serializer}");
        output.WriteLine($"  leaks after close  {report.LeakedPages} pages, {report.LeakedCtrns} CTRNs, {report.LeakedNodes} nodes ({report.ArenasReported} arena(s) reported)");
        foreach (var error in report.Errors.Take(Environment.GetEnvironmentVariable("EDSOS_DEBUG") == "1" ? 100 : 8))
        {
            output.WriteLine($"  {(error.StartsWith("note:", StringComparison.Ordinal) ? error : $"error: {error}")}");
        }

        foreach (var leak in report.Leaks.Take(10))
        {
            output.WriteLine($"  leak: {leak}");
        }

        output.WriteLine($"  verdict            {(report.Ok ? "behaved as designed" : report.Interrupted ? "interrupted" : "did NOT behave as designed")}");
    }

    /// <summary>Refuses a value outside <paramref name="values"/> in one line (System.CommandLine's own message spans several).</summary>
    private static void OneOf(Option<string> option, params string[] values)
    {
        option.Validators.Add(r =>
        {
            string? value = r.GetValueOrDefault<string>();
            if (value is not null && !values.Contains(value, StringComparer.Ordinal))
            {
                r.AddError($"{option.Name} must be {string.Join(", ", values[..^1])} or {values[^1]}, not '{value}'");
            }
        });
    }

    private static string Seconds(double? value) => value is { } s ? $"{s:0.00} s" : "never";
}
