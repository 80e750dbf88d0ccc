using System.Buffers.Binary;
using Edsos.Driver;
using Edsos.Driver.Wires;
using Edsos.Host;
using Edsos.Host.Faults;
using Edsos.Kpn;
using Edsos.Memory;
using Edsos.Protocol;
using Edsos.Protocol.Ipv4;
using Edsos.Protocol.Wire;
using Akka.Actor;
using Edsos.Scheduler;
using Edsos.SocketService;
using Xunit.Abstractions;

namespace Edsos.Scenarios.Tests.Faults;

/// <summary>
/// Fuzzes the receive path's frame parsing on a real host: over 100,000 seeded mutations of valid
/// frames (truncation, lying length fields, bad checksums, random byte flips, overlapping fragments,
/// fragment floods, garbage) are handed to the IPv4 receive worker exactly as the driver hands them
/// (an RX buffer of the driver TS shared into <c>/net/ipv4/rx</c>), and a share of them travels the
/// wire into the NIC and through the driver. No exception may escape a driver or protocol actor,
/// the socket still receives afterwards, and nothing leaks once the host closed.
/// </summary>
public sealed class ReceiveFuzzSpec(ITestOutputHelper output)
{
    private const int Frames = 100_000;
    private const int WireFrames = 4_000;
    private const int Batch = 256;
    private const ushort BoundPort = 7;
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(20);
    private static readonly MacAddress s_ourMac = MacAddress.Parse("02:00:00:00:00:02");
    private static readonly MacAddress s_peerMac = MacAddress.Parse("02:00:00:00:00:01");
    private static readonly Ipv4Address s_ourIp = Ipv4Address.Parse("10.0.0.2");
    private static readonly Ipv4Address s_peerIp = Ipv4Address.Parse("10.0.0.1");

    [Fact]
    public async Task Receive_100kMutatedFrames_NoActorFailsAndNothingLeaks()
    {
        // Arrange: host B on a wire whose other end the test drives; a bound socket drained by its app.
        var seed = Environment.GetEnvironmentVariable("EDSOS_FUZZ_SEED") is { } text ? int.Parse(text, System.Globalization.CultureInfo.InvariantCulture) : 4242;
        var random = new Random(seed);
        var (peer, ours) = LoopbackWire.CreatePair();
        var host = await EdsosHost.StartAsync(
            new EdsosHostOptions { Name = "B", Address = Ipv4Cidr.Parse("10.0.0.2/24"), Mac = s_ourMac, ArenaPages = 4096 },
            ours);
        var failures = ActorFailedCollector.Start(host.System);
        var app = host.StartProcess("app");
        var fd = (int)(await app.SocketAsync(2, SocketKind.Dgram, 0)).Value;
        Assert.True((await app.BindAsync(fd, new Ipv4Endpoint(Ipv4Address.Any, BoundPort))).IsOk);
        var received = 0;
        var drain = Task.Run(async () =>
        {
            var buffer = app.Alloc(65535);
            while (true)
            {
                var got = await app.RecvFromAsync(fd, buffer.Gva, 65535);
                if (!got.IsOk)
                {
                    return got.Error;
                }

                Interlocked.Increment(ref received);
            }
        });
        var sink = new NullWireReceiver();
        peer.Attach(sink);
        var mutator = new FrameMutator(random);

        try
        {
            // Act: most frames straight into the IPv4 receive worker (every one is parsed), a share through the NIC.
            for (var sent = 0; sent < Frames; sent += Batch)
            {
                for (var i = 0; i < Batch; i++)
                {
                    Deliver(host, mutator.Next());
                }

                await host.Inet.RxWorker.Ask<Ipv4RxCounters>(InetStackProtocol.GetCounters.Instance, s_wait);
            }

            for (var sent = 0; sent < WireFrames; sent += 32)
            {
                for (var i = 0; i < 32; i++)
                {
                    peer.Transmit(mutator.Next());
                }

                await host.Nic.Device.Ask<Edsos.Driver.Device.DeviceCounters>(new Edsos.Driver.Device.VirtualNicProtocol.GetDeviceCounters(), s_wait);
                await host.Inet.RxWorker.Ask<Ipv4RxCounters>(InetStackProtocol.GetCounters.Instance, s_wait);
            }

            var counters = await host.Inet.RxWorker.Ask<Ipv4RxCounters>(InetStackProtocol.GetCounters.Instance, s_wait);
            var nic = await NicDriver.GetStatisticsAsync(host.Nic);
            output.WriteLine($"seed {seed}: {counters.Frames} frames parsed; truncated {counters.Truncated}, malformed {counters.Malformed}, "
                + $"bad IP checksum {counters.BadIpChecksum}, bad UDP checksum {counters.BadUdpChecksum}, fragments {counters.FragmentsReceived} "
                + $"(dropped {counters.FragmentsDropped}, reassembled {counters.Reassembled}), delivered {counters.UdpDelivered}, "
                + $"ARP {counters.ArpReceived}, echo requests {counters.EchoRequests}; NIC received {nic.FramesReceived}, missed {nic.RxMissed}");

            // Assert: the path still works: a clean datagram reaches the socket.
            var before = Volatile.Read(ref received);
            Deliver(host, FrameMutator.Udp(BoundPort, 4000, new byte[64], identification: 1));
            var deadline = DateTime.UtcNow + s_wait;
            while (Volatile.Read(ref received) == before && DateTime.UtcNow < deadline)
            {
                await Task.Delay(10);
            }

            Assert.True(Volatile.Read(ref received) > before, $"seed {seed}: the socket received nothing after the fuzzing (drain ended: {(drain.IsCompleted ? await drain : Errno.None)}, {received} received)");
            Assert.True(counters.Frames >= Frames, $"seed {seed}: only {counters.Frames} frames reached the parser");
            Assert.True(failures.IsEmpty, $"seed {seed}: " + string.Join("\n", failures.Select(f => $"{f.Actor.Path}: {f.Exception}")));
        }
        finally
        {
            await host.StopAsync();
            await drain.WaitAsync(s_wait);
            var leaks = host.Memory.GetLeakReport();
            await host.DisposeAsync();
            Assert.True(leaks.IsClean, $"seed {seed}: {leaks}");
        }
    }

