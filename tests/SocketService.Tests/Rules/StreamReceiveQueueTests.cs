using Edsos.Memory;
using Edsos.Protocol;
using Edsos.SocketService.Internal;

namespace Edsos.SocketService.Tests.Rules;

/// <summary>The stream receive rules without an actor system: order, the split point, end of stream, errors, shutdown.</summary>
public sealed class StreamReceiveQueueTests
{
    private static readonly Ipv4Endpoint s_from = Ipv4Endpoint.Parse("10.0.0.2:7000");

    private static QueuedDatagram Segment(uint id, int length) => new(new Capability(id, 1, Rights.Read, id), length, s_from);

    private static RecvWaiter Waiter(ulong reqId, RecvMode mode = RecvMode.Copy, int maxLength = 0)
        => new(reqId, mode, TsId.None, ActorRefs.Nobody, maxLength);

    [Theory]
    [InlineData(RecvMode.Copy, 100, 1000, 100)]
    [InlineData(RecvMode.Copy, 1000, 1000, 0)]
    [InlineData(RecvMode.Copy, 2000, 1000, 0)]
    [InlineData(RecvMode.Copy, 0, 1000, 0)]
    [InlineData(RecvMode.ZeroCopy, 100, 1000, 0)]
    public void SplitAt_CopyIntoASmallerBuffer_CutsAtTheBufferOnly(RecvMode mode, int maxLength, int length, int expected)
    {
        Assert.Equal(expected, StreamReceiveQueue.SplitAt(Waiter(1, mode, maxLength), length));
    }

    [Fact]
    public void Arrive_WaiterAndNothingUnread_HandsItOver()
    {
        var queue = new StreamReceiveQueue();
        Assert.Equal(RecvOutcome.Waiting, queue.Request(Waiter(1), nonBlocking: false, connected: true, out _));

        Assert.Equal(StreamArrival.HandToWaiter, queue.Arrive(Segment(1, 10), out var waiter));
        Assert.Equal(1UL, waiter.ReqId);
        Assert.Equal(1, queue.Received);
    }

    [Fact]
    public void Arrive_RestOfASplitSegmentUnread_QueuesBehindItInsteadOfOvertaking()
    {
        var queue = new StreamReceiveQueue();
        queue.PutBackFront(Segment(1, 10));
        queue.Request(Waiter(1), nonBlocking: false, connected: true, out var first);

        Assert.Equal(1U, first.Payload.NodeId);
        queue.PutBackFront(Segment(2, 5));

        Assert.Equal(StreamArrival.Queued, queue.Arrive(Segment(3, 10), out _));
        Assert.True(queue.TryTake(out var next));
        Assert.Equal(2U, next.Payload.NodeId);
        Assert.True(queue.TryTake(out var last));
        Assert.Equal(3U, last.Payload.NodeId);
    }

    [Fact]
    public void ArriveInBurst_WaiterPresent_QueuedUntilTheBurstIsInThenServedInOrder()
    {
        var queue = new StreamReceiveQueue();
        queue.Request(Waiter(1, RecvMode.ZeroCopy), nonBlocking: false, connected: true, out _);

        Assert.Equal(StreamArrival.QueuedForWaiter, queue.ArriveInBurst(Segment(1, 10)));
        Assert.Equal(StreamArrival.QueuedForWaiter, queue.ArriveInBurst(Segment(2, 20)));
        Assert.Equal((2, 30, 1), (queue.Count, queue.QueuedBytes, queue.WaiterCount));

        Assert.True(queue.TryServe(out var waiter, out var first));
        Assert.Equal((1UL, 1U), (waiter.ReqId, first.Payload.NodeId));
        Assert.True(queue.TryTakeForRoom(100, out var second));
        Assert.Equal(2U, second.Payload.NodeId);
        Assert.False(queue.TryServe(out _, out _));
        Assert.Equal(2, queue.Received);
    }

    [Fact]
    public void ArriveInBurst_NoWaiter_QueuedAndNothingToServe()
    {
        var queue = new StreamReceiveQueue();

        Assert.Equal(StreamArrival.Queued, queue.ArriveInBurst(Segment(1, 10)));
        Assert.False(queue.TryServe(out _, out _));
        Assert.True(queue.HasUnread);
    }

    [Fact]
    public void ArriveInBurst_ReadShut_Discards()
    {
        var queue = new StreamReceiveQueue();
        queue.Request(Waiter(1), nonBlocking: false, connected: true, out _);
        queue.ShutRead();

        Assert.Equal(StreamArrival.Discard, queue.ArriveInBurst(Segment(1, 10)));
        Assert.False(queue.HasUnread);
    }

    [Fact]
    public void Arrive_ReadShut_Discards()
    {
        var queue = new StreamReceiveQueue();
        queue.ShutRead();

        Assert.Equal(StreamArrival.Discard, queue.Arrive(Segment(1, 10), out _));
        Assert.False(queue.HasUnread);
    }

