using Edsos.Scheduler.TestKit;
using static Edsos.Scheduler.Tests.TestMessages;

namespace Edsos.Scheduler.Tests;

public sealed class DeathWatchSpec : TestKitBase
{
    [Fact]
    public void Watch_ActorStops_TerminatedDelivered()
    {
        var echo = ActorOf(Props.Create<Actors.Echo>());
        Watch(echo);

        Sys.Stop(echo);

        var terminated = ExpectTerminated(echo);
        Assert.Equal(echo, terminated.ActorRef);
    }

    [Fact]
    public void Watch_AlreadyDeadActor_TerminatedDeliveredAtOnce()
    {
        var probe = CreateTestProbe("first");
        var echo = ActorOf(Props.Create<Actors.Echo>());
        probe.Watch(echo);
        Sys.Stop(echo);
        probe.ExpectTerminated(echo);

        Watch(echo);

        ExpectTerminated(echo);
    }

    [Fact]
    public void Unwatch_ThenStop_NoTerminated()
    {
        var echo = ActorOf(Props.Create<Actors.Echo>());
        Watch(echo);
        Unwatch(echo);

        Sys.Stop(echo);

        ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public void Watch_FromActor_TerminatedHandledByWatcher()
    {
        var target = ActorOf(Props.Create<Actors.Echo>(), "target");
        var watcher = ActorOf(Props.Create(() => new Watcher(target, TestActor)));
        ExpectMsg("watching");

        target.Tell(PoisonPill.Instance);

        Assert.Equal(target, ExpectMsg<Terminated>().ActorRef);
    }

    [Fact]
    public void Watch_TerminatedNotHandled_WatcherDiesOfDeathPact()
    {
        var failures = CreateTestProbe("failures");
        Sys.EventStream.Subscribe<ActorFailed>(failures);
        var target = ActorOf(Props.Create<Actors.Echo>());
        var careless = ActorOf(Props.Create(() => new CarelessWatcher(target, TestActor)));
        ExpectMsg("watching");
        Watch(careless);

        Sys.Stop(target);

        Assert.IsType<DeathPactException>(failures.ExpectMsg<ActorFailed>().Exception);
        ExpectTerminated(careless);
    }

    [Fact]
    public void Stop_Parent_ChildrenStopFirst()
    {
        var parent = ActorOf(Props.Create(() => new Actors.Lifecycle(TestActor, "parent")));
        ExpectMsg("parent:PreStart");
        var replies = CreateTestProbe("replies");
        parent.Tell(Props.Create(() => new Actors.Lifecycle(TestActor, "child")), replies);
        ExpectMsg("child:PreStart");
        var child = replies.ExpectMsg<IActorRef>();

        // Terminated travels as a system message, so it is not ordered against other senders' mail:
        // lifecycle events and terminations are checked on separate probes.
        var watcher = CreateTestProbe("watcher");
        watcher.Watch(child);
        watcher.Watch(parent);

        Sys.Stop(parent);

        ExpectMsg("child:PostStop");
        ExpectMsg("parent:PostStop");
        watcher.ExpectTerminated(child);
        watcher.ExpectTerminated(parent);
    }

    [Fact]
    public void Stop_ThenActorOfSameName_NameReusableAfterTermination()
    {
        var first = ActorOf(Props.Create<Actors.Echo>(), "reused");
        Watch(first);
        Sys.Stop(first);
        ExpectTerminated(first);

        var second = ActorOf(Props.Create<Actors.Echo>(), "reused");
        second.Tell(new Ping(1), TestActor);

        ExpectMsg(new Ping(1));
        Assert.NotEqual(first, second);
        Assert.Equal(first.Path, second.Path);
    }

    [Fact]
    public void ContextStop_Self_ActorStops()
    {
        var actor = ActorOf(Props.Create<SelfStopper>());
        Watch(actor);

        actor.Tell("stop");

        ExpectTerminated(actor);
    }

    private sealed class Watcher : ReceiveActor
    {
        public Watcher(IActorRef target, IActorRef probe)
        {
            Context.Watch(target);
            probe.Tell("watching");
            Receive<Terminated>(t => probe.Tell(t));
        }
    }

    private sealed class CarelessWatcher : ReceiveActor
    {
        public CarelessWatcher(IActorRef target, IActorRef probe)
        {
            Context.Watch(target);
            probe.Tell("watching");
            Receive<string>(_ => { });
        }
    }

    private sealed class SelfStopper : ReceiveActor
    {
        public SelfStopper()
        {
            Receive<string>(_ => Context.Stop(Self));
        }
    }
}
