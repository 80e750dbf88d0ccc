using Edsos.Driver;
using Edsos.Driver.Wires;
using Edsos.Protocol;
using Edsos.Scenarios.Tests.Wires;

namespace Edsos.Scenarios.Tests;

/// <summary>
/// Two hosts with large frames and an MTU of 65535, as over Linux's loopback (what <c>bench datapath</c> runs): the
/// largest UDP datagram crosses the wire as one frame, unfragmented, and arrives whole.
/// </summary>
public sealed class UdpLargeFrameSpec
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task SendTo_65507BytesWithLargeFramesAndMtu65535_OneFrameOnTheWireDatagramWholeNothingLeaked()
    {
        // Arrange
        var (wireA, wireB) = LoopbackWire.CreatePair();
        var watchA = new FrameSizeWire(wireA);
        await using var hosts = await TwoHosts.StartAsync(watchA, wireB, o => o with { LargeFrames = true, Mtu = ushort.MaxValue, ArenaPages = 4096 });
        var server = hosts.B.StartProcess("server");
        int serverFd = await TwoHosts.UdpSocketAsync(server, 9000);
        var client = hosts.A.StartProcess("client");
        int clientFd = await TwoHosts.UdpSocketAsync(client);
        const int size = 65507;
        var pattern = TcpSockets.Pattern(size, 31);
        var buffer = client.Alloc(size);
        Assert.Equal(Errno.None, client.WriteBuffer(buffer, 0, pattern));

        // Act
        var receive = server.RecvZeroCopyAsync(serverFd).AsTask();
        var sent = await client.SendToAsync(clientFd, buffer.Gva, size, new Ipv4Endpoint(TwoHosts.AddressB, 9000)).AsTask().WaitAsync(s_wait);
        var got = await receive.WaitAsync(s_wait);

        // Assert: one frame of Ethernet + IPv4 + UDP + payload, and the bytes as written.
        Assert.True(sent.IsOk, $"sendto: {sent.Error}");
        Assert.True(got.IsOk, $"recv: {got.Error}");
        Assert.Equal(size, got.Length);
        var back = new byte[size];
        Assert.Equal(Errno.None, server.ReadBuffer(got.Buffer!, 0, back));
        Assert.Equal(pattern, back);
        Assert.Equal(14 + 20 + 8 + size, watchA.Longest);
        var nicB = await NicDriver.GetStatisticsAsync(hosts.B.Nic);
        Assert.Equal(0, nicB.RxMissed);

        Assert.Equal(Errno.None, server.Free(got.Buffer!));
        Assert.Equal(Errno.None, client.Free(buffer));
        Assert.Equal(0, hosts.A.Memory.Counters.PayloadBytesCopied);
        await TcpSockets.StopAndAssertNoLeaksAsync(hosts, s_wait);
    }
}
