using Edsos.Scheduler.TestKit;
using static Edsos.Scheduler.Tests.TestMessages;

namespace Edsos.Scheduler.Tests;

public sealed class SupervisionSpec : TestKitBase
{
    [Fact]
    public void Restart_DefaultStrategy_StateResetMailboxKept()
    {
        var counter = ActorOf(Props.Create<Actors.Counter>());
        counter.Tell(new Increment());
        counter.Tell(new Increment());

        counter.Tell(new Boom("bang"));
        counter.Tell(new Increment());
        counter.Tell(new GetState(), TestActor);

        // The Increment queued behind the failure survives the restart; the earlier two died with the old instance.
        ExpectMsg(new State(1));
    }

    [Fact]
    public void Failure_InHandler_PublishesActorFailedWithMessageAndException()
    {
        var failures = CreateTestProbe("failures");
        Sys.EventStream.Subscribe<ActorFailed>(failures);
        var counter = ActorOf(Props.Create<Actors.Counter>(), "fragile");

        counter.Tell(new Boom("reason 42"));

        var failed = failures.ExpectMsg<ActorFailed>();
        Assert.Equal(counter, failed.Actor);
        Assert.Equal(new Boom("reason 42"), failed.Message);
        Assert.Equal("reason 42", failed.Exception.Message);
    }

    [Fact]
    public void Restart_Hooks_PreRestartOnOldPostRestartOnNew()
    {
        var lifecycle = ActorOf(Props.Create(() => new Actors.Lifecycle(TestActor, "a")));
        ExpectMsg("a:PreStart");

        lifecycle.Tell(new Boom("x"));

        ExpectMsg("a:PreRestart:x");
        ExpectMsg("a:PostStop");
        ExpectMsg("a:PostRestart");
        ExpectMsg("a:PreStart");
    }

    [Fact]
    public void Supervisor_StopDirective_ChildStopped()
    {
        var parent = ActorOf(Props.Create(() => new Parent(TestActor)).WithSupervisorStrategy(SupervisorStrategy.StoppingStrategy));
        parent.Tell(Props.Create<Actors.Counter>(), TestActor);
        var child = ExpectMsg<IActorRef>();
        Watch(child);

        child.Tell(new Boom("stop me"));

        ExpectTerminated(child);
    }

    [Fact]
    public void Supervisor_ResumeDirective_StateKept()
    {
        var resume = new OneForOneStrategy(_ => Directive.Resume);
        var parent = ActorOf(Props.Create(() => new Parent(TestActor)).WithSupervisorStrategy(resume));
        parent.Tell(Props.Create<Actors.Counter>(), TestActor);
        var child = ExpectMsg<IActorRef>();

        child.Tell(new Increment());
        child.Tell(new Boom("ignore"));
        child.Tell(new Increment());
        child.Tell(new GetState(), TestActor);

        ExpectMsg(new State(2));
    }

    [Fact]
    public void Supervisor_EscalateDirective_GrandparentRestartsParentAndChildIsStopped()
    {
        var escalate = new OneForOneStrategy(_ => Directive.Escalate);
        var parent = ActorOf(Props.Create(() => new Actors.Lifecycle(TestActor, "parent")).WithSupervisorStrategy(escalate));
        ExpectMsg("parent:PreStart");
        var replies = CreateTestProbe("replies");
        parent.Tell(Props.Create(() => new Actors.Lifecycle(TestActor, "child")), replies);
        ExpectMsg("child:PreStart");
        var child = replies.ExpectMsg<IActorRef>();
        Watch(child);

        child.Tell(new Boom("deep"));

        // The guardian's default strategy restarts the parent, whose PreRestart stops the child.
        ExpectMsg("parent:PreRestart:deep");
        FishForMessage<Terminated>(t => t.ActorRef.Equals(child));
    }

    [Fact]
    public void Supervisor_RetryBudgetExhausted_ChildStopped()
    {
        var limited = new OneForOneStrategy(2, TimeSpan.FromMinutes(1), _ => Directive.Restart);
        var parent = ActorOf(Props.Create(() => new Parent(TestActor)).WithSupervisorStrategy(limited));
        parent.Tell(Props.Create<Actors.Counter>(), TestActor);
        var child = ExpectMsg<IActorRef>();
        Watch(child);

        child.Tell(new Boom("1"));
        child.Tell(new Boom("2"));
        child.Tell(new GetState(), TestActor);
        ExpectMsg(new State(0));
        child.Tell(new Boom("3"));

        ExpectTerminated(child);
    }

    [Fact]
    public void Create_ConstructorThrows_ActorInitializationFailureStopsActor()
    {
        var failures = CreateTestProbe("failures");
        Sys.EventStream.Subscribe<ActorFailed>(failures);

        var broken = ActorOf(Props.Create<Broken>());
        Watch(broken);

        var failed = failures.ExpectMsg<ActorFailed>();
        Assert.IsType<ActorInitializationException>(failed.Exception);
        Assert.Equal("constructor failed", failed.Exception.InnerException!.Message);
        ExpectTerminated(broken);
    }

    [Fact]
    public void AllForOne_OneChildFails_AllChildrenRestarted()
    {
        var allForOne = new AllForOneStrategy(_ => Directive.Restart);
        var parent = ActorOf(Props.Create(() => new Parent(TestActor)).WithSupervisorStrategy(allForOne));
        parent.Tell(Props.Create<Actors.Counter>(), TestActor);
        var first = ExpectMsg<IActorRef>();
        parent.Tell(Props.Create<Actors.Counter>(), TestActor);
        var second = ExpectMsg<IActorRef>();
        second.Tell(new Increment());
        second.Tell(new GetState(), TestActor);
        ExpectMsg(new State(1));

        first.Tell(new Boom("all"));

        AwaitAssert(() =>
        {
            second.Tell(new GetState(), TestActor);
            ExpectMsg(new State(0), TimeSpan.FromMilliseconds(500));
        });
    }

    [Fact]
    public void Kill_DefaultStrategy_ActorStopped()
    {
        var counter = ActorOf(Props.Create<Actors.Counter>());
        Watch(counter);

        counter.Tell(Kill.Instance);

        ExpectTerminated(counter);
    }

    private sealed class Parent : ReceiveActor
    {
        public Parent(IActorRef probe)
        {
            Receive<Props>(p => Sender.Tell(Context.ActorOf(p)));
        }
    }

    private sealed class Broken : ReceiveActor
    {
        public Broken()
        {
            throw new InvalidOperationException("constructor failed");
        }
    }
}