    [Fact]
    public async Task Receive_EmptyDatagram_ZeroBytesInBothModes()
    {
        // Found by the fuzzer: a legal empty UDP datagram (RFC 768) made recv fail with EFAULT.
        var (_, ours) = LoopbackWire.CreatePair();
        await using var host = await EdsosHost.StartAsync(
            new EdsosHostOptions { Name = "B", Address = Ipv4Cidr.Parse("10.0.0.2/24"), Mac = s_ourMac, ArenaPages = 1024 },
            ours);
        var app = host.StartProcess("app");
        var fd = (int)(await app.SocketAsync(2, SocketKind.Dgram, 0)).Value;
        Assert.True((await app.BindAsync(fd, new Ipv4Endpoint(Ipv4Address.Any, BoundPort))).IsOk);

        Deliver(host, FrameMutator.Udp(BoundPort, 4000, [], identification: 1));
        var copied = await app.RecvFromAsync(fd, app.Alloc(16).Gva, 16).AsTask().WaitAsync(s_wait);
        Deliver(host, FrameMutator.Udp(BoundPort, 4000, [], identification: 2));
        var mapped = await app.RecvZeroCopyAsync(fd).AsTask().WaitAsync(s_wait);

        Assert.Equal(new RecvResult(0, Errno.None, new Ipv4Endpoint(s_peerIp, 4000)), copied);
        Assert.Equal(Errno.None, mapped.Error);
        Assert.Equal(0, mapped.Length);
        Assert.Null(mapped.Buffer);
        await host.StopAsync();
        Assert.True(host.Memory.GetLeakReport().IsClean, host.Memory.GetLeakReport().ToString());
    }

