using Edsos.Driver;
using Edsos.Memory;
using Edsos.Protocol.Wire;
using Akka.Actor;
using Edsos.Scheduler;
using Akka.TestKit;
using Edsos.Testing;

namespace Edsos.Protocol.Tests;

/// <summary>
/// A stack on a real memory manager and runtime, with test probes standing in for the driver (TX and RX
/// workers) and for the socket, and a manual clock. The probe-driver reads each frame through the
/// memory model in its own TS, pops its CTRN and completes it, as the real driver would.
/// </summary>
public abstract class InetSpecBase : EdsrtTestKit
{
    protected static readonly MacAddress OurMac = MacAddress.Parse("02:00:00:00:00:01");
    protected static readonly MacAddress PeerMac = MacAddress.Parse("02:00:00:00:00:02");
    protected static readonly MacAddress GatewayMac = MacAddress.Parse("02:00:00:00:00:fe");
    protected static readonly Ipv4Address OurIp = Ipv4Address.Parse("10.0.0.1");
    protected static readonly Ipv4Address PeerIp = Ipv4Address.Parse("10.0.0.2");
    protected static readonly Ipv4Address GatewayIp = Ipv4Address.Parse("10.0.0.254");
    protected static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(300);

    private readonly List<Capability> _userBuffers = new();

    protected InetSpecBase()
        : base(new EdsrtTestKitOptions
        {
            UseTestScheduler = true,
            DefaultTimeout = TimeSpan.FromSeconds(15),
            ConfigureSystem = system => system.PrivateMemoryPages = 4096,
        })
    {
        DriverTx = CreateTestProbe("driver-tx");
        DriverRx = CreateTestProbe("driver-rx");
        Socket = CreateTestProbe("socket");
        DriverTs = Memory.CreateTs("/drivers/net/probe0").Unwrap();
        UserTs = Memory.CreateTs("/user_proc/app").Unwrap();
        SocketTs = Memory.CreateTs("/net/sockets/sock_1").Unwrap();
    }

    protected MemoryManager Memory => Sys.Memory;

    protected TestScheduler Clock => TestScheduler!;

    protected TestProbe DriverTx { get; }

    protected TestProbe DriverRx { get; }

    protected TestProbe Socket { get; }

    protected TsId DriverTs { get; }

    protected TsId UserTs { get; }

    protected TsId SocketTs { get; }

    protected InetStackHandle Stack { get; private set; } = null!;

    /// <summary>Free descriptors the probe-driver reports in completions.</summary>
    protected int RingSize { get; set; } = 256;

    /// <summary>Starts the stack (no start-up ARP unless <paramref name="configure"/> asks) and attaches the probes; <paramref name="credit"/> null withholds the TX credit.</summary>
    protected void StartStack(Func<InetStackOptions, InetStackOptions>? configure = null, int? credit = 256)
    {
        var options = new InetStackOptions
        {
            Mac = OurMac,
            Address = Ipv4Cidr.Parse("10.0.0.1/24"),
            AnnounceOnStart = false,
            ProbeGatewayOnStart = false,
        };
        options = configure?.Invoke(options) ?? options;
        Stack = InetStack.Start(Sys, options, DriverTx.Ref, DriverRx.Ref, DriverTs);
        var attach = DriverTx.ExpectMsg<DriverProtocol.AttachTx>();
        Assert.Equal(Stack.Qdisc, attach.Client);
        if (credit is int free)
        {
            RingSize = free;
            GiveCredit(free);
        }

        var rx = DriverRx.ExpectMsg<DriverProtocol.AttachRx>();
        Assert.Equal(Stack.RxTs, rx.HandlerTs);
        Assert.Equal(Stack.RxWorker, rx.Handler);
    }

    protected void GiveCredit(int free) => Stack.Qdisc.Tell(new DriverProtocol.TxCredit(free), DriverTx.Ref);

    /// <summary>An app buffer holding <paramref name="data"/> in the user TS, shared into the transmit TS as the socket would.</summary>
    protected Capability SharePayload(byte[] data, out Capability userBuffer)
    {
        userBuffer = Memory.Push(UserTs, "buf", data.Length).Unwrap();
        _userBuffers.Add(userBuffer);
        Memory.Write(UserTs, userBuffer, 0, data, CopyKind.Payload).ThrowIfFailed();
        var info = Memory.Inspect(UserTs, userBuffer).Unwrap();
        return Memory.CtShare(UserTs, userBuffer, info.Gva, data.Length, Stack.TxTs, "send_q/1", Rights.Read | Rights.Share | Rights.Map).Unwrap();
    }

    protected Capability SharePayload(byte[] data) => SharePayload(data, out _);

    protected void SendUdp(ulong requestId, Capability payload, int length, Ipv4Endpoint source, Ipv4Endpoint destination) =>
        Stack.UdpTx.Tell(new InetProtocol.XmitRequest(
            RequestId: requestId,
            Payload: payload,
            Length: length,
            Source: source,
            Destination: destination,
            ReplyTo: Socket.Ref), Socket.Ref);

    protected void SendUdp(ulong requestId, byte[] data, Ipv4Address destination, ushort destinationPort = 9000, ushort sourcePort = 5000) =>
        SendUdp(requestId, SharePayload(data), data.Length, new Ipv4Endpoint(Ipv4Address.Any, sourcePort), new Ipv4Endpoint(destination, destinationPort));

