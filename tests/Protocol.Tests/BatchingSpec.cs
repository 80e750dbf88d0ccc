using Edsos.Driver;
using Edsos.Memory;
using Edsos.Protocol.Ipv4;
using Edsos.Protocol.Qdisc;
using Edsos.Protocol.Wire;
using Akka.Actor;

namespace Edsos.Protocol.Tests;

/// <summary>
/// Batching below the socket (<see cref="InetStackOptions.Batching"/>): a socket's batch of sends crosses the UDP worker,
/// IPv4 and the qdisc as one event per hop and reaches the driver as one <see cref="DriverBatchProtocol.XmitSkbBatchEvent"/>;
/// the driver's batch of completions comes back up as one event per hop; a NAPI poll's frames reach the socket as one
/// <see cref="InetProtocol.DatagramReceivedBatchEvent"/>. Real stack and memory; probes for the driver and the socket.
/// </summary>
public sealed class BatchingSpec : InetSpecBase
{
    private const int Datagrams = 5;

    [Fact]
    public async Task XmitBatchRequest_BatchingOn_OneDriverBatchThenOneCompletionBatch()
    {
        StartStack(o => o with { Batching = true });
        LearnNeighbour(PeerIp, PeerMac);

        Stack.UdpTx.Tell(SendBatch(out var payloads), Socket.Ref);

        var frames = DriverTx.ExpectMsg<DriverBatchProtocol.XmitSkbBatchEvent>();
        Assert.Equal(Datagrams, frames.Count);
        var completions = DriverBatchProtocol.SendCompleteBatchEvent.Rent();
        for (int i = 0; i < frames.Count; i++)
        {
            var parsed = TestFrames.ParseIpv4(ReadFrame(frames[i]));
            var (udp, data, _) = TestFrames.ParseUdp(parsed.IpPayload, OurIp, PeerIp);
            Assert.Equal((ushort)(7000 + i), udp.DestinationPort);
            Assert.Equal(payloads[i], data);
            Memory.Pop(DriverTs, frames[i].Skb).ThrowIfFailed();
            completions.Add(DriverProtocol.SendCompleteEvent.Rent(frames[i].Token, frames[i].Length, TxStatus.Sent, RingSize));
        }

        Stack.Qdisc.Tell(completions, DriverTx.Ref);

        var done = Socket.ExpectMsg<Ipv4Protocol.IpXmitCompleteBatch>();
        Assert.Equal(Datagrams, done.Count);
        for (int i = 0; i < Datagrams; i++)
        {
            Assert.Equal(new Ipv4Protocol.IpXmitComplete((ulong)(100 + i), 64 + i, Errno.None), done[i]);
        }

        Socket.ExpectNoMsg(Quiet);
        var qdisc = await CountersAsync<QdiscCounters>(Stack.Qdisc);
        // The datagrams' frames and the ARP reply LearnNeighbour took.
        Assert.Equal((Datagrams + 1, Datagrams + 1), (qdisc.Transmitted, qdisc.Completed));
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task XmitBatchRequest_BatchingOff_OneEventPerFrameAndPerCompletion()
    {
        StartStack();
        LearnNeighbour(PeerIp, PeerMac);

        Stack.UdpTx.Tell(SendBatch(out _), Socket.Ref);

        for (int i = 0; i < Datagrams; i++)
        {
            Complete(ExpectFrame());
        }

        for (int i = 0; i < Datagrams; i++)
        {
            var done = Socket.ExpectMsg<Ipv4Protocol.IpXmitComplete>();
            Assert.Equal(((ulong)(100 + i), Errno.None), (done.RequestId, done.Error));
        }

        DriverTx.ExpectNoMsg(Quiet);
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task FrameReceivedBatch_DatagramsForOneSocket_OneDatagramBatchInOrder()
    {
        StartStack(o => o with { Batching = true });
        Assert.Equal(Errno.None, Bind(7).Error);

        var batch = DriverBatchProtocol.FrameReceivedBatchEvent.Rent();
        for (int i = 0; i < 3; i++)
        {
            batch.Add(ToFrame(TestFrames.Udp(OurMac, PeerMac, PeerIp, OurIp, (ushort)(3000 + i), 7, TestFrames.Pattern(40 + i, i))));
        }

        // A frame for no socket in the middle: answered with port unreachable, the socket's batch is unaffected.
        batch.Add(ToFrame(TestFrames.Udp(OurMac, PeerMac, PeerIp, OurIp, 3999, 9999, TestFrames.Pattern(8))));
        Stack.RxWorker.Tell(batch, DriverRx.Ref);

        var received = Socket.ExpectMsg<InetProtocol.DatagramReceivedBatchEvent>();
        Assert.Equal(3, received.Count);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(new Ipv4Endpoint(PeerIp, (ushort)(3000 + i)), received[i].From);
            Assert.Equal(TestFrames.Pattern(40 + i, i), Consume(received[i]));
        }

        Socket.ExpectNoMsg(Quiet);
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task FrameReceivedBatch_Quiesced_EveryFrameReleased()
    {
        StartStack(o => o with { Batching = true });
        Bind(7);
        await Stack.RxWorker.Ask<InetStackProtocol.Quiesced>(InetStackProtocol.Quiesce.Instance, TimeSpan.FromSeconds(15));

        var batch = DriverBatchProtocol.FrameReceivedBatchEvent.Rent();
        for (int i = 0; i < 3; i++)
        {
            batch.Add(ToFrame(TestFrames.Udp(OurMac, PeerMac, PeerIp, OurIp, 3000, 7, TestFrames.Pattern(40))));
        }

        Stack.RxWorker.Tell(batch, DriverRx.Ref);

        Socket.ExpectNoMsg(Quiet);
        await StopAndAssertNoLeakAsync();
    }

    /// <summary>A batch of <see cref="Datagrams"/> sends to the peer, request ids 100.., ports 7000.., 64.. bytes each.</summary>
    private InetProtocol.XmitBatchRequest SendBatch(out List<byte[]> payloads)
    {
        payloads = new List<byte[]>();
        var batch = InetProtocol.XmitBatchRequest.Rent();
        for (int i = 0; i < Datagrams; i++)
        {
            var data = TestFrames.Pattern(64 + i, i);
            payloads.Add(data);
            batch.Add(InetProtocol.XmitRequest.Rent(
                requestId: (ulong)(100 + i),
                payload: SharePayload(data),
                length: data.Length,
                source: new Ipv4Endpoint(Ipv4Address.Any, 5000),
                destination: new Ipv4Endpoint(PeerIp, (ushort)(7000 + i)),
                replyTo: Socket.Ref));
        }

        return batch;
    }

    /// <summary>A frame as the driver would hand it up: an RX buffer shared into the receive TS.</summary>
    private DriverProtocol.FrameReceivedEvent ToFrame(byte[] frame)
    {
        var buffer = Memory.Push(DriverTs, "rx_ring/buf", frame.Length).Unwrap();
        Memory.Write(DriverTs, buffer, 0, frame, CopyKind.Metadata).ThrowIfFailed();
        var info = Memory.Inspect(DriverTs, buffer).Unwrap();
        var shared = Memory.CtShare(DriverTs, buffer, info.Gva, frame.Length, Stack.RxTs, "rx/frame", Rights.Read | Rights.Share | Rights.Map).Unwrap();
        Memory.Pop(DriverTs, buffer).ThrowIfFailed();
        return DriverProtocol.FrameReceivedEvent.Rent(shared, frame.Length);
    }
}
