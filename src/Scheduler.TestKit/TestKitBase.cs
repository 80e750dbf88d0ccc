using Microsoft.Extensions.DependencyInjection;

namespace Edsos.Scheduler.TestKit;

/// <summary>
/// Base class of actor specs: one fresh <see cref="ActorSystem"/> per test (xunit creates one instance per
/// test), a default probe (<see cref="TestActor"/>) that the <c>Expect*</c> methods read, more probes on
/// demand, and an optional <see cref="TestScheduler"/> for deterministic timers. Disposing terminates the
/// system.
/// </summary>
public abstract partial class TestKitBase : IDisposable
{
    private readonly ServiceProvider _services;
    private readonly TestProbe _testActor;
    private int _probeCounter;
    private bool _disposed;

    /// <summary>Creates the system described by <paramref name="options"/> (defaults: real time, 5 s expectation timeout).</summary>
    protected TestKitBase(TestKitOptions? options = null)
    {
        options ??= new TestKitOptions();
        DefaultTimeout = options.DefaultTimeout;
        var collection = new ServiceCollection();
        options.ConfigureServices?.Invoke(collection);
        _services = collection.BuildServiceProvider();
        if (options.UseTestScheduler)
        {
            TestScheduler = new TestScheduler();
        }

        var systemOptions = new ActorSystemOptions
        {
            Services = _services,
            Scheduler = TestScheduler,
        };
        options.ConfigureSystem?.Invoke(systemOptions);
        Sys = ActorSystem.Create(options.SystemName, systemOptions);
        _testActor = CreateTestProbe("testActor");
    }

    /// <summary>The system under test.</summary>
    public ActorSystem Sys { get; }

    /// <summary>The manual scheduler, when the options asked for one; null under real time.</summary>
    public TestScheduler? TestScheduler { get; }

    /// <summary>The timeout of expectations that name none (outside a Within block).</summary>
    public TimeSpan DefaultTimeout { get; }

    /// <summary>The default probe: the <c>Expect*</c> methods of the kit read its mail. Use it as the sender of Tells whose replies you expect.</summary>
    public TestProbe TestActor => _testActor;

    /// <summary>The sender of the last message the default probe took.</summary>
    public IActorRef LastSender => _testActor.LastSender;

    /// <summary>Creates a probe named after <paramref name="name"/> (a suffix keeps names unique).</summary>
    public TestProbe CreateTestProbe(string name = "probe")
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        int n = Interlocked.Increment(ref _probeCounter);
        return new TestProbe(Sys, $"{name}-{n}", DefaultTimeout);
    }

    /// <summary>Creates a top-level actor in <see cref="Sys"/>.</summary>
    public IActorRef ActorOf(Props props, string? name = null) => Sys.ActorOf(props, name);

    /// <summary>Terminates the system (waiting up to 15 s) and disposes the test's service provider.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the system; override to release more, calling the base.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (_disposed || !disposing)
        {
            return;
        }

        _disposed = true;
        Sys.Terminate().Wait(TimeSpan.FromSeconds(15));
        _services.Dispose();
    }
}
