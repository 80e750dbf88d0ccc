using Edsos.Scheduler;
using Microsoft.Extensions.DependencyInjection;

namespace Edsos.Testing;

/// <summary>How an <see cref="EdsrtTestKit"/> builds its actor system.</summary>
public sealed class EdsrtTestKitOptions
{
    /// <summary>The system name; default "test".</summary>
    public string SystemName { get; set; } = "test";

    /// <summary>Drive timers with Akka's <c>TestScheduler</c> (time moves only on <c>Advance</c>) instead of real time.</summary>
    public bool UseTestScheduler { get; set; }

    /// <summary>The timeout of expectations that name none (<c>akka.test.single-expect-default</c>); 5 s for loaded machines.</summary>
    public TimeSpan DefaultTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Registers the services actors built through <c>DependencyResolver</c> can inject.</summary>
    public Action<IServiceCollection>? ConfigureServices { get; set; }

    /// <summary>Adjusts the EDSRT options (memory manager, dispatcher threads, ...) after the kit filled them in.</summary>
    public Action<EdsrtOptions>? ConfigureSystem { get; set; }
}
