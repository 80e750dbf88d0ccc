using Edsos.Host.Faults;
using Edsos.Scheduler.Faults;

namespace Edsos.Host.Demo;

/// <summary>
/// <c>edsos demo --proto tcp --fault FAULT@POINT</c>: a client on host A streams <c>--sends</c> writes of
/// <c>--size</c> bytes to a server on host B, with the fault injected mid-stream, run by
/// <see cref="TcpFaultScenario"/> (send-path points hit the client's writes, the <c>rx-*</c> duals the
/// server's reads). It prints the same report and JSON summary as the UDP fault demo, with
/// <c>proto: "tcp"</c> and the stream's bytes and retransmissions added.
/// </summary>
public static class TcpFaultDemo
{
    /// <summary>The fewest writes: the fault fires after two hits of its point, mid-stream.</summary>
    public const int MinWrites = 4;

    /// <summary>
    /// Runs the TCP fault demo for an already parsed <paramref name="fault"/> and returns the exit code:
    /// 0 when the system behaved as designed, 1 (with the reasons on <paramref name="error"/>) when an
    /// invariant failed. <see cref="FaultDemo.Validate"/> has refused <c>--sends</c> below <see cref="MinWrites"/>
    /// and <c>--size</c> below <see cref="TcpFaultScenario.MinWriteSize"/> before this runs.
    /// </summary>
    public static async Task<int> RunAsync(FaultSpecName fault, DemoOptions options, bool json, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        var size = options.Size;
        var scenario = new TcpFaultScenarioOptions
        {
            Fault = fault,
            Writes = options.Sends,
            WriteSize = size,
            Tso = options.Tso,
            ArenaPages = Math.Max(8192, (int)Math.Min(262_144, (3L * size / 4096) + 4096)),
        };
        var started = DateTime.UtcNow;
        var result = await TcpFaultScenario.RunAsync(scenario).ConfigureAwait(false);
        var report = new FaultDemoReport
        {
            Mode = "zerocopy",
            Proto = "tcp",
            Sends = scenario.Writes,
            Size = scenario.WriteSize,
            Fault = result.Fault,
            FaultDescription = result.FaultDescription,
            FaultFired = result.FaultFired,
            FaultHit = result.FaultHit,
            LiftedCtrns = result.LiftedCtrns,
            LiftedNodes = result.LiftedNodes,
            Syscalls = result.Syscalls,
            SyscallResults = result.SyscallResults,
            BystanderSends = result.BystanderRounds,
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
            Victim = result.Victim,
            StreamBytes = result.StreamBytes,
            BytesDelivered = result.Received.Length,
            Retransmits = result.Retransmits,
        };
        return FaultDemo.Emit(report, json, output, error, WriteSummary);
    }

    private static void WriteSummary(TextWriter output, FaultDemoReport report)
    {
        output.WriteLine($"EDSOS demo: tcp 10.0.0.1 → 10.0.0.2:{TcpFaultScenario.ServerPort}, {report.Sends} × {report.Size} bytes, fault {report.Fault}");
        output.WriteLine($"  fault              {report.FaultDescription}");
        output.WriteLine($"  fired              {(report.FaultFired ? $"yes, at hit {report.FaultHit}, on the {report.Victim}" : "no")}");
        if (report.LiftedNodes > 0 || report.LiftedCtrns.Count > 0)
        {
            output.WriteLine($"  lift               {report.LiftedNodes} node(s) revoked; CTRNs: {string.Join(", ", report.LiftedCtrns)}");
        }

        output.WriteLine($"  syscalls           {report.Syscalls}: {string.Join(", ", report.SyscallResults.Select(r => $"{r.Key} {r.Value}"))}");
        output.WriteLine($"  stream             {report.BytesDelivered}/{report.StreamBytes} bytes read by the server, {report.Retransmits} segment(s) retransmitted");
        output.WriteLine($"  bystander          {report.BystanderOk}/{report.BystanderSends} rounds ok on its own connection");
        output.WriteLine($"  frames on the wire {report.FramesTx} from A, {report.FramesFromLiftedPages} with bytes of lifted pages");
        output.WriteLine($"  actor failures     {(report.ActorFailures.Count == 0 ? "none" : string.Join("; ", report.ActorFailures))}");
        output.WriteLine($"  leaks after close  {report.LeakedPages} pages, {report.LeakedCtrns} CTRNs, {report.LeakedNodes} nodes, {report.LeakedPins} pins");
        output.WriteLine($"  verdict            {(report.Ok ? "behaved as designed" : "VIOLATED: " + string.Join("; ", report.Violations))}");
    }
}
