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
    [LinuxPeerFact]
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

    [LinuxPeerFact]
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

            await echo.CloseAsync();
            await loop;
            Assert.Equal(4, echo.Echoed);
            var memory = peer.Host.Memory.Counters;
            Assert.Equal(0, memory.PayloadBytesCopied);
        }
        finally
        {
            await LinuxPeerHarness.StopCleanAsync(peer, output);
        }
    }
}
