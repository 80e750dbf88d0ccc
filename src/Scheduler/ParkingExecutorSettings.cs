namespace Edsos.Scheduler;

/// <summary>
/// How a <see cref="ParkingExecutor"/> runs: its threads, how a worker that finds the queue empty waits before it parks,
/// and whether syscall continuations run on it. Read by <see cref="ParkingExecutorConfigurator"/> from a dispatcher's
/// <c>parking-executor</c> section (the HOCON key of each property is in its summary).
/// </summary>
public sealed record ParkingExecutorSettings
{
    /// <summary>Worker threads, at least 1 (<c>thread-count</c>, default 2).</summary>
    public int Threads { get; init; } = 2;

    /// <summary>Empty-queue checks a worker makes, about 0.8 µs of pause apart, before the timed spin (<c>spin</c>, default 0).</summary>
    public int Spin { get; init; }

    /// <summary>How long a worker keeps checking the empty queue after the <see cref="Spin"/> checks, before it parks (<c>spin-us</c>, microseconds, default 0).</summary>
    public TimeSpan SpinTime { get; init; }

    /// <summary>
    /// During <see cref="SpinTime"/>, give the CPU away (<c>sched_yield</c>) between checks instead of pausing on it
    /// (<c>spin-yield</c>, default off): a thread this worker just woke can then run on its CPU at once.
    /// </summary>
    public bool YieldWhileSpinning { get; init; }

    /// <summary>
    /// One executor for every actor system of the process whose dispatcher names the same key (<c>shared</c>, default
    /// none: an executor per dispatcher), as a microkernel has one scheduler for all its tree spaces. The first system
    /// to start one decides its settings; it stops when the last system using it stops.
    /// </summary>
    public string? Shared { get; init; }

    /// <summary>
    /// A run queue per core thread (<c>queue-per-thread</c>, default off: one queue for every thread). Each dispatcher
    /// of a shared executor (each actor system: a host) is bound to one queue, round robin, and a core thread runs only
    /// its own queue's runs (a spare woken for a blocked run takes from any). Hosts then run side by side on their own
    /// CPUs, and a serial chain across hosts (an echo) hands over between threads at every hop: measured in the Scheduler
    /// README, "A run queue per host".
    /// </summary>
    public bool QueuePerThread { get; init; }

    /// <summary>
    /// Run the apps' syscall continuations on this executor's thread that completes the call (<c>run-continuations</c>,
    /// default off: on the .NET thread pool). An app that then blocks its thread synchronously on a syscall stalls the
    /// stack until the call's timeout: only for apps that never block (see the Scheduler README, "The dispatcher").
    /// </summary>
    public bool RunsContinuations { get; init; }

    /// <summary>
    /// Most threads the executor may run at once, spares included (<c>max-threads</c>, default 0: no spares, only
    /// <see cref="Threads"/>). Above <see cref="Threads"/>, a watchdog wakes a spare thread when a run has blocked its
    /// thread (<see cref="BlockedAfter"/>) or the queue has stayed busy (<see cref="SaturatedAfter"/>); see the Scheduler
    /// README, "Spare threads".
    /// </summary>
    public int MaxThreads { get; init; }

    /// <summary>
    /// A run still running after this long counts as blocked, and a spare takes over its thread's share of the queue
    /// until it returns (<c>blocked-after-ms</c>, default 50 ms): an app that waits synchronously on a syscall slows the
    /// stack down instead of stopping it.
    /// </summary>
    public TimeSpan BlockedAfter { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// When no running thread has found the queue empty, or left it empty by taking a run, for this long (a backlog,
    /// not a serial chain of runs each queueing the next), one more spare joins in, up to one thread per
    /// CPU (<c>saturated-after-ms</c>, default 0: never; load alone does not add threads).
    /// </summary>
    public TimeSpan SaturatedAfter { get; init; }

    /// <summary>How long a woken spare stays with the queue after the last reason to wake it (<c>spare-lease-ms</c>, default 100 ms).</summary>
    public TimeSpan SpareLease { get; init; } = TimeSpan.FromMilliseconds(100);
}
