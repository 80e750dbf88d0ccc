using Edsos.Scheduler.TestKit;

namespace Edsos.Scheduler.Tests;

public sealed class ManualTimerSpec : TestKitBase
{
    public ManualTimerSpec()
        : base(new TestKitOptions { UseTestScheduler = true })
    {
    }

    private TestScheduler Clock => TestScheduler!;

    [Fact]
    public void StartSingleTimer_AdvanceBeforeAndAfterDue_FiresOnlyWhenDue()
    {
        var actor = ActorOf(Props.Create(() => new TimerActor(TestActor)));
        actor.Tell(new StartSingle("tick", TimeSpan.FromSeconds(10)));
        ExpectMsg("started");

        Clock.Advance(TimeSpan.FromSeconds(9));
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        Clock.Advance(TimeSpan.FromSeconds(1));

        ExpectMsg("tick");
        actor.Tell("active?");
        ExpectMsg("inactive");
    }

    [Fact]
    public void StartPeriodicTimer_AdvanceFiveIntervals_FiresExactlyFiveTimes()
    {
        var actor = ActorOf(Props.Create(() => new TimerActor(TestActor)));
        actor.Tell(new StartPeriodic("beat", TimeSpan.FromSeconds(1)));
        ExpectMsg("started");

        Clock.Advance(TimeSpan.FromSeconds(5));

        for (int i = 0; i < 5; i++)
        {
            ExpectMsg("beat");
        }

        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        actor.Tell("active?");
        ExpectMsg("active");
    }

    [Fact]
    public void Cancel_BeforeDue_NeverFires()
    {
        var actor = ActorOf(Props.Create(() => new TimerActor(TestActor)));
        actor.Tell(new StartSingle("tick", TimeSpan.FromSeconds(1)));
        ExpectMsg("started");
        actor.Tell("cancel");
        ExpectMsg("cancelled");

        Clock.Advance(TimeSpan.FromSeconds(5));

        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void StartSingleTimer_SameKeyTwice_OnlyReplacementFires()
    {
        var actor = ActorOf(Props.Create(() => new TimerActor(TestActor)));
        actor.Tell(new StartSingle("first", TimeSpan.FromSeconds(1)));
        ExpectMsg("started");
        actor.Tell(new StartSingle("second", TimeSpan.FromSeconds(2)));
        ExpectMsg("started");

        Clock.Advance(TimeSpan.FromSeconds(3));

        ExpectMsg("second");
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void Stop_ActorWithPeriodicTimer_TimerCancelled()
    {
        var dead = CreateTestProbe("dead");
        Sys.EventStream.Subscribe<DeadLetter>(dead);
        var actor = ActorOf(Props.Create(() => new TimerActor(TestActor)));
        actor.Tell(new StartPeriodic("beat", TimeSpan.FromSeconds(1)));
        ExpectMsg("started");
        Watch(actor);
        Sys.Stop(actor);
        ExpectTerminated(actor);

        Clock.Advance(TimeSpan.FromSeconds(10));

        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        dead.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void Restart_ActorWithTimer_TimerCancelled()
    {
        var actor = ActorOf(Props.Create(() => new TimerActor(TestActor)));
        actor.Tell(new StartPeriodic("beat", TimeSpan.FromSeconds(1)));
        ExpectMsg("started");

        actor.Tell("boom");
        actor.Tell("after restart");
        ExpectMsg("after restart");
        Clock.Advance(TimeSpan.FromSeconds(3));

        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void ScheduleTellOnce_ManualClock_DeliveredAtDueTime()
    {
        Sys.Scheduler.ScheduleTellOnce(TimeSpan.FromMinutes(1), TestActor, "later");

        Clock.Advance(TimeSpan.FromSeconds(59));
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        Clock.Advance(TimeSpan.FromSeconds(1));

        ExpectMsg("later");
        Assert.Equal(TimeSpan.FromMinutes(1), Clock.Elapsed);
    }

    private sealed record StartSingle(string Message, TimeSpan Delay);

    private sealed record StartPeriodic(string Message, TimeSpan Interval);

    private sealed class TimerActor : ReceiveActor
    {
        public TimerActor(IActorRef probe)
        {
            Receive<StartSingle>(s =>
            {
                Timers.StartSingleTimer("key", s.Message, s.Delay);
                probe.Tell("started");
            });
            Receive<StartPeriodic>(s =>
            {
                Timers.StartPeriodicTimer("key", s.Message, s.Interval);
                probe.Tell("started");
            });
            Receive<string>(s => s == "cancel", _ =>
            {
                Timers.Cancel("key");
                probe.Tell("cancelled");
            });
            Receive<string>(s => s == "active?", _ => probe.Tell(Timers.IsTimerActive("key") ? "active" : "inactive"));
            Receive<string>(s => s == "boom", _ => throw new InvalidOperationException("boom"));
            Receive<string>(s => probe.Tell(s));
        }
    }
}
