using Akka.Configuration;
using Akka.Dispatch;

namespace Edsos.Scheduler;

/// <summary>
/// Builds a <see cref="ParkingExecutor"/> for a dispatcher whose <c>executor</c> names this type; reads
/// <c>parking-executor.thread-count</c> (default 2) and <c>parking-executor.spin</c> (default 0) from the
/// dispatcher's configuration.
/// </summary>
public sealed class ParkingExecutorConfigurator : ExecutorServiceConfigurator
{
    private readonly int _threads;
    private readonly int _spin;
    private readonly IDispatcherPrerequisites _prerequisites;

    /// <summary>Akka calls this with the dispatcher's configuration.</summary>
    public ParkingExecutorConfigurator(Config config, IDispatcherPrerequisites prerequisites)
        : base(config, prerequisites)
    {
        _prerequisites = prerequisites;
        var section = config?.GetConfig("parking-executor");
        _threads = section?.GetInt("thread-count", 2) ?? 2;
        _spin = section?.GetInt("spin", 0) ?? 0;
    }

    /// <summary>A new executor with the configured threads.</summary>
    public override ExecutorService Produce(string id) => new ParkingExecutor(id, _threads, _spin, _prerequisites);
}
