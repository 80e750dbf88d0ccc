using System.Diagnostics;
using Edsos.Driver;
using Edsos.Host.Demo;
using Edsos.Protocol;
using Edsos.Protocol.Tcp;
using Edsos.Protocol.Wire;
using Akka.Actor;
using Edsos.Scheduler;

namespace Edsos.Host.Peer;

/// <summary>
/// <c>edsos demo --peer linux</c>: the demo's echo with host B replaced by the Linux kernel. Our host (the
/// demo's A, here 198.18.0.2) sits on a TAP device; an echo server on Linux sockets runs inside the
/// namespace (<see cref="LinuxEchoProcess"/>); our app sends, checks every echoed byte and pings Linux,
/// exactly as against host B. The report is the demo's: its memory figures are our host's alone.
/// </summary>
public static class LinuxPeerDemo
{
    /// <summary>
    /// Runs one demo against Linux (<see cref="DemoOptions.Proto"/> udp or tcp). Returns the report, or null and
    /// a one-line error when the peer could not be set up (no root, no <c>/dev/net/tun</c>, ...).
    /// </summary>
    public static async Task<(DemoReport? Report, string? Error)> RunAsync(DemoOptions options, IProgress<int>? progress = null, CancellationToken stop = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var total = Stopwatch.StartNew();
        var peerOptions = new TapPeerOptions
        {
            PcapPath = options.PcapPath,
            Loss = options.Loss,
            InboundLoss = options.Loss,
            Mode = options.Mode,
            Tso = options.Tso,
            Tcp = new TcpOptions { ReceiveBuffer = options.ReceiveBuffer },
            ArenaPages = Math.Max(16384, (int)Math.Min(262_144, (3L * options.Size / 4096) + 4096)),
        };
        var (peer, error) = await TapPeer.StartAsync(peerOptions);
        if (peer is null)
        {
            return (null, error);
        }

        await using (peer)
        {
            using var echo = LinuxEchoProcess.Start(peer.Namespace.Name, DemoRunner.EchoPort, out error);
            if (echo is null)
            {
                return (null, error);
            }

            var client = peer.Host.StartProcess("app");
            var destination = new Ipv4Endpoint(peer.LinuxAddress, DemoRunner.EchoPort);
            var (tally, ok, bad) = options.Proto == "tcp"
                ? await TcpDemoRunner.RunEchoClientAsync(client, options, progress, destination, stop)
                : await DemoRunner.RunEchoClientAsync(client, options, progress, destination, stop);
            var pings = await DemoRunner.PingAsync(client, options.Pings, peer.LinuxAddress, stop);
            var tcp = await peer.Host.Inet.Tcp!.Ask<TcpCounters>(TcpProtocol.GetTcpCounters.Instance, TimeSpan.FromSeconds(5));
            var nic = await NicDriver.GetStatisticsAsync(peer.Host.Nic);
            var leaks = await peer.StopAsync();
            var report = DemoReportBuilder.Build(
                options, options.Proto, tally, ok, bad, pings, nic.FramesSent + peer.Wire.FramesReceived, peer.Host.Memory, null, peer.Mirror, total.Elapsed);
            return (report with
            {
                Peer = "linux",
                Loss = options.Loss,
                Retransmits = tcp.Retransmits,
                BytesAcked = tcp.BytesAcked,
                TsoSends = tcp.TsoSends,
                TsoSegments = nic.TsoSegments,
                LinuxEcho = echo.How,
                Netns = peer.Namespace.Name,
            }, null);
        }
    }
}