    protected DriverProtocol.XmitSkbEvent ExpectFrame() => DriverTx.ExpectMsg<DriverProtocol.XmitSkbEvent>();

    /// <summary>Reads a frame the way the driver's TX worker would see it: through the memory model, in the driver's TS.</summary>
    protected byte[] ReadFrame(DriverProtocol.XmitSkbEvent xmit)
    {
        var bytes = new byte[xmit.Length];
        Memory.Read(DriverTs, xmit.Skb, 0, bytes, CopyKind.Metadata).ThrowIfFailed();
        return bytes;
    }

    /// <summary>Pops the driver's CTRN and tells the qdisc the frame completed.</summary>
    protected void Complete(DriverProtocol.XmitSkbEvent xmit, TxStatus status = TxStatus.Sent)
    {
        Memory.Pop(DriverTs, xmit.Skb).ThrowIfFailed();
        xmit.ReplyTo.Tell(new DriverProtocol.SendCompleteEvent(xmit.Token, xmit.Length, status, RingSize), DriverTx.Ref);
    }

    /// <summary>Takes the next frame, reads it and completes it.</summary>
    protected byte[] TakeFrame()
    {
        var xmit = ExpectFrame();
        var bytes = ReadFrame(xmit);
        Complete(xmit);
        return bytes;
    }

    /// <summary>Delivers <paramref name="frame"/> as the driver's RX worker would: an RX buffer in the driver TS shared into the receive TS.</summary>
    protected void Deliver(byte[] frame, RxChecksum checksum = RxChecksum.None)
    {
        var buffer = Memory.Push(DriverTs, "rx_ring/buf", frame.Length).Unwrap();
        Memory.Write(DriverTs, buffer, 0, frame, CopyKind.Metadata).ThrowIfFailed();
        var info = Memory.Inspect(DriverTs, buffer).Unwrap();
        var shared = Memory.CtShare(DriverTs, buffer, info.Gva, frame.Length, Stack.RxTs, "rx/frame", Rights.Read | Rights.Share | Rights.Map).Unwrap();
        Memory.Pop(DriverTs, buffer).ThrowIfFailed();
        Stack.RxWorker.Tell(new DriverProtocol.FrameReceivedEvent(shared, frame.Length, checksum), DriverRx.Ref);
    }

    /// <summary>The peer ARPs for us: the stack learns it (RFC 826 merge) and answers; the reply is checked and completed.</summary>
    protected void LearnNeighbour(Ipv4Address address, MacAddress mac)
    {
        Deliver(TestFrames.Arp(MacAddress.Broadcast, mac, ArpRepr.Request(mac, address, OurIp)));
        var (eth, arp) = TestFrames.ParseArp(TakeFrame());
        Assert.Equal(mac, eth.Destination);
        Assert.Equal(ArpOperation.Reply, arp.Operation);
        Assert.Equal(OurIp, arp.SenderProtocolAddress);
        Assert.Equal(OurMac, arp.SenderHardwareAddress);
    }

    protected InetProtocol.BindReply Bind(ushort port, Ipv4Address? address = null)
    {
        Stack.Family.Tell(new InetProtocol.BindRequest((int)IpProtocol.Udp, new Ipv4Endpoint(address ?? Ipv4Address.Any, port), Socket.Ref, SocketTs), Socket.Ref);
        return Socket.ExpectMsg<InetProtocol.BindReply>();
    }

    protected Task<T> CountersAsync<T>(IActorRef actor) => actor.Ask<T>(InetStackProtocol.GetCounters.Instance, TimeSpan.FromSeconds(15));

    /// <summary>How a delivered node reached the socket: UDP shares it (a CTRN of the RX buffer it arrived in).</summary>
    protected virtual void AssertHandedToSocket(NodeInfo info) => Assert.True(info.IsCtrn);

    /// <summary>Reads a delivered datagram in the socket's TS and pops it, as the socket would.</summary>
    protected byte[] Consume(InetProtocol.DatagramReceivedEvent received)
    {
        var bytes = new byte[received.Length];
        if (received.Length > 0)
        {
            var info = Memory.Inspect(SocketTs, received.Payload).Unwrap();
            Assert.Equal(SocketTs, info.Owner);
            AssertHandedToSocket(info);
            Memory.Read(SocketTs, received.Payload, 0, bytes, CopyKind.Metadata).ThrowIfFailed();
            Memory.Pop(SocketTs, received.Payload).ThrowIfFailed();
        }

        return bytes;
    }

    /// <summary>Stops the stack, pops the app's buffers and asserts that nothing in the arena is left.</summary>
    protected async Task StopAndAssertNoLeakAsync()
    {
        await InetStack.StopAsync(Sys, Stack);

        // The probe stands in for the driver, and a stopping driver completes every frame it still holds (NicDriver
        // does): a frame the stack sent that the spec did not take (a late ACK) is popped here, not counted a leak.
        while (DriverTx.HasMessages)
        {
            if (DriverTx.ReceiveOne(TimeSpan.Zero) is DriverProtocol.XmitSkbEvent xmit)
            {
                Memory.Pop(DriverTs, xmit.Skb);
            }
        }

        foreach (var buffer in _userBuffers)
        {
            Memory.Pop(UserTs, buffer);
        }

        var report = Memory.GetLeakReport();
        Assert.True(report.IsClean, report.ToString());
    }
}
