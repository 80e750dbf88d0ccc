using System.CommandLine;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Edsos.Host.Peer;
using Edsos.Protocol;
using Edsos.Protocol.Wire;
using Edsos.SocketService;

namespace Edsos.Host.Bench;

/// <summary>
/// <c>edsos bench tap</c>: TCP bulk transfer between our stack and the Linux kernel's over a TAP device,
/// both ways (Linux → our RFC 863 discard, and our client → a discard on Linux sockets), beside Linux → Linux
/// over a veth pair between two namespaces, measured in the same run. Every Linux socket is a
/// System.Net.Sockets socket of this process made inside its namespace, so the three paths differ only in
/// what is between the sockets. Each figure is the best of <c>--rounds</c> transfers (MB = 10^6 bytes).
/// </summary>
public static class TapBench
{
    private const int Port = 9;
    private const int WriteSize = 1024 * 1024;
    private static readonly TimeSpan s_transferTimeout = TimeSpan.FromMinutes(3);

    /// <summary>One measured path: its label and the MB/s of each round.</summary>
    public sealed record Result(string Path, IReadOnlyList<double> MegabytesPerSecond)
    {
        /// <summary>The best round.</summary>
        public double Best => MegabytesPerSecond.Count == 0 ? 0 : MegabytesPerSecond.Max();
    }

    /// <summary>The <c>bench tap</c> command.</summary>
    public static Command BuildCommand()
    {
        var mib = new Option<int>("--mib") { Description = "MiB per transfer", DefaultValueFactory = _ => 64 };
        var rounds = new Option<int>("--rounds") { Description = "Transfers per path (the best is reported)", DefaultValueFactory = _ => 3 };
        var tso = new Option<string>("--tso") { Description = "TCP segmentation offload in our NIC: on or off", DefaultValueFactory = _ => "on" };
        tso.AcceptOnlyFromAmong("on", "off");
        var pcap = new Option<string?>("--pcap") { Description = "Write every frame crossing the TAP to this pcap file (slows the runs down)" };
        var command = new Command("tap", "TCP bulk MB/s: Linux → EDSOS and EDSOS → Linux over a TAP device, beside Linux → Linux over veth (needs root)") { mib, rounds, tso, pcap };
        command.SetAction(async (result, cancellation) =>
        {
            int size = result.GetValue(mib);
            int count = result.GetValue(rounds);
            if (size < 1 || size > 4096 || count < 1 || count > 20)
            {
                Console.Error.WriteLine("edsos bench tap: --mib must be 1 to 4096 and --rounds 1 to 20");
                return 2;
            }

            if (TapPreflight.Check() is { } missing)
            {
                Console.Error.WriteLine($"edsos bench tap: {missing}");
                return 2;
            }

            var (results, error, clean) = await RunAsync((long)size * 1024 * 1024, count, result.GetValue(tso) == "on", Console.Error, result.GetValue(pcap), cancellation);
            if (error is not null)
            {
                Console.Error.WriteLine($"edsos bench tap: {error}");
                return 1;
            }

            Console.WriteLine($"TCP bulk transfer, {size} MiB per transfer, best of {count}, {Environment.ProcessorCount} cores, one run (MB = 10^6 bytes)");
            Console.WriteLine($"{"path",-40} {"MB/s",8}   rounds");
            foreach (var r in results)
            {
                Console.WriteLine(r.MegabytesPerSecond.Count == 0
                    ? $"{r.Path,-40} {"-",8}   not run (interrupted)"
                    : $"{r.Path,-40} {r.Best,8:0.0}   {string.Join(", ", r.MegabytesPerSecond.Select(m => m.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)))}");
            }

            Console.WriteLine($"our leak report after the TAP runs: {(clean ? "clean" : "NOT clean")}");
            return clean ? 0 : 1;
        });
        return command;
    }

