using Edsos.Protocol.Ipv4;
using Edsos.Protocol.Qdisc;
using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Tests;

/// <summary>pfifo_fast in front of the driver: descriptor credit, quota per run with rescheduling, tail drop.</summary>
public sealed class QdiscWorkerSpec : InetSpecBase
{
    private static readonly Ipv4Address SubnetBroadcast = Ipv4Address.Parse("10.0.0.255");

    [Fact]
    public async Task Run_LimitedCredit_HoldsFramesUntilDescriptorsFree()
    {
        StartStack(credit: 4);
        LearnNeighbour(PeerIp, PeerMac);

        for (ulong id = 1; id <= 3; id++)
        {
            SendUdp(id, TestFrames.Pattern(16, seed: (int)id), PeerIp);
        }

        // Each frame needs two descriptors (header page + the user's page): two fit in a ring of four.
        var first = ExpectFrame();
        var second = ExpectFrame();
        DriverTx.ExpectNoMsg(Quiet);
        Assert.Equal(1, (await CountersAsync<QdiscCounters>(Stack.Qdisc)).Backlog);

        Complete(first);
        var third = ExpectFrame();
        Complete(second);
        Complete(third);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(Errno.None, Socket.ExpectMsg<Ipv4Protocol.IpXmitComplete>().Error);
        }

        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task Run_QuotaSpent_ReschedulesItselfAndKeepsOrder()
    {
        StartStack(options => options with { QdiscQuota = 2 }, credit: null);
        for (ulong id = 1; id <= 10; id++)
        {
            SendUdp(id, TestFrames.Pattern(4, seed: (int)id), SubnetBroadcast);
        }

        await AwaitAssertAsync(async () => Assert.Equal(10, (await CountersAsync<QdiscCounters>(Stack.Qdisc)).Backlog));
        DriverTx.ExpectNoMsg(Quiet);

        GiveCredit(100);

        for (int i = 1; i <= 10; i++)
        {
            var frame = TestFrames.ParseIpv4(TakeFrame());
            Assert.True(frame.Ethernet.Destination.IsBroadcast);
            Assert.Equal(TestFrames.Pattern(4, seed: i), TestFrames.ParseUdp(frame.IpPayload, OurIp, SubnetBroadcast).Payload);
        }

        var counters = await CountersAsync<QdiscCounters>(Stack.Qdisc);
        Assert.True(counters.Reschedules >= 4, $"reschedules {counters.Reschedules}");
        Assert.Equal(10, counters.Transmitted);
        for (int i = 0; i < 10; i++)
        {
            Assert.Equal(Errno.None, Socket.ExpectMsg<Ipv4Protocol.IpXmitComplete>().Error);
        }

        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task Enqueue_QueueAtLimit_TailDropsWithEnobufs()
    {
        StartStack(options => options with { QdiscLimit = 3 }, credit: null);
        for (ulong id = 1; id <= 5; id++)
        {
            SendUdp(id, TestFrames.Pattern(4), SubnetBroadcast);
        }

        Assert.Equal(new Ipv4Protocol.IpXmitComplete(4, 0, Errno.ENOBUFS), Socket.ExpectMsg<Ipv4Protocol.IpXmitComplete>());
        Assert.Equal(new Ipv4Protocol.IpXmitComplete(5, 0, Errno.ENOBUFS), Socket.ExpectMsg<Ipv4Protocol.IpXmitComplete>());
        Assert.Equal(2, (await CountersAsync<QdiscCounters>(Stack.Qdisc)).Dropped);

        GiveCredit(64);
        for (int i = 0; i < 3; i++)
        {
            TakeFrame();
        }

        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(Errno.None, Socket.ExpectMsg<Ipv4Protocol.IpXmitComplete>().Error);
        }

        await StopAndAssertNoLeakAsync();
    }

    [Fact]
    public async Task Run_LegacyExtentLongerThanOneDescriptor_CreditCountedAsTheDriverSplitsIt()
    {
        // MTU 65535, so 20000 bytes leave unfragmented as one legacy frame: the header node, and the payload
        // in one physically contiguous extent the driver cuts at 16,256 bytes: 1 + 2 = 3 descriptors, not 2.
        StartStack(options => options with { Mtu = ushort.MaxValue }, credit: 4);
        LearnNeighbour(PeerIp, PeerMac);
        var payload = SharePayload(TestFrames.Pattern(20000));
        var extents = Memory.Inspect(Stack.TxTs, payload).Unwrap().Extents;
        Assert.Single(extents);

        SendUdp(1, payload, 20000, new Ipv4Endpoint(Ipv4Address.Any, 5000), new Ipv4Endpoint(PeerIp, 9000));
        var big = ExpectFrame();
        SendUdp(2, TestFrames.Pattern(16), PeerIp);

        // One descriptor is left: the small frame's two have to wait for the big one.
        DriverTx.ExpectNoMsg(Quiet);
        var counters = await CountersAsync<QdiscCounters>(Stack.Qdisc);
        Assert.Equal(1, counters.Credit);
        Assert.Equal(1, counters.Backlog);

        Complete(big);
        Complete(ExpectFrame());
        Assert.Equal(Errno.None, Socket.ExpectMsg<Ipv4Protocol.IpXmitComplete>().Error);
        Assert.Equal(Errno.None, Socket.ExpectMsg<Ipv4Protocol.IpXmitComplete>().Error);
        await StopAndAssertNoLeakAsync();
    }
}
