using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Edsos.Host.Cluster;
using Edsos.Host.Cluster.Lanes;
using Edsos.Scheduler.Tracing;

namespace Edsos.Host.Tests;

/// <summary>
/// The console cluster's lanes between role processes, here between two real actor systems with remoting on 127.0.0.1
/// in one test process (each its own provider, address and lane listener): <c>TellTraced</c> to the other system goes by
/// lane, in order, with the sender's reference and trace context intact, through the serializer Akka binds to the
/// message; a system without lanes still gets its messages over Akka.Remote; a lane whose far end closed is dropped and
/// the next tells go over Akka.Remote. The frame format rejects a cut frame.
/// </summary>
public sealed class LaneTests : IAsyncLifetime
{
    private const int Messages = 500;
    private ActorSystem _x = null!;
    private ActorSystem _y = null!;

    public Task InitializeAsync()
    {
        _x = Edsrt.Create(ClusterConfig.SystemName, new EdsrtOptions { ExtraConfig = ClusterConfig.Build(0, ["test"], null) });
        _y = Edsrt.Create(ClusterConfig.SystemName, new EdsrtOptions { ExtraConfig = ClusterConfig.Build(0, ["test"], null) });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _x.Terminate();
        await _y.Terminate();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task TellTraced_ToAnotherSystem_GoesByLane_InOrder_WithSenderAndTrace(bool readOnDispatcher)
    {
        using var laneX = LaneRoute.Start(_x, readOnDispatcher);
        using var laneY = LaneRoute.Start(_y, readOnDispatcher);

        // Every cluster member's default dispatcher is a one-thread parking executor: its thread can read the lanes.
        Assert.Equal(readOnDispatcher, laneX.ReadOnDispatcher);
        Assert.Equal(readOnDispatcher, laneY.ReadOnDispatcher);
        var (sink, received) = await StartSinkAsync();
        var replies = new Collector();
        var collector = _x.ActorOf(Props.Create(() => new CollectorActor(replies)), "collector");

        using var activity = new Activity("sendto").SetIdFormat(ActivityIdFormat.W3C).SetParentId(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded).Start();
        for (int i = 1; i <= Messages; i++)
        {
            sink.TellTraced(new ClusterProtocol.EchoReached(i), collector);
        }

        activity.Stop();
        await replies.WaitForAsync(Messages);

        // Every message by lane, none left to Akka.Remote; the replies came back by the other system's lane.
        Assert.Equal(Messages, laneX.Sent);
        Assert.Equal(0, laneX.Declined);
        Assert.Equal(Messages, laneY.Received);
        Assert.Equal(Messages, laneY.Sent);
        Assert.Equal(Messages, laneX.Received);
        Assert.Equal(Enumerable.Range(1, Messages), received.Select(r => r.Echoed));
        Assert.All(received, r => Assert.Equal(activity.TraceId, r.TraceId));
        Assert.Equal(Enumerable.Range(1, Messages), replies.Items.Select(r => r.Echoed));
        Assert.Contains(readOnDispatcher ? "read by the dispatcher's thread" : "read by reader threads", laneY.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TellTraced_ToASystemWithoutLanes_GoesOverAkkaRemote()
    {
        using var laneX = LaneRoute.Start(_x);
        var (sink, received) = await StartSinkAsync();
        var replies = new Collector();
        var collector = _x.ActorOf(Props.Create(() => new CollectorActor(replies)), "collector");

        for (int i = 1; i <= 20; i++)
        {
            sink.TellTraced(new ClusterProtocol.EchoReached(i), collector);
        }

        await replies.WaitForAsync(20);
        Assert.Equal(0, laneX.Sent);
        Assert.Equal(20, laneX.Declined);
        Assert.Equal(Enumerable.Range(1, 20), received.Select(r => r.Echoed));
    }

    [Fact]
    public async Task LaneWhoseFarEndClosed_IsDropped_LaterTellsGoOverAkkaRemote()
    {
        using var laneX = LaneRoute.Start(_x);
        var laneY = LaneRoute.Start(_y);
        var (sink, received) = await StartSinkAsync();
        var replies = new Collector();
        var collector = _x.ActorOf(Props.Create(() => new CollectorActor(replies)), "collector");
        sink.TellTraced(new ClusterProtocol.EchoReached(1), collector);
        await replies.WaitForAsync(1);
        Assert.Equal(1, laneX.Sent);

        // Y's lanes end (as when its process dies): X's next tells find the lane broken and go over Akka.Remote.
        laneY.Dispose();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        int next = 2;
        while (laneX.Declined == 0 && DateTime.UtcNow < deadline)
        {
            sink.TellTraced(new ClusterProtocol.EchoReached(next++), collector);
            await Task.Delay(10);
        }

        Assert.True(laneX.Declined > 0, "a tell after the far end closed was still reported sent by lane");
        sink.TellTraced(new ClusterProtocol.EchoReached(next), collector);
        await replies.WaitUntilAsync(r => r.Echoed == next);
        Assert.Contains(received, r => r.Echoed == next);
    }

    /// <summary>
    /// Two processes' dispatchers writing to each other at once, far more than a socket buffer holds: each reads its own
    /// lanes while its write waits, so neither waits on the other; every message arrives, in order, none by Akka.Remote.
    /// </summary>
    [Fact]
    public async Task BothDispatchersFloodingEachOther_NeitherWaitsOnTheOther_EveryMessageInOrder()
    {
        const int Flood = 3000;
        using var laneX = LaneRoute.Start(_x);
        using var laneY = LaneRoute.Start(_y);
        var gotX = new ConcurrentQueue<int>();
        var gotY = new ConcurrentQueue<int>();
        var floodX = _x.ActorOf(Props.Create(() => new FloodActor(gotX)), "flood");
        var floodY = _y.ActorOf(Props.Create(() => new FloodActor(gotY)), "flood");
        var yFromX = await _x.ActorSelection($"{((ExtendedActorSystem)_y).Provider.DefaultAddress}/user/flood").ResolveOne(TimeSpan.FromSeconds(10));
        var xFromY = await _y.ActorSelection($"{((ExtendedActorSystem)_x).Provider.DefaultAddress}/user/flood").ResolveOne(TimeSpan.FromSeconds(10));

        floodX.Tell(new FloodActor.Start(yFromX, Flood));
        floodY.Tell(new FloodActor.Start(xFromY, Flood));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while ((gotX.Count < Flood || gotY.Count < Flood) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.Equal(Enumerable.Range(1, Flood), gotX);
        Assert.Equal(Enumerable.Range(1, Flood), gotY);
        Assert.Equal(0, laneX.Declined);
        Assert.Equal(0, laneY.Declined);
        Assert.True(laneX.Sent >= Flood && laneY.Sent >= Flood);
    }

    [Fact]
    public void Frame_RoundTrips_AndACutFrameIsRejected()
    {
        var buffer = new ArrayBufferWriter<byte>();
        byte[] recipient = Encoding.UTF8.GetBytes("akka.tcp://edsos@127.0.0.1:4711/user/sockets/3#42");
        LaneFrame.Write(buffer, 0x0102030405060708, 0x1112131415161718, 0x2122232425262728, 1, traced: true, 77, recipient, [], "EchoReached", [9, 8, 7]);
        var body = buffer.WrittenSpan[LaneFrame.LengthBytes..];

        var header = LaneFrame.Read(body);
        Assert.True(header.Valid);
        Assert.True(header.Traced);
        Assert.Equal(0x1112131415161718UL, header.TraceLow);
        Assert.Equal(0x2122232425262728UL, header.SpanId);
        Assert.Equal(77, header.SerializerId);
        Assert.Equal(recipient, header.Recipient.ToArray());
        Assert.True(header.Sender.IsEmpty);
        Assert.Equal("EchoReached", Encoding.UTF8.GetString(header.Manifest));
        Assert.Equal(new byte[] { 9, 8, 7 }, header.Payload.ToArray());
        Assert.True(Math.Abs(Stopwatch.GetElapsedTime(header.SentAt).TotalSeconds) < 60);

        Assert.False(LaneFrame.Read(body[..20]).Valid);
        Assert.False(LaneFrame.Read(body[..(body.Length - 3 - 11 - 2 - 2)]).Valid);
    }

    private async Task<(IActorRef Sink, ConcurrentQueue<(int Echoed, ActivityTraceId TraceId)> Received)> StartSinkAsync()
    {
        var received = new ConcurrentQueue<(int, ActivityTraceId)>();
        _y.ActorOf(Props.Create(() => new SinkActor(received)), "sink");
        string address = ((ExtendedActorSystem)_y).Provider.DefaultAddress.ToString();
        var sink = await _x.ActorSelection($"{address}/user/sink").ResolveOne(TimeSpan.FromSeconds(10));
        return (sink, received);
    }

    /// <summary>Records each <see cref="ClusterProtocol.EchoReached"/> with the trace it arrived in and echoes it to its sender.</summary>
    private sealed class SinkActor : EdsrtActor
    {
        public SinkActor(ConcurrentQueue<(int, ActivityTraceId)> received)
        {
            Receive<ClusterProtocol.EchoReached>(reached =>
            {
                received.Enqueue((reached.Echoed, TraceContext.TraceId));
                Sender.TellTraced(reached);
            });
        }
    }

    /// <summary>On <see cref="Start"/> tells its peer that many 4 KiB messages in one handler; records the numbers it gets.</summary>
    private sealed class FloodActor : EdsrtActor
    {
        private static readonly string s_filler = new('x', 4096);

        public FloodActor(ConcurrentQueue<int> got)
        {
            Receive<Start>(start =>
            {
                for (int i = 1; i <= start.Count; i++)
                {
                    start.Peer.TellTraced(new ClusterProtocol.EndEcho($"{i}:{s_filler}"));
                }
            });
            Receive<ClusterProtocol.EndEcho>(end => got.Enqueue(int.Parse(end.Reason.AsSpan(0, end.Reason.IndexOf(':')), System.Globalization.CultureInfo.InvariantCulture)));
        }

        /// <summary>Local only: whom to flood and how many.</summary>
        public sealed record Start(IActorRef Peer, int Count);
    }

    /// <summary>An EDSRT actor, as every service is: a reply in a trace arrives in its <see cref="Traced"/> carrier.</summary>
    private sealed class CollectorActor : EdsrtActor
    {
        public CollectorActor(Collector collector) => Receive<ClusterProtocol.EchoReached>(collector.Add);
    }

    private sealed class Collector
    {
        private readonly Lock _gate = new();
        private readonly List<ClusterProtocol.EchoReached> _items = [];

        public IReadOnlyList<ClusterProtocol.EchoReached> Items
        {
            get
            {
                lock (_gate)
                {
                    return [.. _items];
                }
            }
        }

        public void Add(ClusterProtocol.EchoReached item)
        {
            lock (_gate)
            {
                _items.Add(item);
            }
        }

        public Task WaitForAsync(int count) => WaitUntilAsync(_ => Items.Count >= count);

        public async Task WaitUntilAsync(Func<ClusterProtocol.EchoReached, bool> done)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
            while (!Items.Any(done) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(10);
            }

            Assert.True(Items.Any(done), $"only {Items.Count} message(s) came back");
        }
    }
}