    /// <summary>
    /// Measures the three paths, <paramref name="rounds"/> transfers of <paramref name="bytes"/> each; returns the
    /// results, or an error line when a setup or a transfer failed, and whether our leak report was clean.
    /// </summary>
    public static async Task<(IReadOnlyList<Result> Results, string? Error, bool Clean)> RunAsync(
        long bytes, int rounds, bool tso, TextWriter progress, string? pcapPath = null, CancellationToken stop = default)
    {
        ArgumentNullException.ThrowIfNull(progress);
        var toUs = new List<double>();
        var fromUs = new List<double>();
        var veth = new List<double>();
        bool clean;

        var (peer, error) = await TapPeer.StartAsync(new TapPeerOptions { Tso = tso, PcapPath = pcapPath });
        if (peer is null)
        {
            return ([], error, false);
        }

        await using (peer)
        {
            var services = peer.Host.StartProcess("discard");
            var discard = new StreamService(services, DataPathMode.ZeroCopy, echo: false);
            Errno listening = await discard.ListenAsync(new Ipv4Endpoint(Ipv4Address.Any, Port));
            if (listening != Errno.None)
            {
                return ([], $"our discard service could not listen: {listening}", false);
            }

            Task serving = discard.RunAsync();
            var client = peer.Host.StartProcess("sender");
            using var linuxDiscard = NetnsThread.Run(peer.Namespace.Name, () => new LinuxDiscard(Port));
            // A signal ends the run between transfers: the rounds done so far are reported.
            for (int round = 0; round < rounds && !stop.IsCancellationRequested; round++)
            {
                progress.WriteLine($"  round {round + 1}: Linux → EDSOS");
                toUs.Add(await LinuxToEdsosAsync(peer, discard, bytes));
                progress.WriteLine($"  round {round + 1}: EDSOS → Linux");
                double? rate = await EdsosToLinuxAsync(peer, client, linuxDiscard, bytes);
                if (rate is null)
                {
                    return ([], "a transfer from EDSOS to Linux failed", false);
                }

                fromUs.Add(rate.Value);
            }

            await discard.CloseAsync();
            await serving;
            await Task.Delay(600); // TIME_WAIT (2 MSL here) of the last connections
            var leaks = await peer.StopAsync();
            clean = leaks.IsClean;
        }

        var (left, right, vethError) = CreateVethPair();
        if (vethError is not null)
        {
            return ([], vethError, clean);
        }

        using (left)
        using (right)
        {
            using var receiver = NetnsThread.Run(right!.Name, () => new LinuxDiscard(Port));
            for (int round = 0; round < rounds && !stop.IsCancellationRequested; round++)
            {
                progress.WriteLine($"  round {round + 1}: Linux → Linux (veth)");
                using var sender = NetnsThread.Run(left!.Name, () => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
                veth.Add(await LinuxSendAsync(sender, new IPEndPoint(IPAddress.Parse("198.18.1.2"), Port), receiver, bytes));
            }
        }

        return ([
            new Result("Linux → EDSOS (TAP, our discard)", toUs),
            new Result("EDSOS → Linux (TAP, Linux discard)", fromUs),
            new Result("Linux → Linux (veth, two namespaces)", veth),
        ], null, clean);
    }

    private static async Task<double> LinuxToEdsosAsync(TapPeer peer, StreamService discard, long bytes)
    {
        using var sender = NetnsThread.Run(peer.Namespace.Name, () => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
        long before = discard.Bytes;
        await sender.ConnectAsync(new IPEndPoint(IPAddress.Parse(peer.EdsosAddress.ToString()), Port));
        var clock = Stopwatch.StartNew();
        await SendAllAsync(sender, bytes);
        sender.Shutdown(SocketShutdown.Send);

        // Done when our discard has every byte (the FIN follows them).
        using var timeout = new CancellationTokenSource(s_transferTimeout);
        while (discard.Bytes - before < bytes)
        {
            await Task.Delay(1, timeout.Token);
        }

        double seconds = clock.Elapsed.TotalSeconds;
        await sender.ReceiveAsync(new byte[1], SocketFlags.None, timeout.Token);
        return bytes / seconds / 1e6;
    }

    private static async Task<double?> EdsosToLinuxAsync(TapPeer peer, Kpn.Libc libc, LinuxDiscard linux, long bytes)
    {
        var socket = await libc.SocketAsync(2, SocketKind.Stream, 0);
        if (!socket.IsOk)
        {
            return null;
        }

        int fd = (int)socket.Value;
        var connected = await libc.ConnectAsync(fd, new Ipv4Endpoint(peer.LinuxAddress, Port));
        if (!connected.IsOk)
        {
            await libc.CloseAsync(fd);
            return null;
        }

        // One buffer sent again and again: never rewritten, so no copy-on-write while TCP still holds it.
        var buffer = libc.Alloc(WriteSize);
        long before = linux.Bytes;
        var clock = Stopwatch.StartNew();
        bool ok = true;
        for (long sent = 0; sent < bytes && ok; sent += WriteSize)
        {
            int length = (int)Math.Min(WriteSize, bytes - sent);
            var result = await libc.SendAsync(fd, buffer.Gva, length);
            ok = result.IsOk && result.Value == length;
        }

        using var timeout = new CancellationTokenSource(s_transferTimeout);
        while (ok && linux.Bytes - before < bytes && !timeout.IsCancellationRequested)
        {
            await Task.Delay(1);
        }

        double seconds = clock.Elapsed.TotalSeconds;
        await libc.CloseAsync(fd);
        libc.Free(buffer);
        return ok && !timeout.IsCancellationRequested ? bytes / seconds / 1e6 : null;
    }

    private static async Task<double> LinuxSendAsync(Socket sender, IPEndPoint to, LinuxDiscard receiver, long bytes)
    {
        long before = receiver.Bytes;
        await sender.ConnectAsync(to);
        var clock = Stopwatch.StartNew();
        await SendAllAsync(sender, bytes);
        sender.Shutdown(SocketShutdown.Send);
        using var timeout = new CancellationTokenSource(s_transferTimeout);
        while (receiver.Bytes - before < bytes)
        {
            await Task.Delay(1, timeout.Token);
        }

        return bytes / clock.Elapsed.TotalSeconds / 1e6;
    }

    private static async Task SendAllAsync(Socket socket, long bytes)
    {
        byte[] chunk = new byte[WriteSize];
        for (long sent = 0; sent < bytes;)
        {
            int length = (int)Math.Min(chunk.Length, bytes - sent);
            sent += await socket.SendAsync(chunk.AsMemory(0, length), SocketFlags.None);
        }
    }

    private static (LinuxNamespace? Left, LinuxNamespace? Right, string? Error) CreateVethPair()
    {
        var left = LinuxNamespace.TryCreateEmpty(LinuxNamespace.UniqueName(), out string? error);
        if (left is null)
        {
            return (null, null, error);
        }

        var right = LinuxNamespace.TryCreateEmpty(LinuxNamespace.UniqueName(), out error);
        if (right is null)
        {
            left.Dispose();
            return (null, null, error);
        }

        string[][] steps =
        [
            ["-n", left.Name, "link", "add", "veth0", "type", "veth", "peer", "name", "veth1", "netns", right.Name],
            ["-n", left.Name, "addr", "add", "198.18.1.1/24", "dev", "veth0"],
            ["-n", right.Name, "addr", "add", "198.18.1.2/24", "dev", "veth1"],
            ["-n", left.Name, "link", "set", "veth0", "up"],
            ["-n", right.Name, "link", "set", "veth1", "up"],
        ];
        foreach (string[] step in steps)
        {
            var result = IpCommand.Ip(step);
            if (!result.Ok)
            {
                left.Dispose();
                right.Dispose();
                return (null, null, $"ip {string.Join(' ', step)}: {result.FirstLine}");
            }
        }

        return (left, right, null);
    }

    /// <summary>RFC 863 discard on Linux sockets (made in the namespace of the thread that constructs it): counts bytes.</summary>
    private sealed class LinuxDiscard : IDisposable
    {
        private readonly Socket _listener;
        private readonly Task _loop;
        private long _bytes;

        public LinuxDiscard(int port)
        {
            _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            _listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            _listener.Bind(new IPEndPoint(IPAddress.Any, port));
            _listener.Listen(4);
            _loop = Task.Run(AcceptAsync);
        }

        public long Bytes => Interlocked.Read(ref _bytes);

        public void Dispose()
        {
            _listener.Dispose();
            try
            {
                _loop.Wait(TimeSpan.FromSeconds(5));
            }
            catch (AggregateException)
            {
                // The accept loop ends on the closed listener.
            }
        }

        private async Task AcceptAsync()
        {
            byte[] buffer = new byte[1024 * 1024];
            while (true)
            {
                Socket connection;
                try
                {
                    connection = await _listener.AcceptAsync();
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    return;
                }

                using (connection)
                {
                    try
                    {
                        int n;
                        while ((n = await connection.ReceiveAsync(buffer, SocketFlags.None)) > 0)
                        {
                            Interlocked.Add(ref _bytes, n);
                        }
                    }
                    catch (SocketException)
                    {
                        // A reset ends this connection; the next one is accepted.
                    }
                }
            }
        }
    }
}
