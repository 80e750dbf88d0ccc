using Akka.TestKit;
using Edsos.Testing;

namespace Edsos.Protocol.Tests;

/// <summary>A <see cref="DeadlineTimer"/> in a real actor on Akka's manual clock.</summary>
public sealed class DeadlineTimerSpec : EdsrtTestKit
{
    public DeadlineTimerSpec()
        : base(new EdsrtTestKitOptions { UseTestScheduler = true })
    {
    }

    private TestScheduler Clock => TestScheduler!;

    [Fact]
    public void Schedule_EarlierDeadline_RearmsAndFiresThen()
    {
        var owner = StartOwner();
        owner.Tell(new Due(TimeSpan.FromMilliseconds(100)), TestActor);
        Assert.Equal(Clock.Now + TimeSpan.FromMilliseconds(100), ExpectMsg<ArmedAt>().At);

        owner.Tell(new Due(TimeSpan.FromMilliseconds(40)), TestActor);
        Assert.Equal(Clock.Now + TimeSpan.FromMilliseconds(40), ExpectMsg<ArmedAt>().At);
        Clock.Advance(TimeSpan.FromMilliseconds(45));

        ExpectMsg<Ticked>();
    }

    [Fact]
    public void Schedule_LaterDeadline_KeepsTheArmedOneWhichFiresEarly()
    {
        var owner = StartOwner();
        owner.Tell(new Due(TimeSpan.FromMilliseconds(50)), TestActor);
        var first = ExpectMsg<ArmedAt>().At;

        owner.Tell(new Due(TimeSpan.FromMilliseconds(500)), TestActor);

        Assert.Equal(first, ExpectMsg<ArmedAt>().At);
        Clock.Advance(TimeSpan.FromMilliseconds(60));
        ExpectMsg<Ticked>();
    }

    [Fact]
    public void Schedule_NothingDue_KeepsTheArmedTimerWhichFiresOnce()
    {
        var owner = StartOwner();
        owner.Tell(new Due(TimeSpan.FromMilliseconds(50)), TestActor);
        var first = ExpectMsg<ArmedAt>().At;

        owner.Tell(new Due(null), TestActor);
        owner.Tell(new Due(TimeSpan.FromMilliseconds(80)), TestActor);

        Assert.Equal(first, ExpectMsg<ArmedAt>().At);
        Assert.Equal(first, ExpectMsg<ArmedAt>().At);
        Clock.Advance(TimeSpan.FromMilliseconds(60));
        ExpectMsg<Ticked>();
        Clock.Advance(TimeSpan.FromMilliseconds(100));
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void Cancel_Armed_NoTick()
    {
        var owner = StartOwner();
        owner.Tell(new Due(TimeSpan.FromMilliseconds(50)), TestActor);
        ExpectMsg<ArmedAt>();

        owner.Tell(new CancelIt(), TestActor);

        Assert.Null(ExpectMsg<ArmedAt>().At);
        Clock.Advance(TimeSpan.FromMilliseconds(100));
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void Fired_ThenALaterDeadline_ArmedAgain()
    {
        var owner = StartOwner();
        owner.Tell(new Due(TimeSpan.FromMilliseconds(10)), TestActor);
        ExpectMsg<ArmedAt>();
        Clock.Advance(TimeSpan.FromMilliseconds(20));
        ExpectMsg<Ticked>();

        owner.Tell(new Due(TimeSpan.FromMilliseconds(300)), TestActor);

        Assert.Equal(Clock.Now + TimeSpan.FromMilliseconds(300), ExpectMsg<ArmedAt>().At);
    }

    private IActorRef StartOwner()
    {
        var owner = Sys.ActorOf(Props.Create(() => new Owner(TestActor)));
        owner.Tell(new Due(null), TestActor);
        ExpectMsg<ArmedAt>();
        return owner;
    }

    private sealed record Due(TimeSpan? In);

    private sealed record CancelIt;

    private sealed record ArmedAt(DateTimeOffset? At);

    private sealed record Ticked;

    private sealed record Tick;

    private sealed class Owner : EdsrtActor
    {
        private readonly DeadlineTimer _timer = new("t", new Tick());

        public Owner(IActorRef probe)
        {
            Receive<Due>(d =>
            {
                var now = Context.System.Scheduler.Now;
                _timer.Schedule(Timers, d.In is { } after ? now + after : null, now);
                Sender.Tell(new ArmedAt(_timer.Armed));
            });
            Receive<CancelIt>(_ =>
            {
                _timer.Cancel(Timers);
                Sender.Tell(new ArmedAt(_timer.Armed));
            });
            Receive<Tick>(_ =>
            {
                _timer.Fired();
                probe.Tell(new Ticked());
            });
        }
    }
}
