using Edsos.Host.Demo;
using Edsos.Protocol;
using Edsos.Protocol.Wire;

namespace Edsos.Host.Peer;

/// <summary>
/// <c>edsos serve --tap</c>: one EDSOS host on a TAP device with the Linux kernel as its peer in a fresh
/// network namespace, running RFC 862 echo on UDP and TCP port 7 and RFC 863 discard on TCP port 9 until
/// SIGINT or SIGTERM. Prints <c>ready netns=NAME linux=ADDR edsos=ADDR</c> once ARP resolved both ways and
/// the services listen; at the end, what it served and its leak report. Exit code 0 only when nothing
/// leaked; 2 when it could not start (no root, no <c>/dev/net/tun</c>, bad address).
/// </summary>
public static class TapServe
{
    /// <summary>The echo port (RFC 862).</summary>
    public const ushort EchoPort = 7;

    /// <summary>The discard port (RFC 863).</summary>
    public const ushort DiscardPort = 9;

    /// <summary>
    /// Runs the services until <paramref name="stop"/> is cancelled (the command line's <see cref="SignalStop"/>
    /// cancels it at SIGINT or SIGTERM); writes the ready line and the final report to <paramref name="output"/>,
    /// errors to <paramref name="error"/>; returns the exit code.
    /// </summary>
    public static async Task<int> RunAsync(TapPeerOptions options, TextWriter output, TextWriter error, CancellationToken stop = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(stop);

        var (peer, failure) = await TapPeer.StartAsync(options);
        if (peer is null)
        {
            await error.WriteLineAsync($"edsos serve: {failure}");
            return 2;
        }

        await using (peer)
        {
            var services = peer.Host.StartProcess("services");
            var udpEcho = new EchoServer(services, options.Mode);
            var tcpEcho = new StreamService(services, options.Mode, echo: true);
            var discard = new StreamService(services, options.Mode, echo: false);
            Errno bound = await udpEcho.BindAsync(new Ipv4Endpoint(Ipv4Address.Any, EchoPort));
            Errno echoListening = bound == Errno.None ? await tcpEcho.ListenAsync(new Ipv4Endpoint(Ipv4Address.Any, EchoPort)) : bound;
            Errno discardListening = echoListening == Errno.None ? await discard.ListenAsync(new Ipv4Endpoint(Ipv4Address.Any, DiscardPort)) : echoListening;
            if (discardListening != Errno.None)
            {
                await error.WriteLineAsync($"edsos serve: the services could not listen: {discardListening}");
                return 1;
            }

            Task udpLoop = udpEcho.RunAsync(DemoOptions.MaxUdpPayload);
            Task echoLoop = tcpEcho.RunAsync();
            Task discardLoop = discard.RunAsync();

            var resolver = peer.Host.StartProcess("arp");
            bool resolved = await peer.ResolveLinuxAsync(resolver, TimeSpan.FromSeconds(10));
            if (!resolved)
            {
                await error.WriteLineAsync($"edsos serve: no answer from Linux at {peer.LinuxAddress} within 10 s (ARP or ping failed)");
                stopping.Cancel();
            }
            else
            {
                await output.WriteLineAsync($"ready netns={peer.Namespace.Name} linux={peer.LinuxAddress} edsos={peer.EdsosAddress}");
                await output.FlushAsync();
            }

            try
            {
                await Task.Delay(Timeout.Infinite, stopping.Token);
            }
            catch (OperationCanceledException)
            {
            }

            await udpEcho.CloseAsync();
            await tcpEcho.CloseAsync();
            await discard.CloseAsync();
            try
            {
                await Task.WhenAll(udpLoop, echoLoop, discardLoop).WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (TimeoutException)
            {
                await error.WriteLineAsync("edsos serve: a service did not stop within 10 s; stopping the host anyway");
            }

            var leaks = await peer.StopAsync();
            long fromLinux = peer.Wire.FramesReceived;
            long toLinux = peer.Wire.Counters.FramesTransmitted;
            await output.WriteLineAsync($"served: udp echo {udpEcho.Echoed} datagrams; tcp echo {tcpEcho.Connections} connections, {tcpEcho.Bytes:N0} bytes; tcp discard {discard.Connections} connections, {discard.Bytes:N0} bytes");
            await output.WriteLineAsync($"frames: {fromLinux:N0} from Linux, {toLinux:N0} to Linux{(peer.Mirror is null ? string.Empty : $", {peer.Mirror.FramesCaptured:N0} captured to {options.PcapPath}")}");
            await output.WriteLineAsync($"leaks after close: {leaks.PagesInUse} pages, {leaks.Nodes.Count} nodes, {leaks.ActivePins} pins");
            foreach (var node in leaks.Nodes)
            {
                await output.WriteLineAsync($"  leaked {(node.IsCtrn ? "CTRN" : "node")} {node.Path} ({node.Length} bytes)");
            }

            Errno serviceError = udpEcho.LastError != Errno.None ? udpEcho.LastError : tcpEcho.LastError != Errno.None ? tcpEcho.LastError : discard.LastError;
            if (serviceError != Errno.None)
            {
                await output.WriteLineAsync($"a service stopped on {serviceError}");
            }

            return leaks.IsClean && resolved ? 0 : 1;
        }
    }
}
