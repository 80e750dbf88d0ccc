using Edsos.Scheduler.TestKit;
using static Edsos.Scheduler.Tests.TestMessages;

namespace Edsos.Scheduler.Tests;

public sealed class MailboxSpec : TestKitBase
{
    [Fact]
    public void Tell_ManyFromOneSender_ArriveInOrder()
    {
        var forwarder = ActorOf(Props.Create(() => new Actors.Forwarder(TestActor)));

        for (int i = 0; i < 2000; i++)
        {
            forwarder.Tell(new Ping(i), TestActor);
        }

        for (int i = 0; i < 2000; i++)
        {
            ExpectMsg(new Ping(i));
        }
    }

    [Fact]
    public void Tell_FromSeveralThreads_HandlerNeverRunsConcurrently()
    {
        var actor = ActorOf(Props.Create<ConcurrencyCheck>());
        const int threads = 4;
        const int perThread = 5000;

        var senders = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            senders[t] = new Thread(() =>
            {
                for (int i = 0; i < perThread; i++)
                {
                    actor.Tell(new Increment());
                }
            });
            senders[t].Start();
        }

        foreach (var thread in senders)
        {
            thread.Join();
        }

        actor.Tell(new GetState(), TestActor);
        var result = ExpectMsg<ConcurrencyResult>(TimeSpan.FromSeconds(30));
        Assert.Equal(threads * perThread, result.Handled);
        Assert.Equal(1, result.MaxConcurrent);
    }

    [Fact]
    public void Tell_OneActorFlooded_OtherActorsStillServed()
    {
        var busy = ActorOf(Props.Create<Actors.Counter>(), "busy");
        var echo = ActorOf(Props.Create<Actors.Echo>(), "echo");
        for (int i = 0; i < 50_000; i++)
        {
            busy.Tell(new Increment());
        }

        echo.Tell(new Ping(1), TestActor);

        ExpectMsg(new Ping(1), TimeSpan.FromSeconds(10));
        busy.Tell(new GetState(), TestActor);
        ExpectMsg(new State(50_000), TimeSpan.FromSeconds(30));
    }

    [Fact]
    public void PoisonPill_QueuedBehindMessages_EarlierHandledLaterDeadLettered()
    {
        var dead = CreateTestProbe("dead");
        Sys.EventStream.Subscribe<DeadLetter>(dead);
        var echo = ActorOf(Props.Create<Actors.Echo>());
        Watch(echo);

        echo.Tell(new Ping(1), TestActor);
        echo.Tell(PoisonPill.Instance);
        echo.Tell(new Ping(2), TestActor);

        ExpectMsg(new Ping(1));
        ExpectTerminated(echo);
        Assert.Equal(new Ping(2), dead.ExpectMsg<DeadLetter>().Message);
    }

    [Fact]
    public void Stop_WithQueuedMail_SystemMessageOvertakesUserMail()
    {
        var dead = CreateTestProbe("dead");
        Sys.EventStream.Subscribe<DeadLetter>(dead);
        var gate = new ManualResetEventSlim(false);
        var blocker = ActorOf(Props.Create(() => new Blocker(gate)));
        blocker.Tell("block", TestActor);
        ExpectMsg("blocking");
        for (int i = 0; i < 10; i++)
        {
            blocker.Tell(new Ping(i), TestActor);
        }

        Watch(blocker);
        Sys.Stop(blocker);
        gate.Set();

        ExpectTerminated(blocker);
        var letters = dead.ReceiveN(10);
        Assert.All(letters, l => Assert.IsType<Ping>(((DeadLetter)l).Message));
    }

    [Fact]
    public void UntypedActor_OnReceive_HandlesAndReportsUnhandled()
    {
        var unhandled = CreateTestProbe("unhandled");
        Sys.EventStream.Subscribe<UnhandledMessage>(unhandled);
        var actor = ActorOf(Props.Create<Untyped>());

        actor.Tell("hello", TestActor);
        actor.Tell(42, TestActor);

        ExpectMsg("hello!");
        Assert.Equal(42, unhandled.ExpectMsg<UnhandledMessage>().Message);
    }

    public sealed record ConcurrencyResult(int Handled, int MaxConcurrent);

    private sealed class ConcurrencyCheck : ReceiveActor
    {
        private int _inside;
        private int _max;
        private int _handled;

        public ConcurrencyCheck()
        {
            Receive<Increment>(_ =>
            {
                int now = Interlocked.Increment(ref _inside);
                _max = Math.Max(_max, now);
                Thread.SpinWait(50);
                _handled++;
                Interlocked.Decrement(ref _inside);
            });
            Receive<GetState>(_ => Sender.Tell(new ConcurrencyResult(_handled, _max)));
        }
    }

    private sealed class Blocker : ReceiveActor
    {
        public Blocker(ManualResetEventSlim gate)
        {
            Receive<string>(_ =>
            {
                Sender.Tell("blocking");
                gate.Wait(TimeSpan.FromSeconds(10));
            });
            Receive<Ping>(p => Sender.Tell(p));
        }
    }

    private sealed class Untyped : UntypedActor
    {
        protected override void OnReceive(object message)
        {
            if (message is string s)
            {
                Sender.Tell(s + "!");
            }
            else
            {
                Unhandled(message);
            }
        }
    }
}
