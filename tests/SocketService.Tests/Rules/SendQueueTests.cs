using Edsos.Memory;
using Edsos.Protocol;
using Edsos.SocketService.Internal;

namespace Edsos.SocketService.Tests.Rules;

/// <summary>The send queue's bookkeeping without an actor system: SO_SNDBUF room, FIFO parking, completion, drains.</summary>
public sealed class SendQueueTests
{
    private static readonly Ipv4Endpoint s_peer = Ipv4Endpoint.Parse("10.0.0.2:7000");

    private static Capability Node(uint id) => new(id, 1, Rights.Read | Rights.Share | Rights.Map, id * 7919UL);

    private static InFlightSend InFlight(ulong reqId, int length) => new(reqId, Node((uint)reqId), length, ActorRefs.Nobody, Replied: false);

    private static ParkedSend Parked(ulong reqId, int length) => new(reqId, Node((uint)reqId), length, s_peer, ActorRefs.Nobody);

    [Fact]
    public void HasRoom_EmptyQueue_TakesASendLargerThanTheWholeBuffer()
    {
        var queue = new SendQueue(capacity: 1000);

        Assert.True(queue.HasRoom(5000));
        Assert.False(queue.MustWait(5000));
    }

    [Fact]
    public void MustWait_BytesInFlightPlusSendPastCapacity_IsTrueUntilCompletionFreesRoom()
    {
        var queue = new SendQueue(capacity: 1000);
        var id = queue.NextXmitId();
        queue.Launch(id, InFlight(1, 800));

        Assert.True(queue.MustWait(300));
        Assert.False(queue.MustWait(200));

        Assert.True(queue.TryComplete(id, succeeded: true, out var done));
        Assert.Equal(800, done.Length);
        Assert.Equal(0, queue.QueuedBytes);
        Assert.False(queue.MustWait(300));
        Assert.Equal(1, queue.Sent);
    }

    [Fact]
    public void MustWait_SomethingParked_KeepsFifoEvenWhenTheNewSendWouldFit()
    {
        var queue = new SendQueue(capacity: 1000);
        queue.Launch(queue.NextXmitId(), InFlight(1, 900));
        queue.Park(Parked(2, 500));

        Assert.True(queue.MustWait(1));
    }

    [Fact]
    public void TryTakeParked_TakesInOrderOnlyWhileThereIsRoom()
    {
        var queue = new SendQueue(capacity: 1000);
        var first = queue.NextXmitId();
        queue.Launch(first, InFlight(1, 900));
        queue.Park(Parked(2, 500));
        queue.Park(Parked(3, 100));

        Assert.False(queue.TryTakeParked(out _));

        queue.TryComplete(first, succeeded: false, out _);
        Assert.True(queue.TryTakeParked(out var next));
        Assert.Equal(2UL, next.ReqId);
        queue.Launch(queue.NextXmitId(), InFlight(next.ReqId, next.Length));
        Assert.True(queue.TryTakeParked(out var after));
        Assert.Equal(3UL, after.ReqId);
        Assert.Equal(0, queue.Sent);
    }

    [Fact]
    public void Capacity_Raised_LetsAParkedSendGo()
    {
        var queue = new SendQueue(capacity: 1000);
        queue.Launch(queue.NextXmitId(), InFlight(1, 900));
        queue.Park(Parked(2, 500));

        queue.Capacity = 2000;

        Assert.True(queue.TryTakeParked(out var next));
        Assert.Equal(2UL, next.ReqId);
    }

    [Fact]
    public void TryComplete_UnknownOrRepeatedId_IsFalseAndChangesNothing()
    {
        var queue = new SendQueue(capacity: 1000);
        var id = queue.NextXmitId();
        queue.Launch(id, InFlight(1, 400));

        Assert.False(queue.TryComplete(id + 1, succeeded: true, out _));
        Assert.True(queue.TryComplete(id, succeeded: true, out _));
        Assert.False(queue.TryComplete(id, succeeded: true, out _));
        Assert.Equal(0, queue.QueuedBytes);
        Assert.Equal(1, queue.Sent);
    }

    [Fact]
    public void Drains_GiveEveryEntryOnceAndEmptyTheQueue()
    {
        var queue = new SendQueue(capacity: 100);
        queue.Launch(queue.NextXmitId(), InFlight(1, 60));
        queue.Launch(queue.NextXmitId(), InFlight(2, 70));
        queue.Park(Parked(3, 10));

        var seen = new HashSet<Capability>();
        while (queue.TryDrainInFlight(out var sent))
        {
            Assert.True(seen.Add(sent.Own));
        }

        while (queue.TryDrainParked(out var parked))
        {
            Assert.True(seen.Add(parked.Ctrn));
        }

        Assert.Equal(3, seen.Count);
        Assert.Equal(0, queue.QueuedBytes);
        Assert.Equal(0, queue.InFlightCount);
        Assert.Equal(0, queue.ParkedCount);
    }

    [Fact]
    public void NextXmitId_IsUniqueAndIncreasing()
    {
        var queue = new SendQueue(capacity: 100);

        Assert.Equal(1UL, queue.NextXmitId());
        Assert.Equal(2UL, queue.NextXmitId());
    }
}
