using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Edsos.Host.Demo;
using Edsos.Host.Peer;
using Edsos.Protocol;
using Edsos.Protocol.Ipv4;
using Edsos.Protocol.Wire;
using Edsos.Scheduler;
using Xunit.Abstractions;

namespace Edsos.Scenarios.Tests.LinuxPeer;

/// <summary>
/// Our host on a TAP device against the Linux kernel's own stack in a network namespace (issue 11): ARP
/// both ways, Linux's ping (small and fragmented) and UDP echo from a Linux socket, up to 65507 bytes
/// fragmented both ways. Each test ends with our leak report empty.
/// </summary>
[Collection(LinuxPeerCollection.Name)]
public sealed class LinuxPeerSpec(ITestOutputHelper output)
{
    [LinuxPeerFact(Tools = ["ping"])]
    public async Task Arp_BothWays_EachSideLearnsTheOther()
    {
        var peer = await LinuxPeerHarness.StartAsync();
        try
        {
            // Us → Linux: our ping needs Linux's MAC, so our stack asks (ARP request) and learns the reply.
            var app = peer.Host.StartProcess("app");
            Assert.True(await peer.ResolveLinuxAsync(app, TimeSpan.FromSeconds(5)), "our ping to Linux got no reply");
            var tx = await peer.Host.Inet.IpTx.Ask<Ipv4TxCounters>(InetStackProtocol.GetCounters.Instance, TimeSpan.FromSeconds(5));
            Assert.True(tx.ArpRequests >= 1, $"we sent {tx.ArpRequests} ARP requests");

            // Linux → us: forget us, then let Linux's own ping resolve us again; its neighbour entry holds our MAC.
            Assert.True(peer.Namespace.Exec(TimeSpan.FromSeconds(5), "ip", "neigh", "flush", "all").Ok);
            var ping = peer.Namespace.Exec(TimeSpan.FromSeconds(10), "ping", "-c", "1", "-W", "2", peer.EdsosAddress.ToString());
            Assert.True(ping.Ok, $"Linux's ping after the flush: {ping.FirstLine}");
            var neigh = peer.Namespace.Exec(TimeSpan.FromSeconds(5), "ip", "neigh", "show", peer.EdsosAddress.ToString());
            output.WriteLine(neigh.Stdout.Trim());
            Assert.Contains(peer.Options.Mac.ToString(), neigh.Stdout, StringComparison.OrdinalIgnoreCase);
            await app.ExitAsync();
        }
        finally
        {
            await LinuxPeerHarness.StopCleanAsync(peer, output);
        }
    }

    [LinuxPeerFact(Tools = ["ping"])]
    public async Task Ping_FromLinux_SmallAnd4000Bytes_EveryReplyBack()
    {
        var peer = await LinuxPeerHarness.StartAsync();
        try
        {
            foreach (string size in new[] { "56", "4000" })
            {
                // 4000 bytes of ICMP data: three fragments each way (Linux's and our reply's), reassembled on both sides.
                var ping = peer.Namespace.Exec(TimeSpan.FromSeconds(20), "ping", "-c", "3", "-i", "0.2", "-W", "2", "-s", size, peer.EdsosAddress.ToString());
                output.WriteLine(ping.Stdout.Trim());
                Assert.True(ping.Ok, $"ping -s {size}: {ping.FirstLine}");
                Assert.Contains("3 received", ping.Stdout, StringComparison.Ordinal);
            }

            var rx = await peer.Host.Inet.RxWorker.Ask<Ipv4RxCounters>(InetStackProtocol.GetCounters.Instance, TimeSpan.FromSeconds(5));
            Assert.True(rx.Reassembled >= 3, $"reassembled {rx.Reassembled} datagrams");
        }
        finally
        {
            await LinuxPeerHarness.StopCleanAsync(peer, output);
        }
    }

    [LinuxPeerFact(Tools = ["ping"])]
    public async Task Noise_Ipv6MulticastBroadcastAndIpOptions_IgnoredOrAnsweredNothingBreaks()
    {
        var peer = await LinuxPeerHarness.StartAsync();
        try
        {
            // IPv6 (router solicitations, MLD, a ping to all nodes), a broadcast ping, and pings with IPv4 options
            // (record route, timestamps) and TTL 1: the IPv6 and broadcast frames are dropped silently, the
            // option-carrying pings answered (RFC 1122 3.2.1.8: options are read past; the reply need not carry them).
            peer.Namespace.Exec(TimeSpan.FromSeconds(5), "ping", "-6", "-c", "2", "-i", "0.2", "-W", "1", $"ff02::1%{LinuxNamespace.InterfaceName}");
            peer.Namespace.Exec(TimeSpan.FromSeconds(5), "ping", "-b", "-c", "2", "-i", "0.2", "-W", "1", "198.18.0.255");
            foreach (string[] options in new[] { new[] { "-R" }, ["-T", "tsonly"], ["-t", "1"] })
            {
                var ping = peer.Namespace.Exec(TimeSpan.FromSeconds(10), ["ping", .. options, "-c", "2", "-i", "0.2", "-W", "2", peer.EdsosAddress.ToString()]);
                Assert.True(ping.Ok, $"ping {string.Join(' ', options)}: {ping.FirstLine}");
            }

            var rx = await peer.Host.Inet.RxWorker.Ask<Ipv4RxCounters>(InetStackProtocol.GetCounters.Instance, TimeSpan.FromSeconds(5));
            output.WriteLine(rx.ToString());
            Assert.True(rx.NotForUs + rx.UnknownProtocol > 0, "no IPv6 or multicast frame was seen (and dropped)");
            Assert.Equal(0, rx.Malformed);
        }
        finally
        {
            await LinuxPeerHarness.StopCleanAsync(peer, output);
        }
    }

