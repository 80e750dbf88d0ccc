using Edsos.Driver;
using Edsos.Memory;
using Edsos.Protocol;
using Edsos.Protocol.Ipv4;
using Edsos.Protocol.Qdisc;
using Akka.Actor;
using Edsos.Scheduler;
using Akka.TestKit;
using Edsos.Testing;
using Edsos.SocketService;

namespace Edsos.Scenarios.Tests;

/// <summary>
/// One <c>send()</c> walked through the five stages of seed 000 on a real host, and one receive
/// through its dual: a probe is told every event each node handles and every memory operation, in
/// the order they happen, and the spec fishes for them stage by stage.
/// </summary>
public sealed class SendPathSpec : EdsrtTestKit
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Send_OneDatagram_WalksTheFiveStagesInOrder()
    {
        // Arrange: a bound receiver on B, and one send first so ARP is resolved before the walk.
        await using var hosts = await TwoHosts.StartAsync();
        var receiver = hosts.B.StartProcess("sink");
        await TwoHosts.UdpSocketAsync(receiver, 9);
        var app = hosts.A.StartProcess("app");
        int fd = await TwoHosts.UdpSocketAsync(app);
        var buffer = app.Alloc(1000);
        var destination = new Ipv4Endpoint(TwoHosts.AddressB, 9);
        Assert.True((await app.SendToAsync(fd, buffer.Gva, 1000, destination)).IsOk);
        var userPage = hosts.A.Memory.Inspect(app.Ts, buffer.Cap).Unwrap().Extents[0];

        var events = CreateTestProbe("events");
        var ops = CreateTestProbe("ops");
        using var deliveries = hosts.A.System.ObserveDeliveries(d => events.Tell(d));
        using var journal = hosts.A.Memory.Observe(r => ops.Tell(r));

        // Act
        var sent = await app.SendToAsync(fd, buffer.Gva, 1000, destination);

        // Assert: the call returns the byte count (stage 5).
        Assert.True(sent.IsOk, $"sendto: {sent.Error}");
        Assert.Equal(1000, sent.Value);

        // Stage 1: the KPN shares the user's buffer under the socket's send_q (the TLB check passed).
        var share = ops.FishForMessage<MemoryOpRecord>(r => r.Op == MemoryOp.CtShare, s_wait);
        Assert.Equal(app.Ts, share.Caller);
        Assert.Matches(@"^/net/sockets/sock_0x[0-9A-F]+/send_q/\d+$", share.Path);
        Assert.Equal(2, share.RefCount);

        // Stage 2: the socket node is scheduled by send_req_event and hands the CTRN to the UDP worker.
        var sendReq = Next<SocketProtocol.SendReqEvent>(events);
        Assert.StartsWith("/net/sockets/sock_0x", TsPath(hosts.A, sendReq.RecipientTs));
        var toWorker = ops.FishForMessage<MemoryOpRecord>(r => r.Op == MemoryOp.CtShare, s_wait);
        Assert.StartsWith("/net/ipv4/tx/", toWorker.Path);
        Assert.Equal(3, toWorker.RefCount);
        Assert.Equal("/net/ipv4/tx", TsPath(hosts.A, Next<InetProtocol.XmitRequest>(events).RecipientTs));

        // Stage 3: header space pushed and merged with the payload into the skb, queued to the qdisc.
        var header = ops.FishForMessage<MemoryOpRecord>(r => r.Op == MemoryOp.Push, s_wait);
        Assert.StartsWith("/net/ipv4/tx/", header.Path);
        Next<Ipv4Protocol.IpQueueXmit>(events);
        var skb = ops.FishForMessage<MemoryOpRecord>(r => r.Op == MemoryOp.Merge, s_wait);
        Assert.Equal(1000 + 42, skb.Length);
        Next<QdiscProtocol.DevQueueXmit>(events);

        // Stage 4: the skb is shared into the driver, pinned for DMA, sent, unpinned and popped.
        var toDriver = ops.FishForMessage<MemoryOpRecord>(r => r.Op == MemoryOp.CtShare, s_wait);
        Assert.StartsWith("/drivers/net/eth0/", toDriver.Path);
        var xmit = Next<DriverProtocol.XmitSkbEvent>(events);
        Assert.Equal("/drivers/net/eth0", TsPath(hosts.A, xmit.RecipientTs));
        Assert.Equal(1000 + 42, ((DriverProtocol.XmitSkbEvent)xmit.Message).Length);
        ops.FishForMessage<MemoryOpRecord>(r => r.Op == MemoryOp.Pin && r.Path == toDriver.Path, s_wait);
        ops.FishForMessage<MemoryOpRecord>(r => r.Op == MemoryOp.Unpin, s_wait);
        ops.FishForMessage<MemoryOpRecord>(r => r.Op == MemoryOp.Pop && r.Path == toDriver.Path, s_wait);
        var complete = Next<DriverProtocol.SendCompleteEvent>(events);
        Assert.Equal(TxStatus.Sent, ((DriverProtocol.SendCompleteEvent)complete.Message).Status);

        // Completion chain: skb popped by the stack, the send_q CTRN by the socket, send_resp_event to the KPN.
        ops.FishForMessage<MemoryOpRecord>(r => r.Op == MemoryOp.Pop && r.Path == skb.Path, s_wait);
        Next<Ipv4Protocol.IpXmitComplete>(events);
        var popped = ops.FishForMessage<MemoryOpRecord>(r => r.Op == MemoryOp.Pop && r.Path == share.Path, s_wait);
        Assert.Equal(1, popped.RefCount); // only the user's own buffer still holds the page
        var resp = Next<SocketProtocol.SendRespEvent>(events);
        Assert.Equal(1000, ((SocketProtocol.SendRespEvent)resp.Message).Bytes);
        Assert.EndsWith("/sysagent/kpn", TsPath(hosts.A, resp.RecipientTs));

        // Zero copy: the CPU copied no payload byte, and the user's page is still the user's.
        Assert.Equal(0, hosts.A.Memory.Counters.PayloadBytesCopied);
        Assert.Equal(userPage, hosts.A.Memory.Inspect(app.Ts, buffer.Cap).Unwrap().Extents[0]);
    }

    [Fact]
    public async Task Receive_OneDatagram_WalksTheDualInOrder()
    {
        await using var hosts = await TwoHosts.StartAsync();
        var app = hosts.B.StartProcess("app");
        int fd = await TwoHosts.UdpSocketAsync(app, 9);
        var sender = hosts.A.StartProcess("sender");
        int senderFd = await TwoHosts.UdpSocketAsync(sender);
        var buffer = sender.Alloc(700);
        sender.WriteBuffer(buffer, 0, Enumerable.Range(0, 700).Select(i => (byte)i).ToArray());

        var events = CreateTestProbe("events");
        var ops = CreateTestProbe("ops");
        using var deliveries = hosts.B.System.ObserveDeliveries(d => events.Tell(d));
        using var journal = hosts.B.Memory.Observe(r => ops.Tell(r));

        var pending = app.RecvZeroCopyAsync(fd).AsTask();
        Assert.True((await sender.SendToAsync(senderFd, buffer.Gva, 700, new Ipv4Endpoint(TwoHosts.AddressB, 9))).IsOk);
        var received = await pending.WaitAsync(s_wait);

        Assert.True(received.IsOk, $"recv: {received.Error}");
        Assert.Equal(700, received.Length);
        Assert.Equal(TwoHosts.AddressA, received.From.Address);

        // The driver shares the frame the NIC DMA-wrote up to the IPv4 receive worker (ARP frames
        // come first: B learns A's address from A's request; the datagram's frame is 42 + 700 bytes).
        var frame = ops.FishForMessage<MemoryOpRecord>(
            r => r.Op == MemoryOp.CtShare && r.Path.StartsWith("/net/ipv4/rx/", StringComparison.Ordinal) && r.Length == 742, s_wait);
        var frameEvent = events.FishForMessage<MessageDelivery>(d => d.Message is DriverProtocol.FrameReceivedEvent { Length: 742 }, s_wait);
        Assert.Equal("/net/ipv4/rx", TsPath(hosts.B, frameEvent.RecipientTs));
        // The worker shares the payload's byte range with the socket: one ct_share of the range, the frame not divided.
        var toSocket = ops.FishForMessage<MemoryOpRecord>(
            r =>
            {
                Assert.False(r.Op == MemoryOp.Divide && r.Path.StartsWith(frame.Path, StringComparison.Ordinal), "the frame was divided");
                return r.Op == MemoryOp.CtShare && r.Path.StartsWith("/net/sockets/", StringComparison.Ordinal);
            },
            s_wait);
        Assert.Equal(700, toSocket.Length);
        Assert.StartsWith("/net/sockets/sock_0x", TsPath(hosts.B, Next<InetProtocol.DatagramReceivedEvent>(events).RecipientTs));
        // The socket grants the node to the user TS (the KPN maps it): the app reads the NIC's own page.
        var grant = ops.FishForMessage<MemoryOpRecord>(r => r.Op == MemoryOp.Grant, s_wait);
        Assert.Equal(app.Ts, grant.Owner);
        Assert.EndsWith("/sysagent/kpn", TsPath(hosts.B, Next<SocketProtocol.RecvRespEvent>(events).RecipientTs));

        byte[] bytes = new byte[700];
        Assert.Equal(Errno.None, app.ReadBuffer(received.Buffer!, 0, bytes));
        Assert.Equal(Enumerable.Range(0, 700).Select(i => (byte)i).ToArray(), bytes);
        Assert.Equal(0, hosts.B.Memory.Counters.PayloadBytesCopied);
        // Read-only for the app: a write through the mapping is refused.
        Assert.NotEqual(Errno.None, app.WriteBuffer(received.Buffer!, 0, new byte[1]));
    }

    private MessageDelivery Next<T>(TestProbe events) =>
        events.FishForMessage<MessageDelivery>(d => d.Message is T, s_wait);

    private static string TsPath(Edsos.Host.EdsosHost host, TsId ts) => host.Memory.GetTs(ts).Path;
}
