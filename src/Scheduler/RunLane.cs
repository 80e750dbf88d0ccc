using System.Collections.Concurrent;
using Akka.Dispatch;

namespace Edsos.Scheduler;

/// <summary>
/// One run queue of a <see cref="ParkingExecutor"/> and the monitor its threads park on. Without
/// <see cref="ParkingExecutorSettings.QueuePerThread"/> there is one lane, shared by every thread; with it each core
/// thread owns a lane (its <see cref="Owner"/>), as a kernel keeps a run queue per CPU.
/// </summary>
internal sealed class RunLane
{
    /// <summary>The lane numbered <paramref name="index"/>.</summary>
    public RunLane(int index)
    {
        Index = index;
    }

    /// <summary>The lane's number (0 when there is one lane).</summary>
    public int Index { get; }

    /// <summary>The runs queued on the lane.</summary>
    public ConcurrentQueue<IRunnable> Queue { get; } = new();

    /// <summary>The monitor the lane's threads park on.</summary>
    public object Gate { get; } = new();

    /// <summary>Threads parked (or parking) on <see cref="Gate"/>.</summary>
    public int Sleeping;

    /// <summary>The core thread that owns the lane (null: one lane, shared by every thread).</summary>
    public ExecutorWorker? Owner { get; set; }
}
