using Edsos.Driver.Wires;
using Edsos.Memory;
using Edsos.SocketService;

namespace Edsos.Host.Demo;

/// <summary>
/// Fills the parts of a <see cref="DemoReport"/> the UDP and the TCP demo share: the client's tally,
/// the pings, and the sums of both hosts' memory counters and leak reports. A runner adds what is
/// its own (the TCP counters, say) with <c>with</c>.
/// </summary>
internal static class DemoReportBuilder
{
    /// <summary>
    /// Builds the report once both hosts have stopped (their memory counters and leak reports are final then).
    /// <paramref name="ok"/> and <paramref name="bad"/> count rounds echoed right and wrong; the rest of
    /// <see cref="DemoOptions.Sends"/> (of the rounds started, when the run was interrupted) are reported lost.
    /// </summary>
    public static DemoReport Build(
        DemoOptions options, string proto, EchoTally tally, int ok, int bad, DemoRunner.PingTally pings, long framesTx,
        MemoryManager memoryA, MemoryManager? memoryB, PcapMirrorWire? mirror, TimeSpan elapsed)
    {
        var a = memoryA.Counters;
        var b = memoryB?.Counters;
        var leaks = HostLeaks.Read(memoryA, memoryB);

        return new DemoReport
        {
            Mode = options.Mode == DataPathMode.ZeroCopy ? "zerocopy" : "copy",
            Proto = proto,
            Sends = options.Sends,
            Size = options.Size,
            EchoedOk = ok,
            EchoedBad = bad,
            Lost = Math.Max(0, (tally.Interrupted ? tally.Attempted : options.Sends) - ok - bad),
            Interrupted = tally.Interrupted,
            Attempted = tally.Attempted,
            FramesTx = framesTx,
            PayloadBytesCopied = a.PayloadBytesCopied + (b?.PayloadBytesCopied ?? 0),
            HeaderBytesCopied = a.HeaderBytesCopied + (b?.HeaderBytesCopied ?? 0),
            CowBytesCopied = a.CowBytesCopied + (b?.CowBytesCopied ?? 0),
            ApplicationBytesCopied = a.ApplicationBytesCopied + (b?.ApplicationBytesCopied ?? 0),
            DmaBytes = a.DmaBytesRead + a.DmaBytesWritten + (b is null ? 0 : b.DmaBytesRead + b.DmaBytesWritten),
            LeakedPages = leaks.Pages,
            LeakedCtrns = leaks.Ctrns,
            LeakedNodes = leaks.Nodes,
            DoubleReleases = leaks.DoubleReleases,
            SendsPerSec = tally.Elapsed.TotalSeconds > 0 ? ok / tally.Elapsed.TotalSeconds : 0,
            SteadySendsPerSec = tally.SteadyPerSec,
            SteadyFromRound = tally.SteadyFromRound,
            CpuUsPerRound = ok > 0 ? tally.LoopCpu.TotalMicroseconds / ok : 0,
            AllocBytesPerRound = ok > 0 ? (double)tally.LoopAllocatedBytes / ok : 0,
            SendP50Us = tally.SendMicros.PercentileMicros(0.50),
            SendP99Us = tally.SendMicros.PercentileMicros(0.99),
            RttP50Us = tally.RttMicros.PercentileMicros(0.50),
            PingsSent = tally.Interrupted ? pings.Sent : options.Pings,
            PingsOk = (int)pings.RoundTrips.Count,
            PingP50Us = pings.RoundTrips.PercentileMicros(0.50),
            PcapFrames = mirror?.FramesCaptured ?? 0,
            ElapsedSeconds = elapsed.TotalSeconds,
            Tso = options.Tso,
            Leaks = leaks.Lines,
            Errors = tally.ErrorsForReport(),
        };
    }
}
