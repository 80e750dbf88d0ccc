using Edsos.Scheduler.TestKit;

namespace Edsos.Scheduler.Tests;

public sealed class ActorSystemSpec
{
    [Fact]
    public async Task Terminate_RunningActors_AllStoppedAndWhenTerminatedCompletes()
    {
        var system = ActorSystem.Create("lifecycle");
        var stopped = new CountdownEvent(3);
        for (int i = 0; i < 3; i++)
        {
            system.ActorOf(Props.Create(() => new StopCounter(stopped)));
        }

        await system.Terminate().WaitAsync(TimeSpan.FromSeconds(15));

        Assert.True(stopped.Wait(0));
        Assert.True(system.WhenTerminated.IsCompleted);
    }

    [Fact]
    public async Task ActorOf_AfterTerminate_Throws()
    {
        var system = ActorSystem.Create("gone");
        await system.DisposeAsync();

        Assert.Throws<InvalidOperationException>(() => system.ActorOf(Props.Create<Actors.Echo>()));
    }

    [Fact]
    public void Create_NameWithSlash_Throws()
    {
        Assert.Throws<ArgumentException>(() => ActorSystem.Create("a/b"));
    }

    [Fact]
    public void Create_SingleWorker_ActorsStillServedFairly()
    {
        using var kit = new SingleWorkerKit();
        var busy = kit.ActorOf(Props.Create<Actors.Counter>());
        var echo = kit.ActorOf(Props.Create<Actors.Echo>());
        for (int i = 0; i < 10_000; i++)
        {
            busy.Tell(new TestMessages.Increment());
        }

        echo.Tell("hi", kit.TestActor);

        kit.ExpectMsg("hi", TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void ActorBase_ConstructedWithNew_Throws()
    {
        Assert.Throws<InvalidOperationException>(() => new Actors.Echo());
    }

    private sealed class SingleWorkerKit : TestKitBase
    {
        public SingleWorkerKit()
            : base(new TestKitOptions { ConfigureSystem = o => o.WorkerCount = 1 })
        {
        }
    }

    private sealed class StopCounter : ReceiveActor
    {
        private readonly CountdownEvent _stopped;

        public StopCounter(CountdownEvent stopped)
        {
            _stopped = stopped;
        }

        protected override void PostStop() => _stopped.Signal();
    }
}
