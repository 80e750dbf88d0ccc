using Edsos.Memory;
using Microsoft.Extensions.Logging;

namespace Edsos.Scheduler;

/// <summary>
/// How <see cref="Edsrt.Create"/> builds an EDSOS host's Akka.NET actor system. Every property has a
/// working default; <see cref="ExtraConfig"/> is HOCON laid over the EDSRT defaults (for example
/// <c>akka.actor.provider = remote</c>).
/// </summary>
public sealed class EdsrtOptions
{
    /// <summary>
    /// The container that <c>Akka.DependencyInjection</c>'s <c>DependencyResolver</c> builds actors from.
    /// Null: none (actors that need services cannot be created). The system does not dispose it.
    /// </summary>
    public IServiceProvider? Services { get; set; }

    /// <summary>The memory manager that owns the tree spaces. Null: the system creates (and disposes) a small private one.</summary>
    public MemoryManager? Memory { get; set; }

    /// <summary>Pages of the private memory manager created when <see cref="Memory"/> is null.</summary>
    public int PrivateMemoryPages { get; set; } = 1024;

    /// <summary>
    /// Runs the system on Akka's manual <c>Akka.TestKit.TestScheduler</c> (time moves only when a test
    /// advances it). Needs the Akka.TestKit assembly at run time.
    /// </summary>
    public bool UseTestScheduler { get; set; }

    /// <summary>The default dispatcher's executor; default <see cref="EdsrtDispatcher.Shared"/>.</summary>
    public EdsrtDispatcher Dispatcher { get; set; } = EdsrtDispatcher.Shared;

    /// <summary>
    /// Threads of the default dispatcher: of the shared executor (spares aside), or of the system's own fork-join pool;
    /// default 2. <see cref="EdsrtDispatcher.SharedPerCpu"/> has one per CPU instead.
    /// </summary>
    public int DispatcherThreads { get; set; } = 2;

    /// <summary>Messages an actor handles per turn before its thread moves on to another actor; default 32.</summary>
    public int Throughput { get; set; } = 32;

    /// <summary>Where Akka's own log events go (routed by <see cref="Logging.LoggerFactoryLogger"/>). Null: nowhere.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>Akka's log level for its own events (<c>DEBUG</c>, <c>INFO</c>, <c>WARNING</c>, <c>ERROR</c>, <c>OFF</c>); default WARNING.</summary>
    public string LogLevel { get; set; } = "WARNING";

    /// <summary>HOCON laid over the EDSRT defaults, or null.</summary>
    public string? ExtraConfig { get; set; }
}
