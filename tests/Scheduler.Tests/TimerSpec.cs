using Edsos.Scheduler.TestKit;

namespace Edsos.Scheduler.Tests;

public sealed class TimerSpec : TestKitBase
{
    [Fact]
    public void StartSingleTimer_RealTime_MessageArrivesOnce()
    {
        var actor = ActorOf(Props.Create(() => new TimerActor(TestActor)));

        actor.Tell(new StartSingle("tick", TimeSpan.FromMilliseconds(50)));

        ExpectMsg("started");
        ExpectMsg("tick");
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void StartPeriodicTimer_RealTime_RepeatsUntilCancelled()
    {
        var actor = ActorOf(Props.Create(() => new TimerActor(TestActor)));

        actor.Tell(new StartPeriodic("beat", TimeSpan.FromMilliseconds(30)));
        ExpectMsg("started");
        ExpectMsg("beat");
        ExpectMsg("beat");
        actor.Tell("cancel");

        FishForMessage<string>(s => s == "cancelled");
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    private sealed record StartSingle(string Message, TimeSpan Delay);

    private sealed record StartPeriodic(string Message, TimeSpan Interval);

    internal sealed class TimerActor : ReceiveActor
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
            Receive<string>(s => probe.Tell(s));
        }
    }
}
