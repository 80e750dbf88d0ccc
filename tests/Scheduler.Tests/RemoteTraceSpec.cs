using System.Collections.Concurrent;
using System.Diagnostics;
using Akka.Actor;
using Edsos.Scheduler.Tracing;

namespace Edsos.Scheduler.Tests;

/// <summary>
/// Two actor systems in this process joined by Akka.Remote on 127.0.0.1: a message told across with
/// <see cref="TracedTellExtensions.TellTraced"/> is handled on the far side under the near side's trace.
/// </summary>
public sealed class RemoteTraceSpec : IAsyncLifetime
{
    private const string RemoteConfig = """
        akka.actor.provider = remote
        akka.remote.dot-netty.tcp {
          hostname = 127.0.0.1
          port = 0
        }
        """;

    private readonly ConcurrentQueue<Activity> _spans = new();
    private ActivityListener? _listener;
    private ActorSystem _near = null!;
    private ActorSystem _far = null!;

    public Task InitializeAsync()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == ActivitySources.ForSystem("near") || source.Name == ActivitySources.ForSystem("far") || source.Name == "test",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _spans.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
        _near = Edsrt.Create("near", new EdsrtOptions { ExtraConfig = RemoteConfig });
        _far = Edsrt.Create("far", new EdsrtOptions { ExtraConfig = RemoteConfig });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await Task.WhenAll(_near.Terminate(), _far.Terminate());
        _listener?.Dispose();
    }

    [Fact]
    public async Task TellTraced_AcrossAkkaRemote_FarHandlerSpanJoinsTheNearTrace()
    {
        var arrived = new TaskCompletionSource<ActivityContext>(TaskCreationOptions.RunContinuationsAsynchronously);
        _far.ActorOf(Props.Create(() => new Sink(arrived)), "sink");
        var farAddress = ((ExtendedActorSystem)_far).Provider.DefaultAddress;
        Assert.True(farAddress.HasGlobalScope, "the far system listens on a TCP port");
        var sink = await _near.ActorSelection(new RootActorPath(farAddress) / "user" / "sink").ResolveOne(TimeSpan.FromSeconds(10));
        var relay = _near.ActorOf(Props.Create(() => new Relay(sink)), "relay");
        // A top-level actor starts after ActorOf returns; what is told before is replayed without context.
        await relay.Ask<ActorIdentity>(new Identify(null), TimeSpan.FromSeconds(10));
        using var source = new ActivitySource("test");
        ActivityTraceId traceId;

        using (var root = source.StartActivity("sendto"))
        {
            Assert.NotNull(root);
            traceId = root.TraceId;
            relay.Tell(new RemotePing("across"));
        }

        var context = await arrived.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(traceId, context.TraceId);
        Assert.True(context.IsRemote);
        Activity? relaySpan = null;
        Activity? sinkSpan = null;
        for (int i = 0; i < 100 && (relaySpan is null || sinkSpan is null); i++)
        {
            relaySpan = _spans.FirstOrDefault(s => s.Source.Name == ActivitySources.ForSystem("near") && s.DisplayName == nameof(RemotePing));
            sinkSpan = _spans.FirstOrDefault(s => s.Source.Name == ActivitySources.ForSystem("far") && s.DisplayName == nameof(RemotePing));
            await Task.Delay(50);
        }

        Assert.NotNull(relaySpan);
        Assert.NotNull(sinkSpan);
        Assert.Equal(traceId, relaySpan.TraceId);
        Assert.Equal(traceId, sinkSpan.TraceId);
        Assert.Equal(relaySpan.SpanId, sinkSpan.ParentSpanId);
    }

    /// <summary>The message that crosses; plain data, as every cross-process event is.</summary>
    public sealed record RemotePing(string Text);

    private sealed class Relay : EdsrtActor
    {
        public Relay(IActorRef sink)
        {
            Receive<RemotePing>(ping => sink.TellTraced(ping));
        }
    }

    private sealed class Sink : EdsrtActor
    {
        public Sink(TaskCompletionSource<ActivityContext> arrived)
        {
            Receive<RemotePing>(_ => arrived.TrySetResult(TraceContext));
        }
    }
}
