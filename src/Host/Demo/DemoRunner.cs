using System.Diagnostics;
using Edsos.Driver;
using Edsos.Driver.Wires;
using Edsos.Kpn;
using Edsos.Protocol;
using Edsos.Protocol.Wire;
using Edsos.SocketService;

namespace Edsos.Host.Demo;

/// <summary>
/// Runs the demo: hosts A (10.0.0.1) and B (10.0.0.2) in one process joined by a virtual wire; A's
/// app sends UDP datagrams to B's echo app and checks every echoed byte, then pings B; both hosts
/// close everything and their leak reports are read.
/// </summary>
public static class DemoRunner
{
    public static readonly Ipv4Cidr AddressA = Ipv4Cidr.Parse("10.0.0.1/24");
    public static readonly Ipv4Cidr AddressB = Ipv4Cidr.Parse("10.0.0.2/24");
    public const ushort EchoPort = 7;

    /// <summary>
    /// Runs one demo. <paramref name="progress"/> (may be null) gets the number of completed rounds.
    /// Throws <see cref="InvalidOperationException"/> when a host cannot be set up (socket or bind fails).
    /// </summary>
    public static async Task<DemoReport> RunAsync(DemoOptions options, IProgress<int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Proto == "tcp")
        {
            return await TcpDemoRunner.RunAsync(options, progress);
        }

        var (wireA, wireB) = LoopbackWire.CreatePair();
        PcapWriter? pcap = options.PcapPath is null ? null : new PcapWriter(File.Create(options.PcapPath));
        // One mirror on A's end sees both directions of the wire, each frame once.
        PcapMirrorWire? mirror = pcap is null ? null : new PcapMirrorWire(wireA, pcap);
        IWire endA = mirror ?? (IWire)wireA;

