using Edsos.Scheduler.TestKit;
using Microsoft.Extensions.DependencyInjection;

namespace Edsos.Scheduler.Tests;

public sealed class DependencyInjectionSpec : TestKitBase
{
    public DependencyInjectionSpec()
        : base(new TestKitOptions
        {
            ConfigureServices = services =>
            {
                services.AddSingleton<IGreeter, Greeter>();
                services.AddScoped<ScopedResource>();
            },
        })
    {
    }

    public interface IGreeter
    {
        string Greet(string name);
    }

    [Fact]
    public void FromServices_ServiceRegistered_InjectedIntoActor()
    {
        var actor = ActorOf(Props.FromServices<GreetingActor>());

        actor.Tell("Ada", TestActor);

        ExpectMsg("hello Ada");
    }

    [Fact]
    public void FromServices_ExtraArgument_CombinedWithInjectedService()
    {
        var actor = ActorOf(Props.FromServices<PrefixedGreetingActor>("Dr."));

        actor.Tell("Ada", TestActor);

        ExpectMsg("hello Dr. Ada");
    }

    [Fact]
    public void FromServices_ActorStops_ItsServiceScopeDisposed()
    {
        var actor = ActorOf(Props.FromServices<ScopedActor>());
        actor.Tell("get", TestActor);
        var resource = ExpectMsg<ScopedResource>();
        Watch(actor);

        Sys.Stop(actor);

        ExpectTerminated(actor);
        AwaitAssert(() => Assert.True(resource.Disposed));
    }

    [Fact]
    public void FromServices_MissingService_ActorFailsToStartAndStops()
    {
        var failures = CreateTestProbe("failures");
        Sys.EventStream.Subscribe<ActorFailed>(failures);

        var actor = ActorOf(Props.FromServices<NeedsMissing>());
        Watch(actor);

        Assert.IsType<ActorInitializationException>(failures.ExpectMsg<ActorFailed>().Exception);
        ExpectTerminated(actor);
    }

    public sealed class Greeter : IGreeter
    {
        public string Greet(string name) => "hello " + name;
    }

    public sealed class ScopedResource : IDisposable
    {
        public bool Disposed { get; private set; }

        public void Dispose() => Disposed = true;
    }

    public sealed class Missing
    {
    }

    public sealed class GreetingActor : ReceiveActor
    {
        public GreetingActor(IGreeter greeter)
        {
            Receive<string>(name => Sender.Tell(greeter.Greet(name)));
        }
    }

    public sealed class PrefixedGreetingActor : ReceiveActor
    {
        public PrefixedGreetingActor(IGreeter greeter, string prefix)
        {
            Receive<string>(name => Sender.Tell(greeter.Greet(prefix + " " + name)));
        }
    }

    public sealed class ScopedActor : ReceiveActor
    {
        public ScopedActor(ScopedResource resource)
        {
            Receive<string>(_ => Sender.Tell(resource));
        }
    }

    public sealed class NeedsMissing : ReceiveActor
    {
        public NeedsMissing(Missing missing)
        {
            _ = missing;
        }
    }
}
