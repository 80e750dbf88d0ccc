namespace Edsos.Host.Demo;

/// <summary>The human summary of a demo run.</summary>
public static class DemoSummary
{
    /// <summary>Writes the summary of <paramref name="report"/> to <paramref name="output"/>.</summary>
    public static void Write(TextWriter output, DemoReport report, DemoOptions options)
    {
        bool linux = report.Peer == "linux";
        string from = linux ? "198.18.0.2" : "10.0.0.1";
        string to = linux ? "198.18.0.1" : "10.0.0.2";
        output.WriteLine(linux
            ? $"EDSOS demo: {report.Proto} echo {from} → Linux {to}:{DemoRunner.EchoPort} (netns {report.Netns}, echo server {report.LinuxEcho}), {report.Sends} × {report.Size} bytes, {report.Mode} mode"
            : $"EDSOS demo: {report.Proto} echo {from} → {to}:{DemoRunner.EchoPort}, {report.Sends} × {report.Size} bytes, {report.Mode} mode");
        if (report.Interrupted)
        {
            output.WriteLine($"  interrupted        by a signal after {report.Attempted} of {report.Sends} rounds; the figures below cover those");
        }

        output.WriteLine($"  echoed ok          {report.EchoedOk}/{(report.Interrupted ? report.Attempted : report.Sends)}{(report.EchoedBad > 0 ? $" ({report.EchoedBad} wrong)" : string.Empty)}{(report.Lost > 0 ? $" ({report.Lost} lost)" : string.Empty)}");
        output.WriteLine($"  ping {to,-13} {report.PingsOk}/{report.PingsSent} replies, median {report.PingP50Us:0.0} µs");
        output.WriteLine($"  frames on the wire {report.FramesTx}");
        output.WriteLine($"  payload copied     {report.PayloadBytesCopied:N0} bytes by the CPU ({(linux ? "our stack; Linux's copies are its own" : "stack, both hosts")})");
        output.WriteLine($"  headers copied     {report.HeaderBytesCopied:N0} bytes");
        output.WriteLine($"  device DMA         {report.DmaBytes:N0} bytes");
        output.WriteLine($"  app's own buffers  {report.ApplicationBytesCopied:N0} bytes written/read by the apps");
        output.WriteLine($"  sends/s            {report.SendsPerSec:N0} (send+echo rounds, JIT warm-up included); {report.SteadySendsPerSec:N0} settled, from round {report.SteadyFromRound:N0} (a short run is all JIT warm-up: --sends 30000, or `bench datapath`)");
        output.WriteLine($"  cost per round     {report.CpuUsPerRound:N1} µs of CPU, {report.AllocBytesPerRound:N0} bytes allocated (whole process)");
        output.WriteLine($"  sendto latency     p50 {report.SendP50Us:0.0} µs, p99 {report.SendP99Us:0.0} µs; round trip p50 {report.RttP50Us:0.0} µs");
        if (report.Proto == "tcp")
        {
            output.WriteLine($"  tcp                {report.BytesAcked:N0} bytes acknowledged, {report.Retransmits} retransmits, wire loss {report.Loss:P1}");
            output.WriteLine(report.Tso
                ? $"  tso                on: {report.TsoSends:N0} super-segments cut into {report.TsoSegments:N0} frames by the NICs"
                : "  tso                off: tcp_tx_worker cut every segment");
        }

        output.WriteLine($"  leaks after close  {report.LeakedPages} pages, {report.LeakedCtrns} CTRNs, {report.LeakedNodes} nodes, {report.DoubleReleases} double releases");
        if (options.PcapPath is not null)
        {
            output.WriteLine($"  pcap               {report.PcapFrames} frames in {options.PcapPath}");
        }

        foreach (var error in report.Errors)
        {
            output.WriteLine($"  error: {error}");
        }

        foreach (var leak in report.Leaks.Take(10))
        {
            output.WriteLine($"  leak: {leak}");
        }
    }
}
