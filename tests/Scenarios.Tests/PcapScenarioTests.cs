using System.Diagnostics;
using Edsos.Host.Demo;
using Edsos.Protocol.Tests;
using Xunit.Abstractions;

namespace Edsos.Scenarios.Tests;

/// <summary>
/// The demo's pcap read back by Wireshark's dissector: valid Ethernet/ARP/IPv4/ICMP/UDP with correct
/// checksums, and every fragmented datagram reassembled.
/// </summary>
public sealed class PcapScenarioTests(ITestOutputHelper output)
{
    [TsharkFact]
    public async Task DemoPcap_ReadByTshark_ChecksumsCorrectAndEveryDatagramReassembled()
    {
        string path = Path.Combine(Path.GetTempPath(), $"edsos-demo-{Guid.NewGuid():N}.pcap");
        try
        {
            const int sends = 20;
            var report = await DemoRunner.RunAsync(new DemoOptions { Sends = sends, Size = 4096, Pings = 3, PcapPath = path });
            Assert.Equal(sends, report.EchoedOk);
            Assert.Equal(report.FramesTx, report.PcapFrames);

            string verbose = Tshark.Run(path, "-V", "-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE");
            Assert.DoesNotContain("[incorrect", verbose, StringComparison.Ordinal);
            Assert.DoesNotContain("Checksum Status: Bad", verbose, StringComparison.Ordinal);
            Assert.DoesNotContain("Malformed", verbose, StringComparison.Ordinal);
            Assert.Contains("Header checksum status: Good", verbose, StringComparison.Ordinal);

            // Each datagram (both directions) reassembled by tshark into one UDP datagram of 4104 bytes.
            // udp.checksum.status: 0 bad, 1 good, 2 unverified.
            string udp = Tshark.Run(path, "-o", "udp.check_checksum:TRUE", "-Y", "udp", "-T", "fields", "-e", "udp.length", "-e", "udp.checksum.status");
            string[] datagrams = udp.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            output.WriteLine($"{datagrams.Length} reassembled UDP datagrams");
            Assert.Equal(2 * sends, datagrams.Length);
            Assert.All(datagrams, line => Assert.Equal("4104\t1", line.Trim()));

            Assert.Equal(3, Count(Tshark.Run(path, "-Y", "icmp.type == 8")));
            Assert.Equal(3, Count(Tshark.Run(path, "-Y", "icmp.type == 0")));
            Assert.True(Count(Tshark.Run(path, "-Y", "arp.opcode == 2")) >= 1, "no ARP reply on the wire");
            Assert.Equal(report.FramesTx, Count(Tshark.Run(path)));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static int Count(string lines) => lines.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
}

/// <summary>
/// The lossy TCP demo's pcap read back by tshark: valid TCP with correct checksums, every byte echoed, and the
/// Window Scale option on both SYNs applied by tshark to the windows that follow (RFC 7323).
/// </summary>
public sealed class TcpPcapScenarioTests
{
    [TsharkFact]
    public async Task LossyTcpDemoPcap_ReadByTshark_ChecksumsCorrectNoMalformedFrames()
    {
        string path = Path.Combine(Path.GetTempPath(), $"edsos-tcp-{Guid.NewGuid():N}.pcap");
        try
        {
            var report = await TcpDemoRunner.RunAsync(new DemoOptions { Proto = "tcp", Sends = 20, Size = 16384, Pings = 0, Loss = 0.02, PcapPath = path, ReceiveBuffer = 256 * 1024 });
            Assert.Equal(20, report.EchoedOk);
            Assert.Equal(0, report.PayloadBytesCopied);

            // tcp.checksum.status: 0 bad, 1 good, 2 unverified.
            string statuses = Tshark.Run(path, "-o", "tcp.check_checksum:TRUE", "-Y", "tcp", "-T", "fields", "-e", "tcp.checksum.status");
            string[] lines = statuses.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(lines.Length > 20 * 16384 / 1460, $"only {lines.Length} TCP segments");
            Assert.All(lines, line => Assert.Equal("1", line.Trim()));
            string errors = Tshark.Run(path, "-o", "tcp.check_checksum:TRUE", "-Y", "_ws.malformed || _ws.expert.severity == error");
            Assert.Equal(string.Empty, errors.Trim());

            // The SYN and the SYN-ACK (and any retransmission of them) offer shift 2: the 256 KiB receive buffer is
            // bounded by the host's memory to 185,420 bytes (half the NIC's 255 RX buffers), which over 2^2 fits the
            // 16-bit field. tshark then scales every later window by 4, and windows above 65535 show up.
            string shifts = Tshark.Run(path, "-Y", "tcp.flags.syn == 1", "-T", "fields", "-e", "tcp.flags.ack", "-e", "tcp.options.wscale.shift");
            string[] syns = shifts.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Contains(syns, line => line.Trim() == "0\t2" || line.Trim() == "False\t2");
            Assert.Contains(syns, line => line.Trim() == "1\t2" || line.Trim() == "True\t2");
            Assert.All(syns, line => Assert.EndsWith("\t2", line.Trim(), StringComparison.Ordinal));
            string windows = Tshark.Run(path, "-Y", "tcp.flags.syn == 0", "-T", "fields", "-e", "tcp.window_size_scalefactor", "-e", "tcp.window_size");
            string[] scaled = windows.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.All(scaled, line => Assert.StartsWith("4\t", line.Trim(), StringComparison.Ordinal));
            Assert.Contains(scaled, line => long.Parse(line.Trim().Split('\t')[1], System.Globalization.CultureInfo.InvariantCulture) > 65535);
        }
        finally
        {
            File.Delete(path);
        }
    }
}

/// <summary>The TCP demo with TSO on, its pcap read back by tshark: the frames the NICs cut are valid TCP/IPv4 within the MTU.</summary>
public sealed class TsoPcapScenarioTests
{
    [TsharkFact]
    public async Task TsoTcpDemoPcap_ReadByTshark_ChecksumsGoodFramesWithinTheMtuNoExpertErrors()
    {
        string path = Path.Combine(Path.GetTempPath(), $"edsos-tso-{Guid.NewGuid():N}.pcap");
        try
        {
            var report = await TcpDemoRunner.RunAsync(new DemoOptions { Proto = "tcp", Sends = 20, Size = 65536, Pings = 0, Tso = true, PcapPath = path });
            Assert.Equal(20, report.EchoedOk);
            Assert.Equal(0, report.PayloadBytesCopied);
            Assert.True(report.TsoSegments > 0, "the NICs cut no TSO segment");

            // Every TCP and IPv4 checksum verifies (status 1 = good), the ones the NIC computed included.
            string statuses = Tshark.Run(
                path, "-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE", "-Y", "tcp",
                "-T", "fields", "-e", "tcp.checksum.status", "-e", "ip.checksum.status");
            string[] lines = statuses.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(lines.Length > 20 * 65536 / 1460, $"only {lines.Length} TCP segments");
            Assert.All(lines, line => Assert.Equal("1\t1", line.Trim()));
            Assert.Equal(string.Empty, Tshark.Run(path, "-Y", "frame.len > 1514").Trim());
            string errors = Tshark.Run(path, "-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE", "-Y", "_ws.malformed || _ws.expert.severity == error");
            Assert.Equal(string.Empty, errors.Trim());
        }
        finally
        {
            File.Delete(path);
        }
    }
}

/// <summary>Runs tshark on a capture and returns its standard output; fails the test on a non-zero exit.</summary>
internal static class Tshark
{
    public static string Run(string path, params string[] options)
    {
        var start = new ProcessStartInfo(TsharkFactAttribute.Locate()!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add("-r");
        start.ArgumentList.Add(path);
        foreach (string option in options)
        {
            start.ArgumentList.Add(option);
        }

        using var process = Process.Start(start)!;
        string text = process.StandardOutput.ReadToEnd();
        process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"tshark exited {process.ExitCode}");
        return text;
    }
}
