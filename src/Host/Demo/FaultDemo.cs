using System.Text.Encodings.Web;
using System.Text.Json;
using Edsos.Host.Faults;
using Edsos.Scheduler.Faults;
using Edsos.SocketService;

namespace Edsos.Host.Demo;

/// <summary>
/// <c>edsos demo --fault FAULT@POINT</c>: the demo's two hosts with a fault injected into app A's
/// sends partway through (after a few completed), run by <see cref="FaultScenario"/>; it prints
/// what happened (the lift, the drops, the errnos, the leak report) and its JSON summary.
/// <c>--fault help</c> lists every accepted value.
/// </summary>
public static class FaultDemo
{
    /// <summary>Sends that complete before the fault may fire, when <c>--sends</c> leaves room for them.</summary>
    private const int SendsBeforeFault = 3;

    private static readonly JsonSerializerOptions s_json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>True when <paramref name="fault"/> asks for the catalogue rather than a run.</summary>
    public static bool IsHelp(string fault) => string.Equals(fault?.Trim(), "help", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Returns why <paramref name="fault"/> with <paramref name="options"/> cannot run (one line, for
    /// exit code 2), or null when it can. A fault run honours <c>--sends</c>, <c>--size</c> (above the
    /// MTU the fault meets fragmented datagrams), <c>--pcap</c> and <c>--json</c>; it refuses what it
    /// cannot do rather than ignore it: TCP, copy mode, <c>--loss</c> (a UDP fault run has no
    /// retransmission to repair a loss) and the options named in <paramref name="explicitOptions"/>
    /// that only the echo run uses (<c>--pings</c>, <c>--tso</c>, <c>--rcvbuf</c>).
    /// </summary>
    public static string? Validate(string fault, DemoOptions options, IReadOnlyCollection<string> explicitOptions)
    {
        ArgumentNullException.ThrowIfNull(fault);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(explicitOptions);
        if (IsHelp(fault))
        {
            return null;
        }

        if (!FaultCatalog.TryParse(fault, out _, out var reason))
        {
            return $"--fault: {reason}";
        }

        if (options.Proto != "udp")
        {
            return $"--fault runs the UDP path; --proto {options.Proto} cannot be combined with it";
        }

        if (options.Mode != DataPathMode.ZeroCopy)
        {
            return "--fault runs the zero-copy path; --mode copy cannot be combined with it";
        }

        if (options.Loss != 0)
        {
            return "--fault runs UDP, which does not retransmit: --loss cannot be combined with it";
        }

        foreach (string name in new[] { "--pings", "--tso", "--rcvbuf" })
        {
            if (explicitOptions.Contains(name))
            {
                return $"--fault runs app A's sends and a bystander, not the echo run: {name} cannot be combined with it";
            }
        }

        return options.Validate();
    }

    /// <summary>
    /// Runs the fault demo and returns the exit code: 0 when the system behaved as designed,
    /// 1 (with the reasons on stderr) when an invariant failed, 2 for a bad <paramref name="fault"/>
    /// value or options (<see cref="Validate"/>, checked before anything runs). <c>help</c> prints the
    /// catalogue (a JSON array with <paramref name="json"/>) and returns 0. When <paramref name="stop"/>
    /// fires, app A sends no more and the report covers what ran (<c>interrupted</c>).
    /// </summary>
    public static async Task<int> RunAsync(string fault, DemoOptions options, bool json, TextWriter output, TextWriter error, CancellationToken stop = default)
    {
        ArgumentNullException.ThrowIfNull(fault);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        if (IsHelp(fault))
        {
            if (json)
            {
                WriteHelpJson(output);
            }
            else
            {
                WriteHelp(output);
            }

            return 0;
        }

        string? invalid = Validate(fault, options, []);
        if (invalid is not null)
        {
            error.WriteLine($"edsos demo: {invalid}");
            return 2;
        }

        FaultCatalog.TryParse(fault, out var parsed, out _);
        var scenario = new FaultScenarioOptions
        {
            Fault = parsed,
            Sends = options.Sends,
            Size = options.Size,
            FaultAfterSends = Math.Min(SendsBeforeFault, options.Sends - 1),
            PcapPath = options.PcapPath,
        };
        var started = DateTime.UtcNow;
        var result = await FaultScenario.RunAsync(scenario, stop).ConfigureAwait(false);
        var report = new FaultDemoReport
        {
            Mode = "zerocopy",
            Proto = "udp",
            Sends = scenario.Sends,
            Size = scenario.Size,
            Fault = result.Fault,
            FaultDescription = parsed.Description,
            FaultFired = result.FaultFired,
            FaultHit = result.FaultHit,
            LiftedCtrns = result.LiftedCtrns,
            LiftedNodes = result.LiftedNodes,
            Syscalls = result.Syscalls,
            SyscallResults = result.SyscallResults,
            BystanderSends = result.BystanderSends,
            BystanderOk = result.BystanderOk,
            FramesTx = result.FramesTx,
            FramesFromLiftedPages = result.FramesFromLiftedPages,
            ActorFailures = result.ActorFailures,
            LeakedPages = result.LeakedPages,
            LeakedCtrns = result.LeakedCtrns,
            LeakedNodes = result.LeakedNodes,
            LeakedPins = result.LeakedPins,
            Ok = result.Ok,
            Violations = result.Violations,
            Interrupted = result.Interrupted,
            PcapFrames = result.PcapFrames,
            PcapPath = options.PcapPath,
            ElapsedSeconds = Math.Round((DateTime.UtcNow - started).TotalSeconds, 3),
        };
        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(report, s_json));
        }
        else
        {
            WriteSummary(output, report);
        }

        foreach (var violation in result.Violations)
        {
            error.WriteLine($"edsos demo: {violation}");
        }

        return result.Ok ? 0 : 1;
    }

