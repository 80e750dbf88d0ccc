using System.Diagnostics;
using System.Runtime.CompilerServices;
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
    /// When <paramref name="stop"/> fires (a signal), no new round starts, the pings are skipped, both
    /// hosts close as usual and the report covers the rounds made (<see cref="DemoReport.Interrupted"/>).
    /// Throws <see cref="InvalidOperationException"/> when a host cannot be set up (socket or bind fails).
    /// </summary>
    public static async Task<DemoReport> RunAsync(DemoOptions options, IProgress<int>? progress = null, CancellationToken stop = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Proto == "tcp")
        {
            return await TcpDemoRunner.RunAsync(options, progress, stop);
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
            options.HostsStarted?.Invoke(hostA, hostB);
            var echo = new EchoServer(hostB.StartProcess("echo"), options.Mode);
            Errno bound = await echo.BindAsync(new Ipv4Endpoint(Ipv4Address.Any, EchoPort));
            if (bound != Errno.None)
            {
                throw new InvalidOperationException($"echo app on host B could not bind port {EchoPort}: {bound}");
            }

            Task echoLoop = echo.RunAsync(options.Size);
            var client = hostA.StartProcess("app");
            var rounds = await RunClientAsync(client, options, progress, new Ipv4Endpoint(AddressB.Address, EchoPort), stop);
            var pings = await PingAsync(client, options.Pings, AddressB.Address, stop);

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
    internal static EdsosHostOptions HostOptions(string name, Ipv4Cidr address, string mac, DemoOptions options)
    {
        var host = new EdsosHostOptions
        {
            Name = name,
            Address = address,
            Mac = MacAddress.Parse(mac),
            Mode = options.Mode,
            Tso = options.Tso,
            LargeFrames = options.LargeFrames,
        };

        // Large frames as over Linux's loopback: its MTU too, so a datagram up to 65507 bytes goes unfragmented.
        return options.LargeFrames ? host with { Mtu = ushort.MaxValue } : host;
    }

    /// <summary>
    /// The UDP echo client against any echo server at <paramref name="destination"/> (host B, or Linux):
    /// the tally, the rounds echoed right, and those echoed wrong.
    /// </summary>
    internal static async Task<(EchoTally Tally, int Ok, int Bad)> RunEchoClientAsync(Libc libc, DemoOptions options, IProgress<int>? progress, Ipv4Endpoint destination, CancellationToken stop = default)
    {
        var rounds = await RunClientAsync(libc, options, progress, destination, stop);
        return (rounds, rounds.Ok, rounds.BadCount);
    }

    private static async Task<Rounds> RunClientAsync(Libc libc, DemoOptions options, IProgress<int>? progress, Ipv4Endpoint destination, CancellationToken stop)
    {
        var rounds = new Rounds();
        var socket = await libc.SocketAsync(2, SocketKind.Dgram, 0);
        if (!socket.IsOk)
        {
            throw new InvalidOperationException($"socket() on host A failed: {socket.Error}");
        }

        int fd = (int)socket.Value;
        UserBuffer send = libc.Alloc(options.Size);
        UserBuffer? receive = options.Mode == DataPathMode.Copy ? libc.Alloc(options.Size) : null;
        rounds.SteadyAfter = options.Sends / 5;
        rounds.Planned = options.Sends;
        using var deadline = new EchoDeadline(stop);
        rounds.StartLoop();
        try
        {
            for (int i = 0; i < options.Sends; i++)
            {
                if (stop.IsCancellationRequested)
                {
                    rounds.Interrupted = true;
                    break;
                }

                rounds.Attempted++;
                ulong sequence = (ulong)i + 1;
                // The app writes its datagram where it lives, as an app filling its own buffer would (no staging array).
                var writer = new DatagramPattern.Writer(sequence);
                Errno filled = libc.FillBuffer(send, 0, options.Size, ref writer, DatagramPattern.Write);
                if (filled != Errno.None)
                {
                    rounds.Fail($"fill #{sequence}: {filled}");
                    continue;
                }

                long start = Stopwatch.GetTimestamp();
                var sent = await libc.SendToAsync(fd, send.Gva, options.Size, destination);
                long afterSend = Stopwatch.GetTimestamp();
                if (!sent.IsOk || sent.Value != options.Size)
                {
                    rounds.Fail($"sendto #{sequence}: {(sent.IsOk ? $"sent {sent.Value} of {options.Size}" : sent.Error.ToString())}");
                    continue;
                }

                rounds.SendMicros.Record(Stopwatch.GetElapsedTime(start, afterSend));
                bool ok = await ReceiveEchoAsync(libc, fd, receive, sequence, options, rounds, destination, deadline, stop);
                if (ok)
                {
                    rounds.Ok++;
                    rounds.Echoed(Stopwatch.GetElapsedTime(start));
                }

                progress?.Report(i + 1);
            }

            rounds.EndLoop();
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

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<bool> ReceiveEchoAsync(Libc libc, int fd, UserBuffer? receive, ulong sequence, DemoOptions options, Rounds rounds, Ipv4Endpoint destination, EchoDeadline deadline, CancellationToken stop)
    {
        using var timeout = deadline.Arm(options.EchoTimeout);
        UserBuffer buffer;
        int length;
        Ipv4Endpoint from;
        bool granted = receive is null;
        try
        {
            if (granted)
            {
                var zc = await libc.RecvZeroCopyAsync(fd, MsgFlags.None, timeout.Token);
                if (!zc.IsOk && zc.Error == Errno.EINTR)
                {
                    timeout.Token.ThrowIfCancellationRequested();
                }

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
                if (!r.IsOk && r.Error == Errno.EINTR)
                {
                    timeout.Token.ThrowIfCancellationRequested();
                }

                if (!r.IsOk)
                {
                    rounds.Fail($"echo #{sequence}: recvfrom {r.Error}");
                    return false;
                }

                (buffer, length, from) = (receive, (int)r.Value, r.From);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Interrupted while waiting: this round is neither an echo nor a loss.
            rounds.Attempted--;
            rounds.Interrupted = true;
            return false;
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

    /// <summary>
    /// Pings <paramref name="destination"/> (host B, or Linux) <paramref name="count"/> times from <paramref name="libc"/>'s
    /// host; returns the round trips of the replies. Stops early (no further ping) when <paramref name="stop"/> fires.
    /// </summary>
    internal static async Task<PingTally> PingAsync(Libc libc, int count, Ipv4Address destination, CancellationToken stop = default)
    {
        var pings = new PingTally();
        for (int i = 0; i < count && !stop.IsCancellationRequested; i++)
        {
            pings.Sent++;
            var reply = await libc.PingAsync(destination, (ushort)(i + 1), 56, TimeSpan.FromSeconds(2));
            if (reply.Error == Errno.None)
            {
                pings.RoundTrips.Record(reply.RoundTrip);
            }
        }

        return pings;
    }

    /// <summary>The echo requests sent and the round trips of their replies.</summary>
    internal sealed class PingTally
    {
        public readonly LatencyHistogram RoundTrips = new();
        public int Sent;
    }

    private sealed class Rounds : EchoTally
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
