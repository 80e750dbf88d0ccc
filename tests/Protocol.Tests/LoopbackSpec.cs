using Edsos.Protocol.Ipv4;
using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Tests;

/// <summary>Seed 002's loopback injection: datagrams to one of our own addresses never reach the NIC.</summary>
public sealed class LoopbackSpec : InetSpecBase
{
    [Theory]
    [InlineData("127.0.0.1", "127.0.0.1")]
    [InlineData("10.0.0.1", "10.0.0.1")]
    public async Task Xmit_ToOwnAddress_InjectedIntoTheReceiveSideAndDelivered(string destination, string expectedSource)
    {
        StartStack();
        Bind(7000);
        var data = TestFrames.Pattern(1000, seed: 8);
        var payload = SharePayload(data);
        long payloadCopiedBefore = Memory.Counters.PayloadBytesCopied;

        SendUdp(40, payload, data.Length, new Ipv4Endpoint(Ipv4Address.Any, 6000), new Ipv4Endpoint(Ipv4Address.Parse(destination), 7000));

        // The completion and the delivery race (different actors send them): take both in either order.
        var messages = Socket.ReceiveN(2);
        Assert.Contains(new Ipv4Protocol.IpXmitComplete(40, 1000, Errno.None), messages);
        var received = Assert.Single(messages.OfType<InetProtocol.DatagramReceivedEvent>());
        Assert.Equal(new Ipv4Endpoint(Ipv4Address.Parse(expectedSource), 6000), received.From);
        Assert.Equal(new Ipv4Endpoint(Ipv4Address.Parse(destination), 7000), received.To);
        Assert.Equal(payloadCopiedBefore, Memory.Counters.PayloadBytesCopied);
        Assert.Equal(data, Consume(received));
        DriverTx.ExpectNoMsg(Quiet);
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task Xmit_LargeDatagramToOwnAddress_NotFragmented()
    {
        StartStack();
        Bind(7000);
        var data = TestFrames.Pattern(20000, seed: 2);

        SendUdp(41, data, OurIp, destinationPort: 7000);

        Assert.Equal(data, Consume(Socket.FishForMessage<InetProtocol.DatagramReceivedEvent>(_ => true)));
        var tx = await CountersAsync<Ipv4TxCounters>(Stack.IpTx);
        Assert.Equal(0, tx.Fragmented);
        Assert.Equal(1, tx.LoopbackFrames);
        DriverTx.ExpectNoMsg(Quiet);
        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task Xmit_ToOwnUnboundPort_PortUnreachableLoopsBackAndIsCounted()
    {
        StartStack();

        SendUdp(42, TestFrames.Pattern(10), Ipv4Address.Parse("127.0.0.1"), destinationPort: 7001);

        Assert.Equal(Errno.None, Socket.ExpectMsg<Ipv4Protocol.IpXmitComplete>().Error);
        await AwaitAssertAsync(async () => Assert.Equal(1, (await CountersAsync<Ipv4RxCounters>(Stack.RxWorker)).IcmpOther));
        Assert.Equal(1, (await CountersAsync<Ipv4RxCounters>(Stack.RxWorker)).NoSocket);
        DriverTx.ExpectNoMsg(Quiet);
        await StopAndAssertNoLeakAsync();
    }
}