    /// <summary>As the driver RX worker does: an RX buffer in the driver TS, shared into the receive TS.</summary>
    private static void Deliver(EdsosHost host, byte[] frame)
    {
        var memory = host.Memory;
        var driverTs = host.Nic.DriverTs;
        var length = Math.Max(frame.Length, 1);
        var buffer = memory.Push(driverTs, "rx_ring/fuzz", length).Unwrap();
        if (frame.Length > 0)
        {
            memory.Write(driverTs, buffer, 0, frame, CopyKind.Metadata).ThrowIfFailed();
        }

        var info = memory.Inspect(driverTs, buffer).Unwrap();
        var shared = memory.CtShare(driverTs, buffer, info.Gva, length, host.Inet.RxTs, "rx/fuzz", Rights.Read | Rights.Share | Rights.Map).Unwrap();
        memory.Pop(driverTs, buffer).ThrowIfFailed();
        host.Inet.RxWorker.Tell(new DriverProtocol.FrameReceivedEvent(shared, frame.Length), ActorRefs.NoSender);
    }

    private sealed class NullWireReceiver : IWireReceiver
    {
        public void OnFrame(ReadOnlySpan<byte> frame)
        {
        }
    }

    /// <summary>Seeded frames: valid ones of every kind the stack parses, then mutated.</summary>
    private sealed class FrameMutator(Random random)
    {
        private ushort _identification = 100;

        public byte[] Next()
        {
            var frame = Valid();
            return random.Next(10) switch
            {
                0 => frame,
                1 => frame[..random.Next(frame.Length + 1)], // truncated anywhere, empty included
                2 => LieAboutLengths(frame),
                3 => BreakChecksum(frame),
                4 => Flip(frame, 1 + random.Next(4)),
                5 => Fragment(overlapping: true),
                6 => FragmentFlood(),
                7 => Garbage(),
                8 => Flip(LieAboutLengths(frame), 1),
                _ => Fragment(overlapping: false),
            };
        }

