namespace Edsos.Scheduler;

/// <summary>Which executor runs an EDSRT system's default dispatcher (<see cref="EdsrtOptions.Dispatcher"/>).</summary>
public enum EdsrtDispatcher
{
    /// <summary>
    /// One <see cref="ParkingExecutor"/> for every EDSRT system of the process with the same thread count, as a
    /// microkernel has one scheduler for all its tree spaces: a yielding 200 µs spin before a thread parks, the apps'
    /// syscall continuations on the thread that completed the call, and spare threads when a run blocks its thread
    /// (50 ms), up to 16 threads. The Scheduler README, "The dispatcher", has the figures.
    /// </summary>
    Shared,

    /// <summary>
    /// As <see cref="Shared"/>, with a run queue per CPU (<see cref="ParkingExecutorSettings.QueuePerThread"/>): one thread
    /// per CPU, each system bound to one queue in turn, so the hosts of a process run side by side as machines would
    /// (<see cref="EdsrtOptions.DispatcherThreads"/> is not used). The EDSOS hosts' default; the Scheduler README, "A run
    /// queue per host", has the figures.
    /// </summary>
    SharedPerCpu,

    /// <summary>Akka's fork-join dispatcher on <see cref="EdsrtOptions.DispatcherThreads"/> dedicated threads per system.</summary>
    ForkJoin,
}
