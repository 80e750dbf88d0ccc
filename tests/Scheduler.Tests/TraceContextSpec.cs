using System.Diagnostics;
using Akka.Actor;
using Akka.TestKit;
using Edsos.Testing;

namespace Edsos.Scheduler.Tests;

/// <summary>How the trace context travels between EDSRT actors: in the tracing mailbox, beside Akka's envelope.</summary>
public sealed class TraceContextSpec : EdsrtTestKit
{
    [Fact]
    public void Tell_WithCurrentActivity_ContextArrivesAtEndOfChain()
    {
        var recorder = ActorOf(Props.Create(() => new Recorder(TestActor)), "rec");
        var middle = ActorOf(Props.Create(() => new Actors.Forwarder(recorder)), "b");
        var first = ActorOf(Props.Create(() => new Actors.Forwarder(middle)), "a");
        AwaitStarted(first);
        using var activity = new Activity("send").SetIdFormat(ActivityIdFormat.W3C).Start();

        first.Tell("traced", TestActor);
        activity.Stop();

        var seen = ExpectMsg<Seen>();
        Assert.Equal("traced", seen.Message);
        Assert.Equal(activity.TraceId, seen.Context.TraceId);
        Assert.Equal(activity.SpanId, seen.Context.SpanId);
    }

    [Fact]
    public void Tell_NoActivity_ContextIsDefault()
    {
        var recorder = ActorOf(Props.Create(() => new Recorder(TestActor)));
        var forwarder = ActorOf(Props.Create(() => new Actors.Forwarder(recorder)));
        AwaitStarted(forwarder);

        forwarder.Tell("untraced", TestActor);

        Assert.Equal(default, ExpectMsg<Seen>().Context);
    }

    [Fact]
    public void Tell_AfterATracedMessage_NextUntracedMessageCarriesNoStaleContext()
    {
        var recorder = ActorOf(Props.Create(() => new Recorder(TestActor)));
        var forwarder = ActorOf(Props.Create(() => new Actors.Forwarder(recorder)));
        AwaitStarted(forwarder);
        using (new Activity("send").SetIdFormat(ActivityIdFormat.W3C).Start())
        {
            forwarder.Tell("traced", TestActor);
        }

        Assert.NotEqual(default, ExpectMsg<Seen>().Context);
        forwarder.Tell("untraced", TestActor);

        Assert.Equal(default, ExpectMsg<Seen>().Context);
    }

    [Fact]
    public void TraceContext_ExposedToHandlerAndCarriedAcrossAwait()
    {
        var recorder = ActorOf(Props.Create(() => new Recorder(TestActor)));
        var actor = ActorOf(Props.Create(() => new AsyncRelay(recorder)));
        AwaitStarted(recorder);
        actor.Tell("go");
        ExpectMsg<Seen>();
        ExpectMsg<Seen>();
        using var activity = new Activity("send").SetIdFormat(ActivityIdFormat.W3C).Start();

        actor.Tell("go");
        activity.Stop();

        var before = ExpectMsg<Seen>();
        var after = ExpectMsg<Seen>();
        Assert.Equal("before await", before.Message);
        Assert.Equal(activity.TraceId, before.Context.TraceId);
        Assert.Equal("after await", after.Message);
        Assert.Equal(activity.TraceId, after.Context.TraceId);
    }

    [Fact]
    public void Publish_WithCurrentActivity_SubscriberSeesContext()
    {
        var recorder = ActorOf(Props.Create(() => new Recorder(TestActor)));
        AwaitStarted(recorder);
        Sys.EventStream.Subscribe(recorder, typeof(TsExited));
        var exited = new TsExited(Sys.Memory.Root, "/", new Edsos.Memory.LiftReport(0, 0, 0, 0));
        using var activity = new Activity("signal").SetIdFormat(ActivityIdFormat.W3C).Start();

        Sys.EventStream.Publish(exited);
        activity.Stop();

        var seen = ExpectMsg<Seen>();
        Assert.Equal(exited, seen.Message);
        Assert.Equal(activity.TraceId, seen.Context.TraceId);
    }

    [Fact]
    public void Traced_Wrapped_UnwrappedBeforeHandlersWithItsContext()
    {
        var recorder = ActorOf(Props.Create(() => new Recorder(TestActor)));
        var context = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded);
        AwaitStarted(recorder);

        recorder.Tell(Tracing.Traced.Wrap("carried", context));

        var seen = ExpectMsg<Seen>();
        Assert.Equal("carried", seen.Message);
        Assert.Equal(context.TraceId, seen.Context.TraceId);
        Assert.Equal(context.SpanId, seen.Context.SpanId);
        Assert.Equal(ActivityTraceFlags.Recorded, seen.Context.TraceFlags);
    }

    // Akka starts a top-level actor after ActorOf returns and replays what was sent to it meanwhile
    // from another thread, without the sender's context: the specs send once it has started.
    private void AwaitStarted(IActorRef actor)
    {
        actor.Tell("warm-up", TestActor);
        ExpectMsg<Seen>();
    }

    /// <summary>What a recorder handled and the context it arrived with.</summary>
    public sealed record Seen(object Message, ActivityContext Context);

    /// <summary>Reports each message with the context it arrived with.</summary>
    public sealed class Recorder : EdsrtActor
    {
        public Recorder(IActorRef probe)
        {
            ReceiveAny(m => probe.Tell(new Seen(m, TraceContext), ActorRefs.NoSender));
        }
    }

    private sealed class AsyncRelay : EdsrtActor
    {
        public AsyncRelay(IActorRef recorder)
        {
            ReceiveAsync<string>(async _ =>
            {
                recorder.Tell("before await");
                await Task.Delay(10);
                recorder.Tell("after await");
            });
        }
    }
}
