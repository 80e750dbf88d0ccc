using Microsoft.Extensions.DependencyInjection;

namespace Edsos.Scheduler.TestKit;

/// <summary>How a <see cref="TestKitBase"/> builds its actor system.</summary>
public sealed class TestKitOptions
{
    /// <summary>The system name; default "test".</summary>
    public string SystemName { get; set; } = "test";

    /// <summary>Drive timers with a <see cref="TestScheduler"/> (time moves only on <see cref="TestScheduler.Advance"/>) instead of real time.</summary>
    public bool UseTestScheduler { get; set; }

    /// <summary>The timeout of expectations that name none; generous by default (5 s) for loaded machines.</summary>
    public TimeSpan DefaultTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Registers the services actors built with <see cref="Props.FromServices{TActor}"/> can inject.</summary>
    public Action<IServiceCollection>? ConfigureServices { get; set; }

    /// <summary>Adjusts the system options (worker count, memory manager, ...) after the TestKit filled them in.</summary>
    public Action<ActorSystemOptions>? ConfigureSystem { get; set; }
}
