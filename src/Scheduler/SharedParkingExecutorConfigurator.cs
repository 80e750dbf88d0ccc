using Akka.Configuration;
using Akka.Dispatch;

namespace Edsos.Scheduler;

/// <summary>
/// The executor of <see cref="EdsrtDispatcher.Shared"/>: a handle on the process's shared <see cref="ParkingExecutor"/>
/// named by the <c>shared</c> key of the dispatcher's <c>shared-executor</c> section (the same keys as
/// <see cref="ParkingExecutorConfigurator"/>'s <c>parking-executor</c>). A section of its own, so that a dispatcher
/// configured over the default with <c>ParkingExecutorConfigurator</c> and a <c>parking-executor</c> section does not
/// inherit the shared key, the spares or the continuations from it.
/// </summary>
public sealed class SharedParkingExecutorConfigurator : ExecutorServiceConfigurator
{
    private readonly ParkingExecutorSettings _settings;
    private readonly IDispatcherPrerequisites _prerequisites;

    /// <summary>Akka calls this with the dispatcher's configuration. Throws <see cref="ConfigurationException"/> without a <c>shared</c> key.</summary>
    public SharedParkingExecutorConfigurator(Config config, IDispatcherPrerequisites prerequisites)
        : base(config, prerequisites)
    {
        _prerequisites = prerequisites;
        _settings = ParkingExecutorConfigurator.Read(config?.GetConfig("shared-executor"));
        if (_settings.Shared is null)
        {
            throw new ConfigurationException("shared-executor needs a shared key");
        }
    }

    /// <inheritdoc />
    public override ExecutorService Produce(string id) => SharedParkingExecutorHandle.Acquire(id, _settings.Shared!, _settings, _prerequisites);
}
