using System.CommandLine;
using System.Text.Json;
using Edsos.Host.Bench;
using Edsos.Host.Demo;
using Edsos.Host.Peer;
using Edsos.Host.Telemetry;
using Edsos.Protocol.Tcp;
using Edsos.Protocol.Wire;
using Edsos.SocketService;

namespace Edsos.Host;

/// <summary>
/// The <c>edsos</c> command line: <c>demo</c>, <c>serve --tap</c> and <c>bench runtime|datapath|tracing|tap</c>. Every command
/// follows the same contract (README, "Exit codes"): options are checked before any work starts, a
/// bad one is one line on stderr and exit code 2; 0 means the run behaved as designed, 1 that it ran
/// and something failed; SIGINT or SIGTERM stops it with a partial report and 128 + the signal, except
/// <c>serve</c>, which runs until a signal and then exits 0 when nothing leaked.
/// </summary>
public static class EdsosCli
{
    private static readonly JsonSerializerOptions s_json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
    };

    /// <summary>
    /// Parses <paramref name="args"/> and runs the command; returns the process exit code. A parse
    /// error (an unknown option, <c>--sends abc</c>, a check of <see cref="OptionChecks"/>) is one line
    /// on stderr and 2. An exception that escapes a command is one line and 1 (its stack trace only
    /// with <c>EDSOS_DEBUG=1</c>). SIGINT and SIGTERM are handled by <see cref="SignalStop"/>.
    /// </summary>
    public static async Task<int> RunAsync(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var parsed = BuildRoot().Parse(args);
        if (parsed.Errors.Count > 0)
        {
            string command = string.Join(' ', CommandPath(parsed.CommandResult));
            Console.Error.WriteLine($"{command}: {parsed.Errors[0].Message.TrimEnd('.')} (see {command} --help)");
            return ExitCodes.Usage;
        }

        using var signals = new SignalStop(Console.Error);

        // SignalStop stops every run in order, so the namespaces of a Linux peer go with it (or, should the run
        // not stop in time, at process exit): the Peer's own last-resort signal handlers stand aside.
        using var graceful = LinuxNamespace.GracefulShutdownScope();
        bool signalIsTheEnd = parsed.CommandResult.Command.Name == "serve";
        var configuration = new InvocationConfiguration
        {
            // Signals are SignalStop's; exceptions are reported below in one line.
            ProcessTerminationTimeout = null,
            EnableDefaultExceptionHandler = false,
        };
        int code;
        try
        {
            code = await parsed.InvokeAsync(configuration, signals.Token);
        }
        catch (OperationCanceledException) when (signals.Stopped)
        {
            code = signals.ExitCode;
        }
        catch (Exception e)
        {
            // A wrapper (reflection, a type initialiser, a task) says nothing a user can act on: name what it wraps.
            var cause = e;
            while (cause is System.Reflection.TargetInvocationException or TypeInitializationException or AggregateException { InnerExceptions.Count: 1 } && cause.InnerException is not null)
            {
                cause = cause.InnerException;
            }

            Console.Error.WriteLine($"{string.Join(' ', CommandPath(parsed.CommandResult))}: failed: {cause.GetType().Name}: {cause.Message.ReplaceLineEndings(" ")}");
            if (Environment.GetEnvironmentVariable("EDSOS_DEBUG") == "1")
            {
                Console.Error.WriteLine(e);
            }

            code = ExitCodes.Failed;
        }

        await Console.Out.FlushAsync();
        return signals.Stopped && !signalIsTheEnd ? signals.ExitCode : code;
    }

    private static IEnumerable<string> CommandPath(System.CommandLine.Parsing.CommandResult? result)
    {
        var names = new Stack<string>();
        for (var current = result; current is not null; current = current.Parent as System.CommandLine.Parsing.CommandResult)
        {
            names.Push(current.Parent is null ? "edsos" : current.Command.Name);
        }

        return names.Count == 0 ? ["edsos"] : names;
    }

    /// <summary>The command tree (exposed for tests of the parser).</summary>
    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("EDSOS: a capability-based, zero-copy microkernel network stack prototype");
        root.Subcommands.Add(BuildDemo());
        root.Subcommands.Add(BuildServe());
        root.Subcommands.Add(BuildLinuxEcho());
        var bench = new Command("bench", "Benchmarks; report figures measured in one run");
        bench.Subcommands.Add(BuildRuntimeBench());
        bench.Subcommands.Add(BuildDatapathBench());
        bench.Subcommands.Add(BuildHopsBench());
        bench.Subcommands.Add(BuildStreamBench());
        bench.Subcommands.Add(BuildIdleBench());
        bench.Subcommands.Add(TracingBench.BuildCommand());
        bench.Subcommands.Add(TapBench.BuildCommand());
        bench.Subcommands.Add(Cluster.ClusterCli.BuildSerializerBench());
        bench.Subcommands.Add(ClusterBench.BuildCommand());
        root.Subcommands.Add(bench);
        root.Subcommands.Add(Cluster.ClusterCli.BuildNode());
        root.Subcommands.Add(Cluster.ClusterCli.BuildCluster());
        return root;
    }

    private static Command BuildDemo()
    {
        var proto = new Option<string>("--proto") { Description = "Transport protocol: udp, tcp, or both (UDP then TCP)", DefaultValueFactory = _ => "udp" };
        var loss = new Option<double>("--loss") { Description = "TCP: drop each frame with this probability (seeded, both directions)", DefaultValueFactory = _ => 0 };
        var rcvbuf = new Option<int>("--rcvbuf") { Description = "TCP: receive buffer per connection in bytes (above 65535 the SYNs offer window scaling)", DefaultValueFactory = _ => new TcpOptions().ReceiveBuffer };
        var sends = new Option<int>("--sends") { Description = "Datagrams to send and have echoed", DefaultValueFactory = _ => 1000 }.MustBeAtLeast(1);
        var size = new Option<int>("--size") { Description = "Payload bytes per datagram (8..65507; fragmented above the MTU)", DefaultValueFactory = _ => 1024 };
        var mode = new Option<string>("--mode") { Description = "zerocopy (EDSOS) or copy (the Linux path)", DefaultValueFactory = _ => "zerocopy" };
        mode.AcceptOnlyFromAmong("zerocopy", "copy");
        var pings = new Option<int>("--pings") { Description = "Echo requests from A to B after the UDP run", DefaultValueFactory = _ => 4 }.MustBeAtLeast(0);
        var pcap = new Option<string?>("--pcap") { Description = "Write every frame of the wire to this pcap file" }.MustBeWritableFile();
        var json = new Option<bool>("--json") { Description = "Print one JSON object on stdout instead of the summary" };
        var tso = new Option<string>("--tso") { Description = "TCP segmentation offload on both NICs: on (the NIC cuts up to 64 KiB super-segments) or off (tcp_tx_worker cuts every segment)", DefaultValueFactory = _ => "on" };
        tso.AcceptOnlyFromAmong("on", "off");
        var peer = new Option<string>("--peer") { Description = "Who echoes: edsos (host B in this process) or linux (the kernel's own stack, on a TAP device in a network namespace; needs root)", DefaultValueFactory = _ => "edsos" };
        peer.AcceptOnlyFromAmong("edsos", "linux");
        var fault = new Option<string?>("--fault") { Description = "Inject FAULT@POINT into app A's sends, or B's receives for rx-* points (for example ts-exit@dma), over --proto udp or tcp; 'help' lists them" };
        var command = new Command("demo", "Two hosts (10.0.0.1, 10.0.0.2) on a virtual wire: UDP echo with every byte checked, and ping")
        {
            proto, sends, size, mode, pings, pcap, json, fault, loss, tso, rcvbuf, peer,
        };
        var telemetry = TelemetryCli.AddTo(command);
        command.SetAction(async (result, stop) =>
        {
            var options = new DemoOptions
            {
                Proto = result.GetValue(proto)!,
                Sends = result.GetValue(sends),
                Size = result.GetValue(size),
                Mode = result.GetValue(mode) == "copy" ? DataPathMode.Copy : DataPathMode.ZeroCopy,
                Pings = result.GetValue(pings),
                PcapPath = result.GetValue(pcap),
                Loss = result.GetValue(loss),
                Tso = result.GetValue(tso) == "on",
                ReceiveBuffer = result.GetValue(rcvbuf),
                Peer = result.GetValue(peer)!,
            };
            bool asJson = result.GetValue(json);
            if (result.GetValue(fault) is { } injected)
            {
                if (options.Peer == "linux")
                {
                    Console.Error.WriteLine("edsos demo: --fault runs two EDSOS hosts; it does not combine with --peer linux");
                    return ExitCodes.Usage;
                }

                // Every option is checked before anything starts: the fault's own rules, then the telemetry.
                string[] given = [.. command.Options.Where(o => result.GetResult(o) is { Implicit: false }).Select(o => o.Name)];
                string? refused = FaultDemo.Validate(injected, options, given);
                if (refused is not null)
                {
                    Console.Error.WriteLine($"edsos demo: {refused}");
                    return ExitCodes.Usage;
                }

                if (FaultDemo.IsHelp(injected))
                {
                    return await FaultDemo.RunAsync(injected, options, asJson, Console.Out, Console.Error, stop);
                }

                return await TelemetryCli.RunAsync(
                    telemetry.Read(result),
                    asJson,
                    () => FaultDemo.RunAsync(injected, options, asJson, Console.Out, Console.Error, stop));
            }

            string? invalid = options.Validate();
            if (invalid is not null)
            {
                Console.Error.WriteLine($"edsos demo: {invalid}");
                return ExitCodes.Usage;
            }

            return await TelemetryCli.RunAsync(telemetry.Read(result), asJson, () => RunDemoAsync(options, asJson, stop));
        });
        return command;
    }

    private static async Task<int> RunDemoAsync(DemoOptions options, bool json, CancellationToken stop)
    {
        if (options.Proto == "both")
        {
            // UDP, then TCP: one summary (or one JSON line) each; the exit code is clean only if both are.
            // Each run gets its own pcap file when one was asked for.
            int udp = await RunDemoAsync(options with { Proto = "udp", Loss = 0, PcapPath = Suffix(options.PcapPath, "udp") }, json, stop);
            if (stop.IsCancellationRequested)
            {
                return udp;
            }

            int tcp = await RunDemoAsync(options with { Proto = "tcp", PcapPath = Suffix(options.PcapPath, "tcp") }, json, stop);
            return Math.Max(udp, tcp);
        }

        IProgress<int>? progress = null;
        if (!Console.IsErrorRedirected)
        {
            int step = Math.Max(1, options.Sends / 100);
            progress = new SynchronousProgress(done =>
            {
                if (done % step == 0 || done == options.Sends)
                {
                    Console.Error.Write($"\r  {done}/{options.Sends} datagrams echoed");
                }
            });
        }

        if (options.Peer == "linux" && TapPreflight.Check() is { } missing)
        {
            Console.Error.WriteLine($"edsos demo: {missing}");
            return ExitCodes.Usage;
        }

        DemoReport report;
        try
        {
            if (options.Peer == "linux")
            {
                var (linux, failure) = await LinuxPeerDemo.RunAsync(options, progress, stop);
                if (linux is null)
                {
                    Console.Error.WriteLine($"edsos demo: {failure}");
                    return ExitCodes.Usage;
                }

                report = linux;
            }
            else
            {
                report = await DemoRunner.RunAsync(options, progress, stop);
            }
        }
        catch (InvalidOperationException e)
        {
            Console.Error.WriteLine($"edsos demo: {e.Message}");
            return ExitCodes.Failed;
        }
        catch (Exception e) when (options.PcapPath is not null && e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"edsos demo: cannot write {options.PcapPath}: {e.Message}");
            return ExitCodes.Failed;
        }

        if (progress is not null)
        {
            Console.Error.WriteLine();
        }

        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(report, s_json));
        }
        else
        {
            DemoSummary.Write(Console.Out, report, options);
        }

        int expected = report.Interrupted ? report.Attempted : report.Sends;
        bool clean = report.EchoedOk == expected && report.PingsOk == report.PingsSent && report.LeakedNodes == 0 && report.LeakedPages == 0 && report.DoubleReleases == 0;
        return clean ? ExitCodes.Ok : ExitCodes.Failed;
    }

    private static string? Suffix(string? path, string proto) =>
        path is null ? null : Path.Combine(Path.GetDirectoryName(path) ?? string.Empty, $"{Path.GetFileNameWithoutExtension(path)}-{proto}{Path.GetExtension(path)}");

    private static Command BuildServe()
    {
        var tap = new Option<bool>("--tap") { Description = "Serve on a TAP device whose peer is the Linux kernel in a network namespace (required: the only wire serve knows)" };
        var netns = new Option<string?>("--netns") { Description = "Name of the network namespace to create (default: edsos-PID-N, unique per run)" };
        var address = new Option<string>("--address") { Description = "EDSOS's address and prefix", DefaultValueFactory = _ => "198.18.0.2/24" };
        var peer = new Option<string>("--peer-address") { Description = "The Linux side's address and prefix in the namespace", DefaultValueFactory = _ => "198.18.0.1/24" };
        var pcap = new Option<string?>("--pcap") { Description = "Write every frame crossing the TAP to this pcap file" }.MustBeWritableFile();
        var mode = new Option<string>("--mode") { Description = "zerocopy (EDSOS) or copy (the Linux path)", DefaultValueFactory = _ => "zerocopy" };
        mode.AcceptOnlyFromAmong("zerocopy", "copy");
        var command = new Command("serve", "One EDSOS host on a TAP device, Linux as its peer: echo on UDP and TCP port 7, discard on TCP port 9, until Ctrl-C")
        {
            tap, netns, address, peer, pcap, mode,
        };
        command.SetAction(async (result, cancellation) =>
        {
            if (!result.GetValue(tap))
            {
                Console.Error.WriteLine("edsos serve: --tap is required (the TAP device is the only wire serve runs on)");
                return ExitCodes.Usage;
            }

            var options = ParsePeerOptions(result.GetValue(netns), result.GetValue(address)!, result.GetValue(peer)!, out string? invalid);
            if (options is null)
            {
                Console.Error.WriteLine($"edsos serve: {invalid}");
                return ExitCodes.Usage;
            }

            options = options with
            {
                PcapPath = result.GetValue(pcap),
                Mode = result.GetValue(mode) == "copy" ? DataPathMode.Copy : DataPathMode.ZeroCopy,
            };
            try
            {
                return await TapServe.RunAsync(options, Console.Out, Console.Error, cancellation);
            }
            catch (Exception e)
            {
                // A long-running server's last word is one line, never a stack trace; the namespace is gone by now
                // (TapPeer's dispose, or the process-exit hook).
                Console.Error.WriteLine($"edsos serve: {e.GetType().Name}: {e.Message}");
                return ExitCodes.Failed;
            }
        });
        return command;
    }

    /// <summary>
    /// The hidden <c>linux-echo</c> command: the Linux side's echo server of <c>demo --peer linux</c>, started by
    /// <c>ip netns exec</c> inside the namespace. Prints <c>listening</c> once bound; runs until its stdin closes.
    /// </summary>
    private static Command BuildLinuxEcho()
    {
        var port = new Option<int>("--port") { Description = "UDP and TCP port to echo on", DefaultValueFactory = _ => 7 };
        var command = new Command("linux-echo", "Echo server on Linux sockets in the current network namespace (started by demo --peer linux)") { port };
        command.Hidden = true;
        command.SetAction(async (result, cancellation) =>
        {
            LinuxEchoServer server;
            try
            {
                server = LinuxEchoServer.Start(result.GetValue(port));
            }
            catch (System.Net.Sockets.SocketException e)
            {
                Console.Error.WriteLine($"edsos linux-echo: {e.Message}");
                return ExitCodes.Usage;
            }

            using (server)
            {
                Console.WriteLine($"listening udp+tcp {result.GetValue(port)}");
                Console.Out.Flush();
                await Console.In.ReadToEndAsync(cancellation);
            }

            return 0;
        });
        return command;
    }

    /// <summary>TAP peer options from the command line's strings, or null and a one-line reason.</summary>
    internal static TapPeerOptions? ParsePeerOptions(string? netns, string address, string peerAddress, out string? error)
    {
        if (!Ipv4Cidr.TryParse(address, out var edsos))
        {
            error = $"--address must be an IPv4 address with a prefix (198.18.0.2/24), not '{address}'";
            return null;
        }

        if (!Ipv4Cidr.TryParse(peerAddress, out var linux))
        {
            error = $"--peer-address must be an IPv4 address with a prefix (198.18.0.1/24), not '{peerAddress}'";
            return null;
        }

        var options = new TapPeerOptions { Netns = netns, EdsosAddress = edsos, LinuxAddress = linux };
        error = options.Validate();
        return error is null ? options : null;
    }

    private static Command BuildRuntimeBench()
    {
        var messages = new Option<long>("--messages") { Description = "Messages through the 6-actor chain (at least 10: the warm-up sends a tenth)", DefaultValueFactory = _ => 1_000_000 }
            .MustBeAtLeast(MinRuntimeMessages, "the warm-up sends a tenth of them");
        var cycles = new Option<int>("--cycles") { Description = "share→merge→pop cycles", DefaultValueFactory = _ => 200_000 }.MustBeAtLeast(1);
        var command = new Command("runtime", "EDSRT messages/second through 6 actors, and the share→merge→pop cost") { messages, cycles };
        command.SetAction(async (result, stop) =>
        {
            long count = result.GetValue(messages);
            int cycleCount = result.GetValue(cycles);
            RuntimeBench.Result r;
            try
            {
                r = await RuntimeBench.RunAsync(count, cycleCount).WaitAsync(stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                Console.Error.WriteLine("edsos bench runtime: interrupted before the measurement finished; nothing to report");
                return ExitCodes.Interrupted;
            }

            Console.WriteLine($"actor chain ({RuntimeBench.ChainLength} actors, {Environment.ProcessorCount} workers): {r.Messages:N0} messages in {r.ChainSeconds:0.000} s");
            Console.WriteLine($"  {r.MessagesPerSecond:N0} messages/s through the chain ({r.HopsPerSecond:N0} actor deliveries/s)");
            Console.WriteLine($"share→merge→pop: {r.Cycles:N0} cycles of ct_share ×2 + merge + pop");
            Console.WriteLine($"  {r.NanosecondsPerCycle:N0} ns per cycle, {r.NanosecondsPerOperation:N0} ns per operation; leak report {(r.MemoryClean ? "clean" : "NOT clean")}");
            return r.MemoryClean ? 0 : 1;
        });
        return command;
    }

    /// <summary>The fewest <c>bench runtime --messages</c>: the warm-up sends a tenth of them, and none would never finish.</summary>
    internal const long MinRuntimeMessages = 10;

    private static Command BuildDatapathBench()
    {
        var proto = new Option<string>("--proto") { Description = "udp, tcp or all (UDP 1024, 4096 and 65507 bytes; TCP 4096 and 65536)", DefaultValueFactory = _ => "all" };
        var size = new Option<int?>("--size") { Description = "Only this payload size (default: the protocol's standard sizes)" };
        var reps = new Option<int>("--reps") { Description = "Measured repetitions per mode, interleaved", DefaultValueFactory = _ => 5 }.MustBeAtLeast(1);
        var seconds = new Option<double>("--seconds") { Description = "Wall time one repetition aims at, once warm", DefaultValueFactory = _ => 1.0 };
        var rounds = new Option<int?>("--rounds") { Description = "A fixed number of rounds per repetition instead of --seconds (one warm-up run of as many)" };
        var rcvbuf = new Option<int>("--rcvbuf") { Description = "TCP: receive buffer per connection in bytes (above 65535 the SYNs offer window scaling; the default lets a 64 KiB write into the window at once, as Linux's loopback beside it, whose buffers scale)", DefaultValueFactory = _ => DatapathBenchOptions.DefaultReceiveBuffer };
        var json = new Option<bool>("--json") { Description = "One JSON object: {\"rows\":[{proto, size, mode, rounds_per_s, ...}]}" };
        var modes = ModesOption();
        var command = new Command("datapath", "The echo in zero-copy mode, copy mode and over Linux's loopback, in steady state, modes interleaved") { proto, size, reps, seconds, rounds, rcvbuf, modes, json };
        command.SetAction(async (result, stop) =>
        {
            var cases = DatapathBenchOptions.CasesFor(result.GetValue(proto)!, result.GetValue(size), out string? invalid);
            var measured = DatapathBench.ModesFor(result.GetValue(modes), out string? invalidModes);
            invalid ??= invalidModes;
            int receiveBuffer = result.GetValue(rcvbuf);
            if (receiveBuffer is < 1460 or > TcpOptions.MaxReceiveBuffer)
            {
                invalid ??= $"--rcvbuf must be between 1460 and {TcpOptions.MaxReceiveBuffer} bytes, not {receiveBuffer}";
            }

            if (invalid is not null || cases is null || measured is null || result.GetValue(seconds) is not > 0 || result.GetValue(rounds) is < 1)
            {
                await Console.Error.WriteLineAsync($"edsos bench datapath: {invalid ?? "--seconds must be positive and --rounds at least 1"}");
                return 2;
            }

            var options = new DatapathBenchOptions
            {
                Cases = cases,
                Repetitions = result.GetValue(reps),
                RoundSeconds = result.GetValue(seconds),
                Rounds = result.GetValue(rounds),
                ReceiveBuffer = result.GetValue(rcvbuf),
                Modes = measured,
            };
            return await DatapathBench.RunAsync(options, result.GetValue(json), Console.Out, Console.Error, stop);
        });
        return command;
    }

    private static Command BuildHopsBench()
    {
        var proto = new Option<string>("--proto") { Description = "udp or tcp", DefaultValueFactory = _ => "udp" };
        proto.AcceptOnlyFromAmong("udp", "tcp");
        var size = new Option<int>("--size") { Description = "Payload bytes per datagram or write", DefaultValueFactory = _ => 1024 };
        var mode = new Option<string>("--mode") { Description = "zerocopy (EDSOS) or copy (the Linux path)", DefaultValueFactory = _ => "zerocopy" };
        mode.AcceptOnlyFromAmong("zerocopy", "copy");
        var rounds = new Option<int>("--rounds") { Description = "Echo rounds in all (those before the recorded ones warm up)", DefaultValueFactory = _ => 50_000 }.MustBeAtLeast(1);
        var recorded = new Option<int>("--recorded") { Description = "The last rounds, recorded (at most --rounds)", DefaultValueFactory = _ => 5_000 }.MustBeAtLeast(1);
        var json = new Option<bool>("--json") { Description = "One JSON object: {proto, size, mode, rounds_recorded, rounds_matching, round_us_median, steps:[{host, actor, message, gap_us, at_us}], ...}" };
        var command = new Command("hops", "Where one echo round's time goes: the median time before each actor's turn along the round, both hosts, after warm-up") { proto, size, mode, rounds, recorded, json };
        command.SetAction(async (result, stop) =>
        {
            var options = new HopsBenchOptions
            {
                Proto = result.GetValue(proto)!,
                Size = result.GetValue(size),
                Mode = result.GetValue(mode) == "copy" ? DataPathMode.Copy : DataPathMode.ZeroCopy,
                Rounds = result.GetValue(rounds),
                Recorded = result.GetValue(recorded),
            };
            string? invalid = options.Validate();
            if (invalid is not null)
            {
                await Console.Error.WriteLineAsync($"edsos bench hops: {invalid}");
                return 2;
            }

            return await HopsBench.RunAsync(options, result.GetValue(json), Console.Out, Console.Error, stop);
        });
        return command;
    }

    private static Command BuildIdleBench()
    {
        var seconds = new Option<double>("--seconds") { Description = "Idle wall time measured, after the warm-up", DefaultValueFactory = _ => 10.0 };
        var warmup = new Option<double>("--warmup") { Description = "Seconds the hosts sit before the measurement starts", DefaultValueFactory = _ => 3.0 };
        var json = new Option<bool>("--json") { Description = "One JSON object: {seconds, cpu_seconds, cpu_percent_of_core, threads}" };
        var command = new Command("idle", "Two hosts, a few hundred echoes, then nothing sent: process CPU as a percentage of one core") { seconds, warmup, json };
        command.SetAction(async (result, stop) =>
        {
            if (result.GetValue(seconds) is not > 0 || result.GetValue(warmup) is not >= 0)
            {
                await Console.Error.WriteLineAsync("edsos bench idle: --seconds must be positive and --warmup not negative");
                return 2;
            }

            return await IdleBench.RunAsync(result.GetValue(seconds), result.GetValue(warmup), result.GetValue(json), Console.Out, stop);
        });
        return command;
    }

    private static Command BuildStreamBench()
    {
        var proto = new Option<string>("--proto") { Description = "udp, tcp or all (UDP 1024-byte datagrams, TCP 65536-byte writes)", DefaultValueFactory = _ => "all" };
        var size = new Option<int?>("--size") { Description = "Bytes per datagram or write (default: 1024 for UDP, 65536 for TCP)" };
        var reps = new Option<int>("--reps") { Description = "Measured repetitions per mode, interleaved", DefaultValueFactory = _ => 3 }.MustBeAtLeast(1);
        var seconds = new Option<double>("--seconds") { Description = "Length of one measured run", DefaultValueFactory = _ => 2.0 };
        var inflight = new Option<int>("--inflight") { Description = "UDP sends in flight at once", DefaultValueFactory = _ => 32 }.MustBeAtLeast(1);
        var json = new Option<bool>("--json") { Description = "One JSON object: {\"rows\":[{mode, proto, size, datagrams_per_s | gbit_per_s, ...}]}" };
        var modes = ModesOption();
        var command = new Command("stream", "Many sends in flight one way: UDP datagrams/s and TCP Gbit/s in zero-copy mode, copy mode and over Linux's loopback") { proto, size, reps, seconds, inflight, modes, json };
        command.SetAction(async (result, stop) =>
        {
            var measured = DatapathBench.ModesFor(result.GetValue(modes), out string? invalidModes);
            if (measured is null)
            {
                await Console.Error.WriteLineAsync($"edsos bench stream: {invalidModes}");
                return 2;
            }

            string which = result.GetValue(proto)!;
            int? one = result.GetValue(size);
            if (which is not ("udp" or "tcp" or "all") || result.GetValue(seconds) is not > 0)
            {
                await Console.Error.WriteLineAsync($"edsos bench stream: --proto must be udp, tcp or all and --seconds positive");
                return 2;
            }

            var cases = StreamBench.DefaultCases.Where(c => which == "all" || c.Proto == which).Select(c => (c.Proto, one ?? c.Size)).ToList();
            var invalid = cases.FirstOrDefault(c => c.Item2 < 8 || c.Item2 > (c.Proto == "udp" ? DemoOptions.MaxUdpPayload : DemoOptions.MaxTcpWrite));
            if (invalid != default)
            {
                await Console.Error.WriteLineAsync($"edsos bench stream: --size {invalid.Item2} is out of range for {invalid.Proto}");
                return 2;
            }

            return await StreamBench.RunAsync(cases, result.GetValue(reps), result.GetValue(seconds), result.GetValue(inflight), result.GetValue(json), Console.Out, Console.Error, stop, measured);
        });
        return command;
    }

    /// <summary>
    /// <c>--modes</c> of the datapath and stream benches: a subset of the modes, for profiling one of them alone
    /// (the ratios need all three, measured in one run).
    /// </summary>
    private static Option<string?> ModesOption() =>
        new("--modes") { Description = "Only these modes, comma-separated: zerocopy, copy, linux (default: all three)" };

    /// <summary>Reports on the caller's thread, so the progress line is never behind or reordered.</summary>
    private sealed class SynchronousProgress(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}
