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
/// With <c>--proto tcp</c> it runs a stream instead (<see cref="TcpFaultDemo"/>).
/// <c>--fault help</c> lists every accepted value.
/// </summary>
public static class FaultDemo
{
    /// <summary>Datagrams at most one frame long: the watched wire tells app A's frames by their UDP header.</summary>
    public const int MaxSize = 1472;

    private static readonly JsonSerializerOptions s_json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>
    /// Runs the fault demo and returns the exit code: 0 when the system behaved as designed,
    /// 1 (with the reasons on stderr) when an invariant failed, 2 for a bad <paramref name="fault"/>
    /// value. <c>help</c> prints the catalogue and returns 0.
    /// </summary>
    public static async Task<int> RunAsync(string fault, DemoOptions options, bool json, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(fault);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        if (string.Equals(fault.Trim(), "help", StringComparison.OrdinalIgnoreCase))
        {
            WriteHelp(output);
            return 0;
        }

        if (!FaultCatalog.TryParse(fault, out var parsed, out var reason))
        {
            error.WriteLine($"edsos demo: --fault: {reason}");
            return 2;
        }

        if (options.Mode != DataPathMode.ZeroCopy || options.Proto is not ("udp" or "tcp"))
        {
            error.WriteLine("edsos demo: --fault runs the zero-copy UDP or TCP path (--mode zerocopy, --proto udp or tcp)");
            return 2;
        }

        if (options.Proto == "tcp")
        {
            return await TcpFaultDemo.RunAsync(parsed, options, json, output, error).ConfigureAwait(false);
        }

        var scenario = new FaultScenarioOptions
        {
            Fault = parsed,
            Sends = Math.Max(options.Sends, 5),
            Size = Math.Clamp(options.Size, 8, MaxSize),
        };
        var started = DateTime.UtcNow;
        var result = await FaultScenario.RunAsync(scenario).ConfigureAwait(false);
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
        output.WriteLine($"  verdict            {(report.Ok ? "behaved as designed" : "VIOLATED: " + string.Join("; ", report.Violations))}");
    }
}
