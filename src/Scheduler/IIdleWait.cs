namespace Edsos.Scheduler;

/// <summary>
/// What a one-thread <see cref="ParkingExecutor"/> waits on when its queue is empty, in place of parking on its monitor:
/// work of its own (such as sockets whose messages it tells to actors) as well as <see cref="Wake"/>. The executor's
/// thread calls <see cref="Wait"/> when idle and <see cref="Poll"/> after it and every few runs, so the thread that runs
/// the actors also takes their input, without a second thread to wake in between.
/// </summary>
public interface IIdleWait
{
    /// <summary>Blocks the executor's thread until <see cref="Wake"/> is called (or was, since the last wait) or work of its own is ready.</summary>
    void Wait();

    /// <summary>Called by <see cref="ParkingExecutor.Execute"/> while the thread may be in <see cref="Wait"/>: makes it return. Any thread.</summary>
    void Wake();

    /// <summary>Does whatever work of its own is ready now, without blocking (on the executor's thread).</summary>
    void Poll();
}