        var total = Stopwatch.StartNew();
        var hostA = await EdsosHost.StartAsync(HostOptions("A", AddressA, "02:00:00:00:00:01", options), endA);
        var hostB = await EdsosHost.StartAsync(HostOptions("B", AddressB, "02:00:00:00:00:02", options), wireB);
        try
        {
            var echo = new EchoServer(hostB.StartProcess("echo"), options.Mode);
            Errno bound = await echo.BindAsync(new Ipv4Endpoint(Ipv4Address.Any, EchoPort));
            if (bound != Errno.None)
            {
                throw new InvalidOperationException($"echo app on host B could not bind port {EchoPort}: {bound}");
            }

            Task echoLoop = echo.RunAsync(options.Size);
            var client = hostA.StartProcess("app");
            var rounds = await RunClientAsync(client, options, progress, new Ipv4Endpoint(AddressB.Address, EchoPort));
            var pings = await PingAsync(client, options.Pings, AddressB.Address);

            await echo.CloseAsync();
            await echoLoop;
            if (echo.LastError != Errno.None)
            {
                rounds.Errors.Add($"echo app stopped on {echo.LastError}");
            }

            long framesTx = (await NicDriver.GetStatisticsAsync(hostA.Nic)).FramesSent
                + (await NicDriver.GetStatisticsAsync(hostB.Nic)).FramesSent;
            await hostA.StopAsync();
            await hostB.StopAsync();
            pcap?.Flush();
            return DemoReportBuilder.Build(
                options, options.Proto, rounds, rounds.Ok, rounds.BadCount, pings, framesTx, hostA.Memory, hostB.Memory, mirror, total.Elapsed);
        }
        finally
        {
            await hostA.DisposeAsync();
            await hostB.DisposeAsync();
            pcap?.Dispose();
        }
    }

    /// <summary>Options for one of the two demo hosts; the TCP runner adds its own with <c>with</c>.</summary>
    internal static EdsosHostOptions HostOptions(string name, Ipv4Cidr address, string mac, DemoOptions options) => new()
    {
        Name = name,
        Address = address,
        Mac = MacAddress.Parse(mac),
        Mode = options.Mode,
        Tso = options.Tso,
    };

    /// <summary>
    /// The UDP echo client against any echo server at <paramref name="destination"/> (host B, or Linux):
    /// the tally, the rounds echoed right, and those echoed wrong.
    /// </summary>
    internal static async Task<(EchoTally Tally, int Ok, int Bad)> RunEchoClientAsync(Libc libc, DemoOptions options, IProgress<int>? progress, Ipv4Endpoint destination)
    {
        var rounds = await RunClientAsync(libc, options, progress, destination);
        return (rounds, rounds.Ok, rounds.BadCount);
    }

    private static async Task<Rounds> RunClientAsync(Libc libc, DemoOptions options, IProgress<int>? progress, Ipv4Endpoint destination)
    {
        var rounds = new Rounds(options.Sends);
        var socket = await libc.SocketAsync(2, SocketKind.Dgram, 0);
        if (!socket.IsOk)
        {
            throw new InvalidOperationException($"socket() on host A failed: {socket.Error}");
        }

        int fd = (int)socket.Value;
        UserBuffer send = libc.Alloc(options.Size);
        UserBuffer? receive = options.Mode == DataPathMode.Copy ? libc.Alloc(options.Size) : null;
        byte[] pattern = new byte[options.Size];
        var loop = Stopwatch.StartNew();
        try
        {
            for (int i = 0; i < options.Sends; i++)
            {
                ulong sequence = (ulong)i + 1;
                DatagramPattern.Fill(pattern, sequence);
                libc.WriteBuffer(send, 0, pattern);

                long start = Stopwatch.GetTimestamp();
                var sent = await libc.SendToAsync(fd, send.Gva, options.Size, destination);
                long afterSend = Stopwatch.GetTimestamp();
                if (!sent.IsOk || sent.Value != options.Size)
                {
                    rounds.Fail($"sendto #{sequence}: {(sent.IsOk ? $"sent {sent.Value} of {options.Size}" : sent.Error.ToString())}");
                    continue;
                }

                rounds.SendMicros.Add(Stopwatch.GetElapsedTime(start, afterSend).TotalMicroseconds);
                bool ok = await ReceiveEchoAsync(libc, fd, receive, sequence, options, rounds, destination);
                if (ok)
                {
                    rounds.Ok++;
                    rounds.RttMicros.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
                }

                progress?.Report(i + 1);
            }

            rounds.Elapsed = loop.Elapsed;
        }
        finally
        {
            libc.Free(send);
            if (receive is not null)
            {
                libc.Free(receive);
            }

            await libc.CloseAsync(fd);
        }

        return rounds;
    }

    private static async Task<bool> ReceiveEchoAsync(Libc libc, int fd, UserBuffer? receive, ulong sequence, DemoOptions options, Rounds rounds, Ipv4Endpoint destination)
    {
        using var timeout = new CancellationTokenSource(options.EchoTimeout);
        UserBuffer buffer;
        int length;
        Ipv4Endpoint from;
        bool granted = receive is null;
        try
        {
            if (granted)
            {
                var zc = await libc.RecvZeroCopyAsync(fd, MsgFlags.None, timeout.Token);
                if (!zc.IsOk)
                {
                    rounds.Fail($"echo #{sequence}: recv {zc.Error}");
                    return false;
                }

                (buffer, length, from) = (zc.Buffer!, zc.Length, zc.From);
            }
            else
            {
                var r = await libc.RecvFromAsync(fd, receive!.Gva, receive.Length, MsgFlags.None, timeout.Token);
                if (!r.IsOk)
                {
                    rounds.Fail($"echo #{sequence}: recvfrom {r.Error}");
                    return false;
                }

                (buffer, length, from) = (receive, (int)r.Value, r.From);
            }
        }
        catch (OperationCanceledException)
        {
            rounds.Fail($"echo #{sequence}: no echo within {options.EchoTimeout.TotalSeconds:0.#} s");
            return false;
        }

        try
        {
            if (length != options.Size || from != destination)
            {
                rounds.Bad($"echo #{sequence}: {length} bytes from {from}, expected {options.Size} from {destination}");
                return false;
            }

            var check = new DatagramPattern.Verifier(sequence);
            Errno visited = libc.Visit(buffer, 0, length, ref check, DatagramPattern.Check);
            if (visited != Errno.None || !check.Ok)
            {
                rounds.Bad($"echo #{sequence}: {(visited != Errno.None ? visited.ToString() : $"byte {check.FirstBad} differs")}");
                return false;
            }

            return true;
        }
        finally
        {
            if (granted)
            {
                libc.Free(buffer);
            }
        }
    }

    /// <summary>Pings <paramref name="destination"/> <paramref name="count"/> times from <paramref name="libc"/>'s host; returns the round trips of the replies.</summary>
    internal static async Task<List<double>> PingAsync(Libc libc, int count, Ipv4Address destination)
    {
        var rtts = new List<double>(count);
        for (int i = 0; i < count; i++)
        {
            var reply = await libc.PingAsync(destination, (ushort)(i + 1), 56, TimeSpan.FromSeconds(2));
            if (reply.Error == Errno.None)
            {
                rtts.Add(reply.RoundTrip.TotalMicroseconds);
            }
        }

        return rtts;
    }

    /// <summary>Nearest-rank percentile; 0 for an empty list.</summary>
    internal static double Percentile(List<double> values, double fraction)
    {
        if (values.Count == 0)
        {
            return 0;
        }

        values.Sort();
        int rank = (int)Math.Ceiling(fraction * values.Count);
        return Math.Round(values[Math.Clamp(rank - 1, 0, values.Count - 1)], 1);
    }

    private sealed class Rounds(int sends) : EchoTally(sends)
    {
        public int Ok;
        public int BadCount;

        public void Fail(string error) => Keep(error);

        public void Bad(string error)
        {
            BadCount++;
            Keep(error);
        }
    }
}
