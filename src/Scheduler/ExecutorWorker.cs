namespace Edsos.Scheduler;

/// <summary>
/// One thread of a <see cref="ParkingExecutor"/> as its watchdog sees it: written by the thread itself (runs started,
/// whether it is in one, parked, when it last found the queue empty) and read by the watchdog, which keeps its own
/// view of the thread in the <c>Seen</c> fields. A spare thread's lease says until when it stays with the queue.
/// </summary>
internal sealed class ExecutorWorker
{
    /// <summary>A worker of the executor's fixed set (<paramref name="spare"/> false) or a spare.</summary>
    public ExecutorWorker(bool spare)
    {
        Spare = spare;
    }

    /// <summary>True for a thread the watchdog started (beyond <see cref="ParkingExecutorSettings.Threads"/>).</summary>
    public bool Spare { get; }

    /// <summary>
    /// The lane the thread takes runs from and parks on: a core thread's own (or the one lane); a spare's is the lane of
    /// the thread it was woken for, and it takes from the others too.
    /// </summary>
    public volatile RunLane? Lane;

    /// <summary>Runs started on this thread (written by it only).</summary>
    public long Runs;

    /// <summary>True while the thread is inside a run.</summary>
    public volatile bool InRun;

    /// <summary>True while the thread is parked (waiting on the executor's monitor or idle wait, or a spare's lease).</summary>
    public volatile bool Parked;

    /// <summary>True while a spare is with the queue (not waiting for a lease).</summary>
    public volatile bool Active;

    /// <summary>
    /// Times the thread found the queue empty, or left it empty by taking a run (written by it only): a serial chain
    /// of runs, each queueing the next, leaves it empty at every take; a backlog never does.
    /// </summary>
    public long Shallow;

    /// <summary>Times the thread parked (written by it only).</summary>
    public long Parks;

    /// <summary>A spare stays with the queue until this <see cref="Environment.TickCount64"/>.</summary>
    public long LeaseUntil;

    /// <summary>The watchdog's last reading of <see cref="Runs"/>.</summary>
    public long SeenRuns;

    /// <summary>When the watchdog first read <see cref="SeenRuns"/> (<see cref="Environment.TickCount64"/>).</summary>
    public long SeenAt;

    /// <summary>The watchdog's last reading of <see cref="Shallow"/>.</summary>
    public long SeenShallow;

    /// <summary>When the watchdog last saw <see cref="Shallow"/> move (<see cref="Environment.TickCount64"/>).</summary>
    public long ShallowAt;

    /// <summary><see cref="Runs"/> when the watchdog last saw <see cref="Shallow"/> move.</summary>
    public long RunsAtShallow;
}
