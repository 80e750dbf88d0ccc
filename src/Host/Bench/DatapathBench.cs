using Edsos.Host.Demo;
using Edsos.SocketService;

namespace Edsos.Host.Bench;

/// <summary>
/// <c>edsos bench datapath</c>: the demo's echo run in zero-copy and in copy mode back to back in one
/// process, after a short warm-up, printed as one table with the zero copy / copy ratios. For TCP a
/// third run, zero copy with segmentation offload off, shows what TSO adds.
/// </summary>
public static class DatapathBench
{
    /// <summary>
    /// Runs the bench for <paramref name="options"/> (<see cref="DemoOptions.Proto"/> udp or tcp; its
    /// mode and TSO are set per run) and writes the table to <paramref name="output"/>. Returns 0 when
    /// every run echoed every send right and leaked nothing, 1 otherwise or when a host cannot be set up
    /// (the reason on <paramref name="error"/>), 2 for invalid options. When <paramref name="stop"/> fires
    /// (a signal), the run under way stops early and the table shows the runs made, marked as interrupted.
    /// </summary>
    public static async Task<int> RunAsync(DemoOptions options, TextWriter output, TextWriter error, CancellationToken stop = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        string? invalid = options.Proto is "udp" or "tcp"
            ? options.Validate()
            : $"--proto must be udp or tcp, not '{options.Proto}'";
        if (invalid is not null)
        {
            await error.WriteLineAsync($"edsos bench datapath: {invalid}");
            return 2;
        }

        bool tcp = options.Proto == "tcp";
        var zeroCopy = options with { Mode = DataPathMode.ZeroCopy, Tso = true, Pings = 0, PcapPath = null, Loss = 0 };
        var runs = new List<(string Label, DemoOptions Options)>
        {
            ("zerocopy", zeroCopy),
            ("copy", zeroCopy with { Mode = DataPathMode.Copy }),
        };
        if (tcp)
        {
            runs.Add(("zerocopy, TSO off", zeroCopy with { Tso = false }));
        }

        var reports = new List<DemoReport>(runs.Count);
        try
        {
            // A short warm-up so no run pays for JIT compilation (a TCP write carries more, so fewer of them).
            await DemoRunner.RunAsync(zeroCopy with { Sends = Math.Min(tcp ? 50 : 200, zeroCopy.Sends) }, null, stop);
            foreach (var (_, run) in runs)
            {
                if (stop.IsCancellationRequested)
                {
                    break;
                }

                reports.Add(await DemoRunner.RunAsync(run, null, stop));
            }
        }
        catch (InvalidOperationException e)
        {
            await error.WriteLineAsync($"edsos bench datapath: {e.Message}");
            return 1;
        }

        await output.WriteLineAsync(tcp
            ? $"TCP echo, {zeroCopy.Sends} writes of {zeroCopy.Size} bytes, two hosts in one process"
            : $"UDP echo, {zeroCopy.Sends} × {zeroCopy.Size} bytes, two hosts in one process");
        string send = tcp ? "send" : "sendto";
        await output.WriteLineAsync($"{"mode",-18} {"echoed",8} {"payload copied",16} {"rounds/s",10} {send + " p50 µs",14} {"rtt p50 µs",11}");
        bool clean = true;
        for (int i = 0; i < reports.Count; i++)
        {
            var r = reports[i];
            string label = r.Interrupted ? runs[i].Label + " (cut)" : runs[i].Label;
            await output.WriteLineAsync($"{label,-18} {r.EchoedOk,8} {r.PayloadBytesCopied,16:N0} {r.SendsPerSec,10:N0} {r.SendP50Us,14:0.0} {r.RttP50Us,11:0.0}");
            clean &= r.EchoedOk == (r.Interrupted ? r.Attempted : r.Sends) && r.LeakedNodes == 0 && r.LeakedPages == 0;
        }

        bool complete = reports.Count == runs.Count && !reports.Any(r => r.Interrupted);
        if (!complete)
        {
            await output.WriteLineAsync($"interrupted: {reports.Count(r => !r.Interrupted)} of {runs.Count} runs complete; no ratio from a cut run");
        }
        else
        {
            await output.WriteLineAsync($"zero copy / copy: {Ratio(reports[0], reports[1])}");
            if (tcp)
            {
                await output.WriteLineAsync($"TSO on / off (zero copy): {Ratio(reports[0], reports[2])}");
            }
        }

        if (!clean)
        {
            await error.WriteLineAsync("edsos bench datapath: a run did not echo every send right or leaked memory");
            for (int i = 0; i < reports.Count; i++)
            {
                foreach (string line in reports[i].Errors.Concat(reports[i].Leaks))
                {
                    await error.WriteLineAsync($"  {runs[i].Label}: {line}");
                }
            }
        }

        return clean ? 0 : 1;
    }

    private static string Ratio(DemoReport faster, DemoReport slower) =>
        $"{faster.SendsPerSec / slower.SendsPerSec:0.00}× rounds per second, {slower.RttP50Us / faster.RttP50Us:0.00}× shorter median round trip";
}
