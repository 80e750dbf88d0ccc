using System.Collections.Concurrent;
using Akka.Dispatch;

namespace Edsos.Scheduler;

/// <summary>
/// One run queue of a <see cref="ParkingExecutor"/> and the monitor its threads park on. Without
/// <see cref="ParkingExecutorSettings.QueuePerThread"/> there is one lane, shared by every thread; with it each core
/// thread owns a lane, as a kernel keeps a run queue per CPU.
/// </summary>
internal sealed class RunLane
{
    /// <summary>The runs queued on the lane.</summary>
    public ConcurrentQueue<IRunnable> Queue { get; } = new();

    /// <summary>The monitor the lane's threads park on.</summary>
    public object Gate { get; } = new();

    /// <summary>Threads parked (or parking) on <see cref="Gate"/>.</summary>
    public int Sleeping;
}
