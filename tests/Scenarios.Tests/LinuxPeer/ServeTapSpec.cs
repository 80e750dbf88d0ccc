using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Edsos.Host.Peer;
using Edsos.Protocol.Tests;
using Xunit.Abstractions;

namespace Edsos.Scenarios.Tests.LinuxPeer;

/// <summary>
/// The commands against the Linux peer, run as the program a person runs: <c>edsos serve --tap</c> used with
/// plain Linux tools in its namespace and stopped with SIGTERM (exit 0, no leak, namespace gone, a pcap
/// tshark reads clean), <c>edsos demo --peer linux</c> with its echo server as a process in the namespace,
/// and the one-line errors with exit code 2.
/// </summary>
[Collection(LinuxPeerCollection.Name)]
public sealed partial class ServeTapSpec(ITestOutputHelper output)
{
    [LinuxPeerFact(Tools = ["ping"])]
    public async Task Serve_LinuxToolsThenSigterm_ServesCleanlyAndRemovesTheNamespace()
    {
        string pcap = Path.Combine(Path.GetTempPath(), $"edsos-serve-{Environment.ProcessId}.pcap");
        using var serve = EdsosProcess.Start("serve", "--tap", "--pcap", pcap);
        var stderr = serve.StandardError.ReadToEndAsync();
        try
        {
            var readyLine = serve.StandardOutput.ReadLineAsync();
            Assert.True(readyLine.Wait(TimeSpan.FromSeconds(30)), "no ready line within 30 s");
            output.WriteLine(readyLine.Result);
            var ready = ReadyLine().Match(readyLine.Result ?? string.Empty);
            Assert.True(ready.Success, $"unexpected first line: '{readyLine.Result}'");
            string netns = ready.Groups["netns"].Value;
            Assert.Equal("198.18.0.1", ready.Groups["linux"].Value);
            Assert.Equal("198.18.0.2", ready.Groups["edsos"].Value);

            // A person's tools in the namespace: ping, a UDP socket, a TCP echo and a TCP discard.
            var ping = IpCommand.Run("ip", ["netns", "exec", netns, "ping", "-c", "2", "-i", "0.2", "-W", "2", "-s", "3000", "198.18.0.2"], TimeSpan.FromSeconds(10));
            Assert.True(ping.Ok, $"ping: {ping.FirstLine}");
            var edsos = IPAddress.Parse("198.18.0.2");
            using (var udp = NetnsThread.Run(netns, () => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp)))
            {
                byte[] datagram = TcpSockets.Pattern(2000, 5);
                await udp.SendToAsync(datagram, new IPEndPoint(edsos, 7));
                byte[] back = new byte[4000];
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                var got = await udp.ReceiveFromAsync(back, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), timeout.Token);
                Assert.Equal(datagram, back[..got.ReceivedBytes]);
            }