        public static byte[] Udp(ushort port, ushort sourcePort, byte[] payload, ushort identification)
        {
            var udp = new byte[8 + payload.Length];
            BinaryPrimitives.WriteUInt16BigEndian(udp, sourcePort);
            BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(2), port);
            BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(4), (ushort)udp.Length);
            payload.CopyTo(udp, 8);
            var sum = InternetChecksum.PseudoHeader(s_peerIp, s_ourIp, IpProtocol.Udp, udp.Length);
            sum.Add(udp);
            var checksum = sum.Finish();
            BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(6), checksum == 0 ? (ushort)0xFFFF : checksum);
            return Ip(17, udp, identification, 0, false);
        }

        private static byte[] Ip(byte protocol, ReadOnlySpan<byte> payload, ushort identification, int fragmentOffset, bool moreFragments)
        {
            var frame = new byte[14 + 20 + payload.Length];
            s_ourMac.WriteTo(frame.AsSpan(0, 6));
            s_peerMac.WriteTo(frame.AsSpan(6, 6));
            frame[12] = 0x08;
            var ip = frame.AsSpan(14);
            ip[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(20 + payload.Length));
            BinaryPrimitives.WriteUInt16BigEndian(ip[4..], identification);
            BinaryPrimitives.WriteUInt16BigEndian(ip[6..], (ushort)((moreFragments ? 0x2000 : 0) | (fragmentOffset / 8)));
            ip[8] = 64;
            ip[9] = protocol;
            s_peerIp.WriteTo(ip[12..16]);
            s_ourIp.WriteTo(ip[16..20]);
            BinaryPrimitives.WriteUInt16BigEndian(ip[10..], InternetChecksum.Compute(ip[..20]));
            payload.CopyTo(ip[20..]);
            return frame;
        }

        private byte[] Valid()
        {
            var payload = new byte[random.Next(0, 1400)];
            random.NextBytes(payload);
            switch (random.Next(5))
            {
                case 0:
                    return Udp(BoundPort, (ushort)random.Next(1024, 65535), payload, _identification++);
                case 1:
                    return Udp((ushort)random.Next(1, 65535), 4000, payload, _identification++);
                case 2:
                    var icmp = new byte[8 + Math.Min(payload.Length, 512)];
                    icmp[0] = 8;
                    payload.AsSpan(0, icmp.Length - 8).CopyTo(icmp.AsSpan(8));
                    BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(2), InternetChecksum.Compute(icmp));
                    return Ip(1, icmp, _identification++, 0, false);
                case 3:
                    var arp = new byte[14 + 28];
                    MacAddress.Broadcast.WriteTo(arp.AsSpan(0, 6));
                    s_peerMac.WriteTo(arp.AsSpan(6, 6));
                    arp[12] = 0x08;
                    arp[13] = 0x06;
                    byte[] header = [0, 1, 8, 0, 6, 4, 0, (byte)(1 + random.Next(2))];
                    header.CopyTo(arp, 14);
                    s_peerMac.WriteTo(arp.AsSpan(22, 6));
                    s_peerIp.WriteTo(arp.AsSpan(28, 4));
                    s_ourIp.WriteTo(arp.AsSpan(38, 4));
                    return arp;
                default:
                    return Fragment(overlapping: false);
            }
        }

        private byte[] Fragment(bool overlapping)
        {
            // One piece of a datagram whose other pieces come (or not) in later frames with the same id.
            var identification = (ushort)(1000 + random.Next(overlapping ? 4 : 64));
            var offset = overlapping ? random.Next(0, 4000) & ~7 : random.Next(0, 8) * 1000;
            var piece = new byte[Math.Max(8, random.Next(8, 1480)) & ~7];
            random.NextBytes(piece);
            if (offset == 0 && piece.Length >= 8)
            {
                BinaryPrimitives.WriteUInt16BigEndian(piece, 4000);
                BinaryPrimitives.WriteUInt16BigEndian(piece.AsSpan(2), BoundPort);
                BinaryPrimitives.WriteUInt16BigEndian(piece.AsSpan(4), (ushort)random.Next(8, 9000));
            }

            return Ip(17, piece, identification, offset, random.Next(4) != 0);
        }

        private byte[] FragmentFlood()
        {
            // A fresh datagram id each time: each opens a reassembly that never completes.
            return Ip(17, new byte[64], (ushort)random.Next(20000, 65535), random.Next(1, 100) * 8, true);
        }

        private byte[] Garbage()
        {
            var frame = new byte[random.Next(0, 1600)];
            random.NextBytes(frame);
            if (frame.Length >= 14 && random.Next(2) == 0)
            {
                frame[12] = 0x08;
                frame[13] = (byte)(random.Next(2) == 0 ? 0x00 : 0x06);
            }

            return frame;
        }

        private byte[] LieAboutLengths(byte[] frame)
        {
            if (frame.Length < 14 + 20 || frame[13] != 0x00)
            {
                return Flip(frame, 2);
            }

            var ip = frame.AsSpan(14);
            switch (random.Next(4))
            {
                case 0:
                    BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)random.Next(0, 65536));
                    break;
                case 1:
                    ip[0] = (byte)(0x40 | random.Next(16));
                    break;
                case 2 when ip.Length >= 28:
                    BinaryPrimitives.WriteUInt16BigEndian(ip[24..], (ushort)random.Next(0, 65536));
                    break;
                default:
                    BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(ip.Length + random.Next(1, 64)));
                    break;
            }

            // Keep the header checksum right half the time, so the lie reaches the length checks.
            if (random.Next(2) == 0 && (ip[0] & 0x0F) >= 5 && ip.Length >= (ip[0] & 0x0F) * 4)
            {
                ip[10] = 0;
                ip[11] = 0;
                BinaryPrimitives.WriteUInt16BigEndian(ip[10..], InternetChecksum.Compute(ip[..((ip[0] & 0x0F) * 4)]));
            }

            return frame;
        }

        private byte[] BreakChecksum(byte[] frame)
        {
            if (frame.Length < 14 + 28 || frame[13] != 0x00)
            {
                return Flip(frame, 1);
            }

            var at = random.Next(2) == 0 ? 14 + 10 : 14 + 20 + 6;
            frame[at] ^= (byte)(1 + random.Next(255));
            return frame;
        }

        private byte[] Flip(byte[] frame, int count)
        {
            for (var i = 0; i < count && frame.Length > 0; i++)
            {
                frame[random.Next(frame.Length)] ^= (byte)(1 + random.Next(255));
            }

            return frame;
        }
    }
}