    [Fact]
    public void Request_EofWithBytesUnread_DeliversTheBytesThenTheEnd()
    {
        var queue = new StreamReceiveQueue();
        queue.Arrive(Segment(1, 10), out _);

        Assert.False(queue.MarkEof());
        Assert.Equal(RecvOutcome.Deliver, queue.Request(Waiter(1), nonBlocking: false, connected: true, out _));
        Assert.Equal(RecvOutcome.EndOfStream, queue.Request(Waiter(2), nonBlocking: false, connected: true, out _));
    }

    [Fact]
    public void MarkEof_NothingUnread_AsksForTheWaitersToBeAnswered()
    {
        var queue = new StreamReceiveQueue();
        queue.Request(Waiter(1), nonBlocking: false, connected: true, out _);

        Assert.True(queue.MarkEof());
        Assert.True(queue.TryTakeWaiter(out var waiter));
        Assert.Equal(1UL, waiter.ReqId);
    }

    [Fact]
    public void Request_Error_IsReportedAfterTheUnreadBytesButNotAfterAFin()
    {
        var queue = new StreamReceiveQueue();
        queue.Arrive(Segment(1, 10), out _);
        queue.Fail(Errno.ECONNRESET);

        Assert.Equal(RecvOutcome.Deliver, queue.Request(Waiter(1), nonBlocking: true, connected: true, out _));
        Assert.Equal(RecvOutcome.Failed, queue.Request(Waiter(2), nonBlocking: true, connected: true, out _));
        Assert.Equal(Errno.ECONNRESET, queue.Error);

        queue.MarkEof();
        Assert.Equal(RecvOutcome.EndOfStream, queue.Request(Waiter(3), nonBlocking: true, connected: true, out _));
    }

    [Fact]
    public void Request_NothingAndNotConnected_IsNotConnectedBeforeWouldBlock()
    {
        var queue = new StreamReceiveQueue();

        Assert.Equal(RecvOutcome.NotConnected, queue.Request(Waiter(1), nonBlocking: true, connected: false, out _));
        Assert.Equal(RecvOutcome.WouldBlock, queue.Request(Waiter(2), nonBlocking: true, connected: true, out _));
        Assert.Equal(0, queue.WaiterCount);
    }

    [Fact]
    public void TryCancel_KeepsTheOtherWaitersInOrder()
    {
        var queue = new StreamReceiveQueue();
        queue.Request(Waiter(1), nonBlocking: false, connected: true, out _);
        queue.Request(Waiter(2, maxLength: 7), nonBlocking: false, connected: true, out _);
        queue.Request(Waiter(3), nonBlocking: false, connected: true, out _);

        Assert.True(queue.TryCancel(1, out _));

        Assert.Equal(StreamArrival.HandToWaiter, queue.Arrive(Segment(1, 10), out var waiter));
        Assert.Equal(2UL, waiter.ReqId);
        Assert.Equal(7, waiter.MaxLength);
    }

    [Fact]
    public void TryTake_CountsQueuedBytesButNotTheRestOfASplitSegment()
    {
        var queue = new StreamReceiveQueue();
        queue.Arrive(Segment(1, 10), out _);
        queue.Arrive(Segment(2, 20), out _);
        Assert.Equal(30, queue.QueuedBytes);

        queue.TryTake(out _);
        queue.PutBackFront(Segment(3, 4));

        Assert.Equal(20, queue.QueuedBytes);
        Assert.Equal(1, queue.Count);
        Assert.True(queue.HasUnread);
    }

    [Theory]
    [InlineData(RecvMode.Copy, 3000, 3000)]
    [InlineData(RecvMode.Copy, 0, int.MaxValue)]
    [InlineData(RecvMode.ZeroCopy, 3000, int.MaxValue)]
    public void JoinLimit_ACopyReadTakesItsBufferAZeroCopyReadEverything(RecvMode mode, int maxLength, int expected)
    {
        Assert.Equal(expected, StreamReceiveQueue.JoinLimit(Waiter(1, mode, maxLength)));
    }

    [Fact]
    public void TryTakeForRoom_TakesSegmentsInOrderWhileTheReadHasRoomTheLastOneWhole()
    {
        var queue = new StreamReceiveQueue();
        queue.PutBackFront(Segment(1, 10));
        queue.Arrive(Segment(2, 20), out _);
        queue.Arrive(Segment(3, 30), out _);

        Assert.False(queue.TryTakeForRoom(0, out _));
        Assert.True(queue.TryTakeForRoom(1, out var first));
        Assert.Equal((1U, 10), (first.Payload.NodeId, first.Length));
        Assert.True(queue.TryTakeForRoom(5, out var second));
        Assert.Equal((2U, 20), (second.Payload.NodeId, second.Length));
        Assert.Equal(30, queue.QueuedBytes);
        Assert.False(queue.TryTakeForRoom(-15, out _));
        Assert.True(queue.TryTakeForRoom(int.MaxValue, out var third));
        Assert.Equal(3U, third.Payload.NodeId);
        Assert.False(queue.TryTakeForRoom(int.MaxValue, out _));
        Assert.Equal(0, queue.QueuedBytes);
    }
}
