using Edsos.Memory;
using Edsos.Protocol;
using Edsos.SocketService.Internal;

namespace Edsos.SocketService.Tests.Rules;

/// <summary>The datagram receive rules without an actor system: waiters first, SO_RCVBUF drops, FIFO, cancellation.</summary>
public sealed class DatagramReceiveQueueTests
{
    private static readonly Ipv4Endpoint s_from = Ipv4Endpoint.Parse("10.0.0.2:7000");

    private static QueuedDatagram Datagram(uint id, int length) => new(new Capability(id, 1, Rights.Read, id), length, s_from);

    private static RecvWaiter Waiter(ulong reqId) => new(reqId, RecvMode.Copy, TsId.None, ActorRefs.Nobody);

    [Fact]
    public void Arrive_NoWaiter_QueuesUntilTheBufferIsFullThenDrops()
    {
        var queue = new DatagramReceiveQueue();

        Assert.Equal(DatagramArrival.Queued, queue.Arrive(Datagram(1, 600), capacity: 1000, out _));
        Assert.Equal(DatagramArrival.Dropped, queue.Arrive(Datagram(2, 500), capacity: 1000, out _));
        Assert.Equal(DatagramArrival.Queued, queue.Arrive(Datagram(3, 400), capacity: 1000, out _));

        Assert.Equal(2, queue.Count);
        Assert.Equal(1000, queue.QueuedBytes);
        Assert.Equal(3, queue.Received);
        Assert.Equal(1, queue.Dropped);
    }

    [Fact]
    public void Arrive_WaitersQueued_HandsToTheOldestEvenPastTheBuffer()
    {
        var queue = new DatagramReceiveQueue();
        Assert.Equal(RecvOutcome.Waiting, queue.Request(Waiter(1), nonBlocking: false, out _));
        Assert.Equal(RecvOutcome.Waiting, queue.Request(Waiter(2), nonBlocking: false, out _));

        Assert.Equal(DatagramArrival.HandToWaiter, queue.Arrive(Datagram(1, 5000), capacity: 1000, out var first));
        Assert.Equal(DatagramArrival.HandToWaiter, queue.Arrive(Datagram(2, 10), capacity: 1000, out var second));

        Assert.Equal(1UL, first.ReqId);
        Assert.Equal(2UL, second.ReqId);
        Assert.Equal(0, queue.Count);
        Assert.Equal(0, queue.Dropped);
    }

    [Fact]
    public void Request_DatagramsQueued_DeliversInArrivalOrderAndFreesTheirBytes()
    {
        var queue = new DatagramReceiveQueue();
        queue.Arrive(Datagram(1, 100), capacity: 1000, out _);
        queue.Arrive(Datagram(2, 200), capacity: 1000, out _);

        Assert.Equal(RecvOutcome.Deliver, queue.Request(Waiter(9), nonBlocking: true, out var first));
        Assert.Equal(1U, first.Payload.NodeId);
        Assert.Equal(200, queue.QueuedBytes);
        Assert.Equal(RecvOutcome.Deliver, queue.Request(Waiter(9), nonBlocking: true, out var second));
        Assert.Equal(2U, second.Payload.NodeId);
    }

    [Fact]
    public void Request_EmptyNonBlocking_WouldBlockAndQueuesNoWaiter()
    {
        var queue = new DatagramReceiveQueue();

        Assert.Equal(RecvOutcome.WouldBlock, queue.Request(Waiter(1), nonBlocking: true, out _));
        Assert.Equal(0, queue.WaiterCount);
        Assert.Equal(DatagramArrival.Queued, queue.Arrive(Datagram(1, 10), capacity: 1000, out _));
    }

    [Fact]
    public void TryCancel_MiddleWaiter_RemovesOnlyItAndKeepsTheOthersInOrder()
    {
        var queue = new DatagramReceiveQueue();
        queue.Request(Waiter(1), nonBlocking: false, out _);
        queue.Request(Waiter(2), nonBlocking: false, out _);
        queue.Request(Waiter(3), nonBlocking: false, out _);

        Assert.True(queue.TryCancel(2, out var cancelled));
        Assert.Equal(2UL, cancelled.ReqId);
        Assert.False(queue.TryCancel(2, out _));

        queue.Arrive(Datagram(1, 10), capacity: 1000, out var first);
        queue.Arrive(Datagram(2, 10), capacity: 1000, out var second);
        Assert.Equal(1UL, first.ReqId);
        Assert.Equal(3UL, second.ReqId);
    }

    [Fact]
    public void Drains_GiveEveryWaiterAndDatagramOnce()
    {
        var queue = new DatagramReceiveQueue();
        queue.Arrive(Datagram(1, 10), capacity: 1000, out _);
        queue.Arrive(Datagram(2, 10), capacity: 1000, out _);

        Assert.True(queue.TryDrainDatagram(out _));
        Assert.True(queue.TryDrainDatagram(out _));
        Assert.False(queue.TryDrainDatagram(out _));
        Assert.Equal(0, queue.QueuedBytes);
        Assert.False(queue.TryDrainWaiter(out _));
    }
}
