using Akka.Dispatch;

namespace Edsos.Scheduler;

/// <summary>
/// One dispatcher's use of a shared <see cref="ParkingExecutor"/> (<see cref="ParkingExecutorSettings.Shared"/>): runs
/// go to the shared executor, and the executor stops when the last handle is shut down. Akka shuts a dispatcher's
/// executor down when the dispatcher has had no actors for its <c>shutdown-timeout</c> (and asks for a new one when an
/// actor comes), so handles come and go; the count keeps the shared threads alive while one is out. A system that
/// terminates may leave its handle out (its scheduler stops before that timeout): the shared threads then stay, parked
/// (background threads, no CPU), for the next system of the process.
/// </summary>
internal sealed class SharedParkingExecutorHandle : ExecutorService
{
    private static readonly Dictionary<string, (ParkingExecutor Executor, int Users)> s_shared = [];
    private readonly string _key;
    private readonly ParkingExecutor _executor;
    private readonly RunLane _lane;
    private int _shut;

    private SharedParkingExecutorHandle(string id, string key, ParkingExecutor executor, RunLane lane)
        : base(id)
    {
        _key = key;
        _executor = executor;
        _lane = lane;
    }

    /// <summary>
    /// The shared executor under <paramref name="key"/>, started with <paramref name="settings"/> when there is none; the
    /// handle's runs go to the run queue of the actor system whose dispatchers have <paramref name="prerequisites"/>
    /// (one per system; see <see cref="ParkingExecutorSettings.QueuePerThread"/>).
    /// </summary>
    public static SharedParkingExecutorHandle Acquire(string id, string key, ParkingExecutorSettings settings, IDispatcherPrerequisites prerequisites)
    {
        lock (s_shared)
        {
            if (!s_shared.TryGetValue(key, out var entry))
            {
                entry = (new ParkingExecutor($"shared {key}", settings, null), 0);
            }

            s_shared[key] = (entry.Executor, entry.Users + 1);
            return new SharedParkingExecutorHandle(id, key, entry.Executor, entry.Executor.LaneOf(prerequisites));
        }
    }

    /// <summary>Every shared executor running now.</summary>
    public static ParkingExecutor[] Running()
    {
        lock (s_shared)
        {
            return [.. s_shared.Values.Select(e => e.Executor)];
        }
    }

    /// <inheritdoc />
    public override void Execute(IRunnable run) => _executor.Execute(run, _lane);

    /// <summary>Gives this handle's use back (once); the last one stops the shared executor.</summary>
    public override void Shutdown()
    {
        if (Interlocked.Exchange(ref _shut, 1) != 0)
        {
            return;
        }

        lock (s_shared)
        {
            var entry = s_shared[_key];
            if (entry.Users > 1)
            {
                s_shared[_key] = (entry.Executor, entry.Users - 1);
                return;
            }

            s_shared.Remove(_key);
        }

        _executor.Shutdown();
    }
}
