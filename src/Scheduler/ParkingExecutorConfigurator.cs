using Akka.Configuration;
using Akka.Dispatch;

namespace Edsos.Scheduler;

/// <summary>
/// Builds a <see cref="ParkingExecutor"/> for a dispatcher whose <c>executor</c> names this type, with the
/// <see cref="ParkingExecutorSettings"/> of the dispatcher's <c>parking-executor</c> section (<c>thread-count</c>,
/// <c>spin</c>, <c>spin-us</c>, <c>spin-yield</c>, <c>shared</c>, <c>run-continuations</c>, <c>queue-per-thread</c>, <c>max-threads</c>,
/// <c>blocked-after-ms</c>, <c>saturated-after-ms</c>, <c>spare-lease-ms</c>).
/// </summary>
public sealed class ParkingExecutorConfigurator : ExecutorServiceConfigurator
{
    private readonly ParkingExecutorSettings _settings;
    private readonly IDispatcherPrerequisites _prerequisites;

    /// <summary>Akka calls this with the dispatcher's configuration.</summary>
    public ParkingExecutorConfigurator(Config config, IDispatcherPrerequisites prerequisites)
        : base(config, prerequisites)
    {
        _prerequisites = prerequisites;
        _settings = Read(config?.GetConfig("parking-executor"));
    }

    /// <summary>The settings of a <c>parking-executor</c> section (null: the defaults).</summary>
    public static ParkingExecutorSettings Read(Config? section)
    {
        if (section is null || section.IsEmpty)
        {
            return new ParkingExecutorSettings();
        }

        string? shared = section.GetString("shared", null);
        return new ParkingExecutorSettings
        {
            Threads = section.GetInt("thread-count", 2),
            Spin = section.GetInt("spin", 0),
            SpinTime = TimeSpan.FromMicroseconds(section.GetInt("spin-us", 0)),
            YieldWhileSpinning = section.GetBoolean("spin-yield", false),
            Shared = string.IsNullOrEmpty(shared) ? null : shared,
            RunsContinuations = section.GetBoolean("run-continuations", false),
            QueuePerThread = section.GetBoolean("queue-per-thread", false),
            MaxThreads = section.GetInt("max-threads", 0),
            BlockedAfter = TimeSpan.FromMilliseconds(section.GetInt("blocked-after-ms", 50)),
            SaturatedAfter = TimeSpan.FromMilliseconds(section.GetInt("saturated-after-ms", 0)),
            SpareLease = TimeSpan.FromMilliseconds(section.GetInt("spare-lease-ms", 100)),
        };
    }

    /// <summary>A new executor with the configured settings, or a handle on the shared one.</summary>
    public override ExecutorService Produce(string id) => _settings.Shared is { } key
        ? SharedParkingExecutorHandle.Acquire(id, key, _settings, _prerequisites)
        : new ParkingExecutor(id, _settings, _prerequisites);
}
