using System.Diagnostics;
using Edsos.Scheduler.TestKit;

namespace Edsos.Scheduler.Tests;

public sealed class TraceContextSpec : TestKitBase
{
    [Fact]
    public void Tell_WithCurrentActivity_ContextArrivesAtEndOfChain()
    {
        var last = ActorOf(Props.Create(() => new Actors.Forwarder(TestActor)), "c");
        var middle = ActorOf(Props.Create(() => new Actors.Forwarder(last)), "b");
        var first = ActorOf(Props.Create(() => new Actors.Forwarder(middle)), "a");
        using var activity = new Activity("send").SetIdFormat(ActivityIdFormat.W3C).Start();

        first.Tell("traced", TestActor);
        activity.Stop();

        ExpectMsg("traced");
        Assert.Equal(activity.TraceId, TestActor.LastTraceContext.TraceId);
        Assert.Equal(activity.SpanId, TestActor.LastTraceContext.SpanId);
    }

    [Fact]
    public void Tell_NoActivity_ContextIsDefault()
    {
        var forwarder = ActorOf(Props.Create(() => new Actors.Forwarder(TestActor)));

        forwarder.Tell("untraced", TestActor);

        ExpectMsg("untraced");
        Assert.Equal(default, TestActor.LastTraceContext);
    }

    [Fact]
    public void Context_TraceContext_ExposedToHandlerAndCarriedAcrossAwait()
    {
        var actor = ActorOf(Props.Create(() => new AsyncRelay(TestActor)));
        using var activity = new Activity("send").SetIdFormat(ActivityIdFormat.W3C).Start();

        actor.Tell("go");
        activity.Stop();

        var seen = ExpectMsg<ActivityTraceId>();
        ExpectMsg("after await");
        Assert.Equal(activity.TraceId, seen);
        Assert.Equal(activity.TraceId, TestActor.LastTraceContext.TraceId);
    }

    [Fact]
    public void Signal_WithCurrentActivity_ListenerSeesContext()
    {
        Sys.EventBus.Listen<string>(TestActor);
        using var activity = new Activity("signal").SetIdFormat(ActivityIdFormat.W3C).Start();

        Sys.EventBus.Signal("event");
        activity.Stop();

        ExpectMsg("event");
        Assert.Equal(activity.TraceId, TestActor.LastTraceContext.TraceId);
    }

    private sealed class AsyncRelay : ReceiveActor
    {
        public AsyncRelay(IActorRef probe)
        {
            ReceiveAsync<string>(async _ =>
            {
                probe.Tell(Context.TraceContext.TraceId);
                await Task.Delay(10);
                probe.Tell("after await");
            });
        }
    }
}
