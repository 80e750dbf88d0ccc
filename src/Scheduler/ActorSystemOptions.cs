using Edsos.Memory;

namespace Edsos.Scheduler;

/// <summary>Settings of an <see cref="ActorSystem"/>. Every property has a working default.</summary>
public sealed class ActorSystemOptions
{
    /// <summary>
    /// The container actors built with <see cref="Props.FromServices{TActor}"/> resolve from. Null: an empty
    /// container. The system does not dispose a provider it was given.
    /// </summary>
    public IServiceProvider? Services { get; set; }

    /// <summary>The memory manager that owns the tree spaces. Null: the system creates (and disposes) a small private one.</summary>
    public MemoryManager? Memory { get; set; }

    /// <summary>Pages of the private memory manager created when <see cref="Memory"/> is null.</summary>
    public int PrivateMemoryPages { get; set; } = 1024;

    /// <summary>The clock driving timers and delayed Tells. Null: real time on one dedicated thread.</summary>
    public IScheduler? Scheduler { get; set; }

    /// <summary>Dispatcher worker threads; default one per processor.</summary>
    public int WorkerCount { get; set; } = Environment.ProcessorCount;

    /// <summary>Messages an actor handles per turn before the worker moves on to another actor; default 32.</summary>
    public int Throughput { get; set; } = 32;

    /// <summary>The strategy of the <c>/user</c> guardian for top-level actors; default <see cref="SupervisorStrategy.DefaultStrategy"/>.</summary>
    public SupervisorStrategy? GuardianStrategy { get; set; }
}
