using System.Globalization;
using Akka.Actor.Setup;
using Akka.TestKit;
using Edsos.Scheduler;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Edsos.Testing;

/// <summary>
/// Akka.TestKit.Xunit2's <c>TestKit</c> on an EDSRT system: one fresh actor system per test with the EDSRT
/// extension (its memory manager, tree spaces, faults, tracing), an optional manual clock, and the
/// services the test registers. Everything else (<c>ExpectMsg</c>, <c>TestProbe</c>, <c>Within</c>,
/// <c>AwaitAssert</c>, <c>FishForMessage</c>, <c>ExpectTerminated</c>) is Akka's.
/// </summary>
public abstract class EdsrtTestKit : Akka.TestKit.Xunit2.TestKit
{
    private readonly ServiceProvider _services;

    /// <summary>Creates the system described by <paramref name="options"/> (defaults: real time, 5 s expectations).</summary>
    protected EdsrtTestKit(EdsrtTestKitOptions? options = null, ITestOutputHelper? output = null)
        : this(options ?? new EdsrtTestKitOptions(), BuildServices(options), output)
    {
    }

    private EdsrtTestKit(EdsrtTestKitOptions options, ServiceProvider services, ITestOutputHelper? output)
        : base(BuildSetup(options, services), options.SystemName, output)
    {
        _services = services;
    }

    /// <summary>The manual scheduler when the options asked for one; null under real time.</summary>
    public TestScheduler? TestScheduler => Sys.Scheduler as TestScheduler;

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            _services.Dispose();
        }
    }

    private static ServiceProvider BuildServices(EdsrtTestKitOptions? options)
    {
        var collection = new ServiceCollection();
        options?.ConfigureServices?.Invoke(collection);
        return collection.BuildServiceProvider();
    }

    private static ActorSystemSetup BuildSetup(EdsrtTestKitOptions options, ServiceProvider services)
    {
        string timeout = ((long)options.DefaultTimeout.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
        var edsrt = new EdsrtOptions
        {
            Services = services,
            UseTestScheduler = options.UseTestScheduler,
            ExtraConfig = $"akka.test.single-expect-default = {timeout}ms\nakka.test.default-timeout = {timeout}ms",
        };
        options.ConfigureSystem?.Invoke(edsrt);
        return Edsrt.BuildSetup(edsrt);
    }
}