    /// <summary>The catalogue as a JSON array of <c>{ "fault", "kind", "point", "description" }</c>.</summary>
    public static void WriteHelpJson(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var entries = FaultCatalog.Supported.Select(p =>
        {
            string name = p.ToString();
            int at = name.IndexOf('@', StringComparison.Ordinal);
            return new FaultHelpEntry(name, name[..at], name[(at + 1)..], p.Description);
        });
        output.WriteLine(JsonSerializer.Serialize(entries, s_json));
    }

    /// <summary>One line per supported value: <c>FAULT@POINT  what it does</c>.</summary>
    public static void WriteHelp(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var width = FaultCatalog.Supported.Max(p => p.ToString().Length);
        foreach (var pair in FaultCatalog.Supported)
        {
            output.WriteLine($"{pair.ToString().PadRight(width)}  {pair.Description}");
        }
    }

    private static void WriteSummary(TextWriter output, FaultDemoReport report)
    {
        var receiving = report.Fault.Contains("@rx-", StringComparison.Ordinal);
        var port = receiving ? FaultScenario.AppPort : FaultScenario.SinkPort;
        output.WriteLine($"EDSOS demo: udp 10.0.0.1 → 10.0.0.2:{port}, {report.Sends} × {report.Size} bytes, fault {report.Fault}");
        output.WriteLine($"  fault              {report.FaultDescription}");
        output.WriteLine($"  fired              {(report.FaultFired ? $"yes, at hit {report.FaultHit}" : "no")}");
        if (report.LiftedNodes > 0 || report.LiftedCtrns.Count > 0)
        {
            output.WriteLine($"  lift               {report.LiftedNodes} node(s) revoked; CTRNs: {string.Join(", ", report.LiftedCtrns)}");
        }

        output.WriteLine($"  app {(receiving ? 'B' : 'A')} syscalls     {report.Syscalls}: {string.Join(", ", report.SyscallResults.Select(r => $"{r.Key} {r.Value}"))}");
        output.WriteLine($"  bystander on {(receiving ? 'B' : 'A')}     {report.BystanderOk}/{report.BystanderSends} sends ok");
        if (!receiving)
        {
            output.WriteLine($"  frames on the wire {report.FramesTx} from A, {report.FramesFromLiftedPages} from lifted pages");
        }

        output.WriteLine($"  actor failures     {(report.ActorFailures.Count == 0 ? "none" : string.Join("; ", report.ActorFailures))}");
        output.WriteLine($"  leaks after close  {report.LeakedPages} pages, {report.LeakedCtrns} CTRNs, {report.LeakedNodes} nodes, {report.LeakedPins} pins");
        if (report.PcapPath is not null)
        {
            output.WriteLine($"  pcap               {report.PcapFrames} frames in {report.PcapPath}");
        }

        if (report.Interrupted)
        {
            output.WriteLine("  interrupted        by a signal; app A's sends stopped early, the checks cover what ran");
        }

        output.WriteLine($"  verdict            {(report.Ok ? "behaved as designed" : "VIOLATED: " + string.Join("; ", report.Violations))}");
    }

    private sealed record FaultHelpEntry(string Fault, string Kind, string Point, string Description);
}