    [LinuxPeerFact]
    public async Task Udp_LinuxToAClosedPort_OurPortUnreachableReachesItsSocket()
    {
        // RFC 1122 3.2.2.1 / 4.1.3.3: no socket on the port, so we answer ICMP port unreachable; Linux hands it
        // to its connected UDP socket as ECONNREFUSED on the next receive.
        var peer = await LinuxPeerHarness.StartAsync();
        try
        {
            using var socket = LinuxPeerHarness.LinuxSocket(peer, SocketType.Dgram);
            await socket.ConnectAsync(LinuxPeerHarness.Edsos(peer, 5555));
            await socket.SendAsync(new byte[] { 1, 2, 3 }, SocketFlags.None);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            var refused = await Assert.ThrowsAsync<SocketException>(async () => await socket.ReceiveAsync(new byte[16], SocketFlags.None, timeout.Token));
            Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        }
        finally
        {
            await LinuxPeerHarness.StopCleanAsync(peer, output);
        }
    }

    [LinuxPeerFact]
    public async Task UdpEcho_FromLinuxSocket_1To65507Bytes_EachDatagramBackWhole()
    {
        var peer = await LinuxPeerHarness.StartAsync();
        try
        {
            var echo = new EchoServer(peer.Host.StartProcess("echo"), Edsos.SocketService.DataPathMode.ZeroCopy);
            Assert.Equal(Errno.None, await echo.BindAsync(new Ipv4Endpoint(Ipv4Address.Any, 7)));
            Task loop = echo.RunAsync(DemoOptions.MaxUdpPayload);
            using var socket = LinuxPeerHarness.LinuxSocket(peer, SocketType.Dgram);
            byte[] answer = new byte[65536];
            foreach (int size in new[] { 1, 1472, 1473, 65507 })
            {
                byte[] datagram = TcpSockets.Pattern(size, size);
                await socket.SendToAsync(datagram, SocketFlags.None, LinuxPeerHarness.Edsos(peer, 7));
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                var received = await socket.ReceiveFromAsync(answer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), timeout.Token);
                Assert.Equal(size, received.ReceivedBytes);
                Assert.Equal(LinuxPeerHarness.Edsos(peer, 7), received.RemoteEndPoint);
                Assert.True(datagram.AsSpan().SequenceEqual(answer.AsSpan(0, size)), $"the {size}-byte echo differs");
            }

            // Linux may hold the last echo before our sendto returns (zero copy completes the syscall after the
            // NIC's completion): wait for the echo loop to count it, then close.
            var settle = Stopwatch.StartNew();
            while (echo.Echoed < 4 && settle.Elapsed < TimeSpan.FromSeconds(5))
            {
                await Task.Delay(10);
            }

            await echo.CloseAsync();
            await loop;
            Assert.Equal(4, echo.Echoed);

            // The other way: our client to an echo server on Linux sockets, 65507 bytes out and back, fragmented by both.
            using var server = NetnsThread.Run(peer.Namespace.Name, () => LinuxEchoServer.Start(7));
            var app = peer.Host.StartProcess("app");
            int fd = await TwoHosts.UdpSocketAsync(app);
            foreach (int size in new[] { 1, 1473, 65507 })
            {
                var buffer = app.Alloc(size);
                app.WriteBuffer(buffer, 0, TcpSockets.Pattern(size, 3));
                var sent = await app.SendToAsync(fd, buffer.Gva, size, new Ipv4Endpoint(peer.LinuxAddress, 7));
                app.Free(buffer);
                Assert.True(sent.IsOk, $"sendto {size}: {sent.Error}");
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                var back = await app.RecvZeroCopyAsync(fd, cancellationToken: timeout.Token);
                Assert.True(back.IsOk, $"recv {size}: {back.Error}");
                Assert.Equal(size, back.Length);
                Assert.Equal(new Ipv4Endpoint(peer.LinuxAddress, 7), back.From);
                byte[] bytes = new byte[size];
                app.ReadBuffer(back.Buffer!, 0, bytes);
                app.Free(back.Buffer!);
                Assert.Equal(TcpSockets.Pattern(size, 3), bytes);
            }

            await app.CloseAsync(fd);
            await app.ExitAsync();
            var memory = peer.Host.Memory.Counters;
            Assert.Equal(0, memory.PayloadBytesCopied);
        }
        finally
        {
            await LinuxPeerHarness.StopCleanAsync(peer, output);
        }
    }
}
