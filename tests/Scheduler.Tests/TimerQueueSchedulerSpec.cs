using Akka.Actor;
using Akka.TestKit.Xunit2;

namespace Edsos.Scheduler.Tests;

/// <summary>An EDSRT system's scheduler is the <see cref="TimerQueueScheduler"/>: tells, timers and cancels behave as Akka's.</summary>
public sealed class TimerQueueSchedulerSpec : TestKit
{
    public TimerQueueSchedulerSpec()
        : base(Edsrt.BuildSetup(new EdsrtOptions()), "timer-queue")
    {
    }

    [Fact]
    public void System_UsesTheTimerQueueScheduler()
    {
        Assert.IsType<TimerQueueScheduler>(Sys.Scheduler);
    }

    [Fact]
    public void ScheduleTellOnce_ArrivesAfterTheDelayNotBefore()
    {
        Sys.Scheduler.ScheduleTellOnce(TimeSpan.FromMilliseconds(300), TestActor, "due", ActorRefs.NoSender);

        ExpectNoMsg(TimeSpan.FromMilliseconds(150));
        ExpectMsg("due", TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void ScheduleTellOnceCancelable_CancelledBeforeDue_NeverArrives()
    {
        var cancelable = Sys.Scheduler.ScheduleTellOnceCancelable(TimeSpan.FromMilliseconds(200), TestActor, "cancelled", ActorRefs.NoSender);

        cancelable.Cancel();

        ExpectNoMsg(TimeSpan.FromMilliseconds(600));
    }

    [Fact]
    public void ScheduleTellRepeatedly_RepeatsUntilCancelled()
    {
        var cancelable = Sys.Scheduler.ScheduleTellRepeatedlyCancelable(TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(50), TestActor, "tick", ActorRefs.NoSender);

        ExpectMsg("tick", TimeSpan.FromSeconds(5));
        ExpectMsg("tick", TimeSpan.FromSeconds(5));
        ExpectMsg("tick", TimeSpan.FromSeconds(5));
        cancelable.Cancel();
        ReceiveWhile(TimeSpan.FromMilliseconds(100), m => m);

        ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public void ActorTimers_LaterTimerWithTheSameKeyReplacesTheFirst()
    {
        var actor = Sys.ActorOf(Props.Create(() => new TimerOwner(TestActor)));

        actor.Tell("arm-twice");

        ExpectMsg("second", TimeSpan.FromSeconds(5));
        ExpectNoMsg(TimeSpan.FromMilliseconds(400));
    }

    [Fact]
    public void Dispose_PendingEntriesNeverRun()
    {
        using var scheduler = new TimerQueueScheduler(Akka.Configuration.Config.Empty, Sys.Log);
        bool ran = false;
        ((IScheduler)scheduler).Advanced.ScheduleOnce(TimeSpan.FromMilliseconds(100), () => ran = true);

        scheduler.Dispose();
        Thread.Sleep(400);

        Assert.False(ran);
    }

    private sealed class TimerOwner : EdsrtActor
    {
        public TimerOwner(IActorRef probe)
        {
            Receive<string>(m => m == "arm-twice", _ =>
            {
                Timers.StartSingleTimer("k", "first", TimeSpan.FromMilliseconds(100));
                Timers.StartSingleTimer("k", "second", TimeSpan.FromMilliseconds(200));
            });
            Receive<string>(m => probe.Tell(m));
        }
    }
}
