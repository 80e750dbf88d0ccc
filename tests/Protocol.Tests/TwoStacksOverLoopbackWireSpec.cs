using Edsos.Protocol.Ipv4;
using Edsos.Driver;
using Edsos.Memory;
using Edsos.Protocol.Wire;
using Akka.Actor;
using Edsos.Scheduler;
using Akka.TestKit;
using Edsos.Testing;

namespace Edsos.Protocol.Tests;

/// <summary>
/// Two stacks on two virtual NICs joined by a loopback wire, real drivers in between, real time:
/// ARP resolves over the wire, UDP echo and ping work both ways, fragments reassemble, and after an
/// orderly stop of NICs and stacks the arena holds nothing.
/// </summary>
public sealed class TwoStacksOverLoopbackWireSpec : EdsrtTestKit
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private static readonly Ipv4Address AddressA = Ipv4Address.Parse("10.0.0.1");
    private static readonly Ipv4Address AddressB = Ipv4Address.Parse("10.0.0.2");

    public TwoStacksOverLoopbackWireSpec()
        : base(new EdsrtTestKitOptions { DefaultTimeout = Wait, ConfigureSystem = system => system.PrivateMemoryPages = 8192 })
    {
    }

    private MemoryManager Memory => Sys.Memory;

    [Fact]
    public async Task UdpEchoPingAndFragments_OverTheWire_ByteExactAndLeakFree()
    {
        var (nicA, nicB) = await NicDriver.StartPairAsync(Sys, new NicOptions { Name = "nic-a" }, new NicOptions { Name = "nic-b" }, Wait);
        var stackA = InetStack.Start(Sys, Options("02:00:00:00:0a:01", "10.0.0.1/24", "a"), nicA.TxWorker, nicA.RxWorker, nicA.DriverTs);
        var stackB = InetStack.Start(Sys, Options("02:00:00:00:0b:02", "10.0.0.2/24", "b"), nicB.TxWorker, nicB.RxWorker, nicB.DriverTs);
        var socketA = CreateTestProbe("socket-a");
        var socketB = CreateTestProbe("socket-b");
        var socketTsA = Memory.CreateTs("/net/sockets/a_1").Unwrap();
        var socketTsB = Memory.CreateTs("/net/sockets/b_1").Unwrap();
        var userTs = Memory.CreateTs("/user_proc/client").Unwrap();
        Bind(stackA, socketA, socketTsA, 5000);
        Bind(stackB, socketB, socketTsB, 7);

        // A → B: the first datagram waits for ARP over the wire, then arrives byte-exact.
        var request = TestFrames.Pattern(512, seed: 4);
        var buffer = Memory.Push(userTs, "buf", request.Length).Unwrap();
        Memory.Write(userTs, buffer, 0, request, CopyKind.Payload).ThrowIfFailed();
        var info = Memory.Inspect(userTs, buffer).Unwrap();
        var shared = Memory.CtShare(userTs, buffer, info.Gva, request.Length, stackA.TxTs, "send_q/1", Rights.Read | Rights.Share | Rights.Map).Unwrap();
        long payloadCopied = Memory.Counters.PayloadBytesCopied;
        stackA.UdpTx.Tell(new InetProtocol.XmitRequest(
            RequestId: 1,
            Payload: shared,
            Length: request.Length,
            Source: new Ipv4Endpoint(Ipv4Address.Any, 5000),
            Destination: new Ipv4Endpoint(AddressB, 7),
            ReplyTo: socketA.Ref));

        var atB = socketB.ExpectMsg<InetProtocol.DatagramReceivedEvent>();
        Assert.Equal(new Ipv4Endpoint(AddressA, 5000), atB.From);
        Assert.Equal(request, Read(socketTsB, atB));
        Assert.Equal(new Ipv4Protocol.IpXmitComplete(1, 512, Errno.None), socketA.ExpectMsg<Ipv4Protocol.IpXmitComplete>());
        Assert.Equal(payloadCopied, Memory.Counters.PayloadBytesCopied);

        // B echoes the received node itself back (seed 002's UDP echo), zero copy on both ends.
        var echo = Memory.Inspect(socketTsB, atB.Payload).Unwrap();
        var reshared = Memory.CtShare(socketTsB, atB.Payload, echo.Gva, atB.Length, stackB.TxTs, "send_q/1", Rights.Read | Rights.Share | Rights.Map).Unwrap();
        Memory.Pop(socketTsB, atB.Payload).ThrowIfFailed();
        stackB.UdpTx.Tell(new InetProtocol.XmitRequest(
            RequestId: 2,
            Payload: reshared,
            Length: atB.Length,
            Source: new Ipv4Endpoint(AddressB, 7),
            Destination: atB.From,
            ReplyTo: socketB.Ref));
        var atA = socketA.ExpectMsg<InetProtocol.DatagramReceivedEvent>();
        Assert.Equal(request, Read(socketTsA, atA));
        Memory.Pop(socketTsA, atA.Payload).ThrowIfFailed();
        Assert.Equal(Errno.None, socketB.ExpectMsg<Ipv4Protocol.IpXmitComplete>().Error);

        // A fragmented datagram crosses the wire and is reassembled by merging the fragments' nodes.
        var large = TestFrames.Pattern(6000, seed: 9);
        var largeBuffer = Memory.Push(userTs, "big", large.Length).Unwrap();
        Memory.Write(userTs, largeBuffer, 0, large, CopyKind.Payload).ThrowIfFailed();
        var largeInfo = Memory.Inspect(userTs, largeBuffer).Unwrap();
        var largeShared = Memory.CtShare(userTs, largeBuffer, largeInfo.Gva, large.Length, stackA.TxTs, "send_q/2", Rights.Read | Rights.Share | Rights.Map).Unwrap();
        stackA.UdpTx.Tell(new InetProtocol.XmitRequest(
            RequestId: 3,
            Payload: largeShared,
            Length: large.Length,
            Source: new Ipv4Endpoint(Ipv4Address.Any, 5000),
            Destination: new Ipv4Endpoint(AddressB, 7),
            ReplyTo: socketA.Ref));
        var largeAtB = socketB.ExpectMsg<InetProtocol.DatagramReceivedEvent>();
        Assert.Equal(large, Read(socketTsB, largeAtB));
        Memory.Pop(socketTsB, largeAtB.Payload).ThrowIfFailed();
        Assert.Equal(Errno.None, socketA.ExpectMsg<Ipv4Protocol.IpXmitComplete>().Error);

        // Ping both ways.
        stackA.Icmp.Tell(new InetProtocol.PingRequest(AddressB, 1, 56, Wait), TestActor);
        var pongAB = ExpectMsg<InetProtocol.PingReply>();
        Assert.Equal((Errno.None, AddressB, (byte)64), (pongAB.Error, pongAB.From, pongAB.Ttl));
        stackB.Icmp.Tell(new InetProtocol.PingRequest(AddressA, 2, 1000, Wait), TestActor);
        var pongBA = ExpectMsg<InetProtocol.PingReply>();
        Assert.Equal((Errno.None, AddressA), (pongBA.Error, pongBA.From));

        var statisticsB = await stackB.GetStatisticsAsync();
        Assert.Equal(0, statisticsB.Rx.BadUdpChecksum + statisticsB.Rx.BadIpChecksum + statisticsB.Rx.Truncated);
        Assert.Equal(1, statisticsB.Rx.Reassembled);

        await NicDriver.StopAsync(Sys, nicA, Wait);
        await NicDriver.StopAsync(Sys, nicB, Wait);
        await InetStack.StopAsync(Sys, stackA, Wait);
        await InetStack.StopAsync(Sys, stackB, Wait);
        Memory.Pop(userTs, buffer).ThrowIfFailed();
        Memory.Pop(userTs, largeBuffer).ThrowIfFailed();
        var report = Memory.GetLeakReport();
        Assert.True(report.IsClean, report.ToString());
    }

    /// <summary>A stack named <paramref name="name"/> with its own TS root and actor names (two stacks share one system).</summary>
    internal static InetStackOptions Options(string mac, string cidr, string name) => new()
    {
        Mac = MacAddress.Parse(mac),
        Address = Ipv4Cidr.Parse(cidr),
        TsRoot = $"/net/{name}/ipv4",
        ActorNamePrefix = "inet-" + name,
    };

    private static void Bind(InetStackHandle stack, TestProbe socket, TsId socketTs, ushort port)
    {
        stack.Family.Tell(new InetProtocol.BindRequest((int)IpProtocol.Udp, new Ipv4Endpoint(Ipv4Address.Any, port), socket.Ref, socketTs), socket.Ref);
        Assert.Equal(Errno.None, socket.ExpectMsg<InetProtocol.BindReply>().Error);
    }

    private byte[] Read(TsId socketTs, InetProtocol.DatagramReceivedEvent received)
    {
        var bytes = new byte[received.Length];
        Memory.Read(socketTs, received.Payload, 0, bytes, CopyKind.Metadata).ThrowIfFailed();
        return bytes;
    }
}