            byte[] payload = TcpSockets.Pattern(1 << 20, 9);
            using (var echo = NetnsThread.Run(netns, () => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)))
            {
                await echo.ConnectAsync(new IPEndPoint(edsos, 7));
                var reading = Task.Run(async () =>
                {
                    var all = new MemoryStream();
                    byte[] buffer = new byte[65536];
                    int n;
                    while ((n = await echo.ReceiveAsync(buffer, SocketFlags.None)) > 0)
                    {
                        all.Write(buffer, 0, n);
                    }

                    return all.ToArray();
                });
                await echo.SendAsync(payload, SocketFlags.None);
                echo.Shutdown(SocketShutdown.Send);
                byte[] echoed = await reading.WaitAsync(TimeSpan.FromSeconds(30));
                Assert.True(payload.AsSpan().SequenceEqual(echoed), "the TCP echo differs");
            }

            using (var discard = NetnsThread.Run(netns, () => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)))
            {
                await discard.ConnectAsync(new IPEndPoint(edsos, 9));
                await discard.SendAsync(payload, SocketFlags.None);
                discard.Shutdown(SocketShutdown.Send);
                Assert.Equal(0, await discard.ReceiveAsync(new byte[16], SocketFlags.None).WaitAsync(TimeSpan.FromSeconds(30)));
            }

            // Let the last ACKs and TIME_WAIT pass, then stop it the way a person or a script does.
            await Task.Delay(600);
            Assert.True(IpCommand.Run("kill", ["-TERM", serve.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(5)).Ok);
            string rest = await serve.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));
            await serve.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            output.WriteLine(rest);
            output.WriteLine(await stderr);
            Assert.Equal(0, serve.ExitCode);
            Assert.Contains("udp echo 1 datagrams", rest, StringComparison.Ordinal);
            Assert.Contains("tcp echo 1 connections, 1,048,576 bytes", rest, StringComparison.Ordinal);
            Assert.Contains("tcp discard 1 connections, 1,048,576 bytes", rest, StringComparison.Ordinal);
            Assert.Contains("leaks after close: 0 pages, 0 nodes, 0 pins", rest, StringComparison.Ordinal);
            Assert.False(File.Exists("/run/netns/" + netns), $"namespace {netns} is still there");

            if (TsharkFactAttribute.Locate() is { } tshark)
            {
                CheckPcapWithTshark(tshark, pcap);
            }
            else
            {
                output.WriteLine("tshark is not installed: the pcap was not cross-checked");
            }
        }
        finally
        {
            if (!serve.HasExited)
            {
                serve.Kill();
            }

            File.Delete(pcap);
        }
    }

    [LinuxPeerFact]
    public async Task DemoPeerLinux_UdpAndTcp_EveryEchoBackNothingCopiedNothingLeaked()
    {
        foreach (string proto in new[] { "udp", "tcp" })
        {
            var (exit, stdout, stderr) = await EdsosProcess.RunAsync(
                TimeSpan.FromSeconds(120), "demo", "--peer", "linux", "--proto", proto, "--sends", "50", "--size", proto == "udp" ? "3000" : "262144", "--json");
            output.WriteLine(stdout);
            Assert.True(exit == 0, $"demo --peer linux --proto {proto} exited {exit}: {stderr}");
            using var report = JsonDocument.Parse(stdout);
            var root = report.RootElement;
            Assert.Equal("linux", root.GetProperty("peer").GetString());
            Assert.Equal("process", root.GetProperty("linux_echo").GetString());
            Assert.Equal(50, root.GetProperty("echoed_ok").GetInt32());
            Assert.Equal(0, root.GetProperty("payload_bytes_copied").GetInt64());
            Assert.Equal(0, root.GetProperty("leaked_pages").GetInt32());
            Assert.Equal(0, root.GetProperty("leaked_nodes").GetInt32());
            Assert.Equal(4, root.GetProperty("pings_ok").GetInt32());
            Assert.False(File.Exists("/run/netns/" + root.GetProperty("netns").GetString()));
        }
    }

    [LinuxPeerFact]
    public async Task DemoPeerLinux_SigtermMidRun_PartialReportAndTheNamespaceIsGone()
    {
        using var demo = EdsosProcess.Start("demo", "--peer", "linux", "--proto", "tcp", "--sends", "1000000", "--size", "65536");
        var stdout = demo.StandardOutput.ReadToEndAsync();
        var stderr = demo.StandardError.ReadToEndAsync();
        string? netns = null;
        try
        {
            // Wait until the run's namespace exists (the run is then under way), then stop it as kill(1) does.
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (netns is null && DateTime.UtcNow < deadline)
            {
                netns = Directory.Exists("/run/netns")
                    ? Directory.GetFiles("/run/netns", $"edsos-{demo.Id}-*").Select(Path.GetFileName).FirstOrDefault()
                    : null;
                await Task.Delay(100);
            }

            Assert.True(netns is not null, "the demo made no namespace within 30 s");
            await Task.Delay(1500);
            Assert.True(IpCommand.Run("kill", ["-TERM", demo.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(5)).Ok);
            await demo.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            string report = await stdout;
            output.WriteLine(report);
            output.WriteLine(await stderr);
            Assert.Equal(143, demo.ExitCode);
            Assert.Contains("interrupted", report, StringComparison.Ordinal);
            Assert.Contains("leaks after close  0 pages, 0 CTRNs, 0 nodes", report, StringComparison.Ordinal);
            Assert.False(File.Exists("/run/netns/" + netns), $"namespace {netns} outlived the run");
        }
        finally
        {
            if (!demo.HasExited)
            {
                demo.Kill(entireProcessTree: true);
            }
        }
    }

    [Theory]
    [InlineData("--address", "10.0.0.2/24")]
    [InlineData("--address", "198.18.0.2")]
    [InlineData("--peer-address", "198.18.0.2/24")]
    [InlineData("--netns", "a/b")]
    public async Task Serve_BadAddressOrName_OneLineErrorExit2(string option, string value)
    {
        var (exit, stdout, stderr) = await EdsosProcess.RunAsync(TimeSpan.FromSeconds(30), "serve", "--tap", option, value);
        Assert.Equal(2, exit);
        Assert.Equal(string.Empty, stdout);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.StartsWith("edsos serve: ", stderr, StringComparison.Ordinal);
    }

    private void CheckPcapWithTshark(string tshark, string pcap)
    {
        // Checksums verified (Wireshark leaves them unverified by default); any bad one, malformed frame or
        // expert error is a finding. Warnings of a normal transfer (window full, zero window while the
        // echo app catches up) are allowed.
        string[] common = ["-r", pcap, "-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE"];
        var frames = IpCommand.Run(tshark, [.. common, "-T", "fields", "-e", "frame.number"], TimeSpan.FromSeconds(60));
        Assert.True(frames.Ok, frames.FirstLine);
        int count = frames.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
        Assert.True(count > 1000, $"only {count} frames captured");
        var bad = IpCommand.Run(
            tshark,
            [.. common, "-Y", "_ws.malformed || _ws.expert.severity == \"error\" || ip.checksum.status == \"Bad\" || tcp.checksum.status == \"Bad\" || udp.checksum.status == \"Bad\" || icmp.checksum.status == \"Bad\""],
            TimeSpan.FromSeconds(60));
        Assert.True(bad.Ok, bad.FirstLine);
        Assert.True(string.IsNullOrWhiteSpace(bad.Stdout), $"tshark flags frames:\n{bad.Stdout}");
        var expert = IpCommand.Run(tshark, [.. common, "-q", "-z", "expert"], TimeSpan.FromSeconds(60));
        output.WriteLine(expert.Stdout);
        Assert.DoesNotContain("Errors (", expert.Stdout, StringComparison.Ordinal);
    }

    [GeneratedRegex("^ready netns=(?<netns>\\S+) linux=(?<linux>\\S+) edsos=(?<edsos>\\S+)$")]
    private static partial Regex ReadyLine();
}
