using Akka.Dispatch;

namespace Edsos.Scheduler;

/// <summary>
/// The spare threads and their watchdog (<see cref="ParkingExecutorSettings.MaxThreads"/>): a thread that ticks every
/// few milliseconds while any worker is awake, and waits without a timeout while every one is parked, so an idle
/// executor costs nothing. On each tick it wakes a spare for each run that has kept its thread longer than
/// <see cref="ParkingExecutorSettings.BlockedAfter"/> (an app waiting synchronously on a syscall on the stack's thread),
/// and one more when no running thread has found the queue empty, or left it empty, for <see cref="ParkingExecutorSettings.SaturatedAfter"/>
/// and there are fewer running threads than CPUs. A woken spare takes runs like any worker until its lease runs out (the
/// watchdog renews it while the reason lasts), and then waits for the next wake-up.
/// </summary>
public sealed partial class ParkingExecutor
{
    private readonly SpareSet? _spares;

    /// <summary>Runs a thread must take, none leaving the queue empty, before its queue counts as a backlog.</summary>
    private const int BacklogRuns = 8;

    /// <summary>Spare threads started so far (they stay, parked, until the executor stops).</summary>
    public int SpareThreads => _spares?.Count ?? 0;

    /// <summary>Spare threads with the queue now (taking runs, or parked on the executor's monitor within their lease).</summary>
    public int ActiveSpares => _spares?.ActiveCount ?? 0;

    /// <summary>The shared executors running now (<see cref="ParkingExecutorSettings.Shared"/>), for reports.</summary>
    public static IReadOnlyList<ParkingExecutor> SharedExecutors => SharedParkingExecutorHandle.Running();

    /// <summary>Spares woken (or started) because a run blocked its thread.</summary>
    public long BlockedWakes => _spares is null ? 0 : Interlocked.Read(ref _spares.BlockedWakes);

    /// <summary>Spares woken (or started) because a backlog built.</summary>
    public long BacklogWakes => _spares is null ? 0 : Interlocked.Read(ref _spares.BacklogWakes);

    /// <summary>The watchdog's ticks so far (0 without spares): it does not tick while every thread is parked.</summary>
    public long WatchdogTicks => _spares is null ? 0 : Interlocked.Read(ref _spares.Ticks);

    private SpareSet? StartSpares(ParkingExecutorSettings settings)
    {
        if (settings.MaxThreads <= settings.Threads)
        {
            return null;
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(settings.BlockedAfter, TimeSpan.FromMilliseconds(1), nameof(settings));
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.SaturatedAfter, TimeSpan.Zero, nameof(settings));
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.SpareLease, TimeSpan.FromMilliseconds(1), nameof(settings));
        var set = new SpareSet(settings);
        var watchdog = new Thread(Watch) { IsBackground = true, Name = $"edsrt-watch {Id}" };
        watchdog.Start(set);
        return set;
    }

    private void StopSpares()
    {
        if (_spares is not { } set)
        {
            return;
        }

        lock (set.Gate)
        {
            Monitor.PulseAll(set.Gate);
        }

        foreach (var spare in set.Snapshot())
        {
            lock (spare)
            {
                Monitor.Pulse(spare);
            }
        }
    }

    /// <summary>After a worker's park: the watchdog watches again if it had stopped (it stops when everyone parks).</summary>
    private void Unparked(ExecutorWorker worker)
    {
        worker.Parked = false;
        if (_spares is not { } set)
        {
            return;
        }

        // Dekker with the watchdog's decision to stop: each side writes (with a full fence), then reads the other's.
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref set.Armed) == 0 && Interlocked.CompareExchange(ref set.Armed, 1, 0) == 0)
        {
            lock (set.Gate)
            {
                Monitor.Pulse(set.Gate);
            }
        }
    }

    private void Watch(object? state)
    {
        var set = (SpareSet)state!;
        while (!_shutdown)
        {
            lock (set.Gate)
            {
                while (!_shutdown && Volatile.Read(ref set.Armed) == 0)
                {
                    Monitor.Wait(set.Gate);
                }

                if (!_shutdown)
                {
                    Monitor.Wait(set.Gate, set.TickMs);
                }
            }

            if (_shutdown)
            {
                return;
            }

            Interlocked.Increment(ref set.Ticks);
            if (Tick(set, Environment.TickCount64))
            {
                continue;
            }

            // Everyone parked and nothing queued: stop ticking until a worker wakes (Unparked re-arms).
            Interlocked.Exchange(ref set.Armed, 0);
            if (Busy(set))
            {
                Interlocked.CompareExchange(ref set.Armed, 1, 0);
            }
        }
    }

    /// <summary>One look at the threads; wakes or keeps spares as needed. False when nothing is awake or queued.</summary>
    private bool Tick(SpareSet set, long now)
    {
        int stuck = 0;
        int running = 0;
        bool foundEmptyLately = false;
        bool awake = false;
        RunLane? stuckLane = null;
        foreach (var worker in _core)
        {
            Look(worker, set, now, ref stuck, ref running, ref foundEmptyLately, ref awake, ref stuckLane);
        }

        var spares = set.Snapshot();
        foreach (var spare in spares)
        {
            if (spare.Active)
            {
                Look(spare, set, now, ref stuck, ref running, ref foundEmptyLately, ref awake, ref stuckLane);
            }
        }

        var queuedLane = QueuedLane();
        bool queued = queuedLane is not null;
        bool saturated = set.SaturatedMs > 0 && queued && running > 0 && !foundEmptyLately;

        // Leases renewed: a spare for each blocked run, and every spare while the queue stays busy.
        int keep = saturated ? int.MaxValue : stuck;
        int active = 0;
        foreach (var spare in spares)
        {
            if (spare.Active)
            {
                if (active < keep)
                {
                    Volatile.Write(ref spare.LeaseUntil, now + set.LeaseMs);
                }

                active++;
            }
        }

        if (active < stuck)
        {
            if (WakeSpare(set, spares, now, stuckLane ?? _lanes[0]))
            {
                Interlocked.Increment(ref set.BlockedWakes);
            }
        }
        else if (saturated && running < Environment.ProcessorCount && WakeSpare(set, spares, now, queuedLane!))
        {
            Interlocked.Increment(ref set.BacklogWakes);
        }

        return awake || queued || active > 0;
    }

    private static void Look(ExecutorWorker worker, SpareSet set, long now, ref int stuck, ref int running, ref bool foundEmptyLately, ref bool awake, ref RunLane? stuckLane)
    {
        long runs = Volatile.Read(ref worker.Runs);
        if (worker.InRun && runs == worker.SeenRuns)
        {
            if (now - worker.SeenAt >= set.BlockedMs)
            {
                stuck++;
                awake = true;
                stuckLane ??= worker.Lane;
                return;
            }
        }
        else
        {
            worker.SeenRuns = runs;
            worker.SeenAt = now;
        }

        if (worker.Parked)
        {
            // A parked thread found the queue empty.
            foundEmptyLately = true;
            return;
        }

        awake = true;
        running++;
        long shallow = Volatile.Read(ref worker.Shallow);
        if (shallow != worker.SeenShallow || worker.ShallowAt == 0)
        {
            worker.SeenShallow = shallow;
            worker.ShallowAt = now;
            worker.RunsAtShallow = runs;
        }

        // A backlog: runs taken, none of them leaving the queue empty. A thread preempted with one run queued behind
        // it (a serial chain on a loaded machine) has taken none and does not count.
        if (now - worker.ShallowAt < set.SaturatedMs || runs - worker.RunsAtShallow < BacklogRuns)
        {
            foundEmptyLately = true;
        }
    }

    /// <summary>Wakes a waiting spare for <paramref name="lane"/>, or starts one below the cap; false at the cap.</summary>
    private bool WakeSpare(SpareSet set, ExecutorWorker[] spares, long now, RunLane lane)
    {
        foreach (var spare in spares)
        {
            if (!spare.Active)
            {
                lock (spare)
                {
                    spare.Lane = lane;
                    Volatile.Write(ref spare.LeaseUntil, now + set.LeaseMs);
                    spare.Active = true;
                    Monitor.Pulse(spare);
                }

                return true;
            }
        }

        if (_threads.Length + spares.Length >= set.MaxThreads)
        {
            return false;
        }

        var worker = new ExecutorWorker(spare: true) { LeaseUntil = now + set.LeaseMs, Active = true, Lane = lane };
        var thread = new Thread(() => SpareWork(worker)) { IsBackground = true, Name = $"edsrt-spare-{spares.Length} {Id}" };
        set.Add(worker);
        thread.Start();
        return true;
    }

    private void SpareWork(ExecutorWorker worker)
    {
        t_current = this;
        while (!_shutdown)
        {
            lock (worker)
            {
                while (!_shutdown && Volatile.Read(ref worker.LeaseUntil) <= Environment.TickCount64)
                {
                    worker.Active = false;
                    Monitor.Wait(worker);
                }

                worker.Active = true;
            }

            while (!_shutdown)
            {
                var home = worker.Lane!;
                if (TakeAny(home, out var run))
                {
                    if (home.Queue.IsEmpty)
                    {
                        worker.Shallow++;
                    }

                    RunOn(worker, run);

                    // The lease ends even while there is work: a serial chain shared by two threads would otherwise
                    // keep a spare forever (each finds the next run), paying a hand-off per run.
                    if (Environment.TickCount64 >= Volatile.Read(ref worker.LeaseUntil))
                    {
                        break;
                    }

                    continue;
                }

                worker.Shallow++;
                if (SpinFor(home) || QueuedLane() is not null)
                {
                    continue;
                }

                long left = Volatile.Read(ref worker.LeaseUntil) - Environment.TickCount64;
                if (left <= 0)
                {
                    break;
                }

                lock (home.Gate)
                {
                    worker.Parked = true;
                    Interlocked.Increment(ref home.Sleeping);
                    if (home.Queue.IsEmpty && !_shutdown)
                    {
                        Monitor.Wait(home.Gate, (int)Math.Min(left, int.MaxValue));
                    }

                    Interlocked.Decrement(ref home.Sleeping);
                    worker.Parked = false;
                }
            }
        }
    }

    /// <summary>A run from <paramref name="home"/>, else from any queue: a spare helps wherever runs wait.</summary>
    private bool TakeAny(RunLane home, out IRunnable run)
    {
        if (home.Queue.TryDequeue(out run!))
        {
            return true;
        }

        foreach (var lane in _lanes)
        {
            if (lane.Queue.TryDequeue(out run!))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A lane with runs queued (the first found; null when every queue is empty).</summary>
    private RunLane? QueuedLane()
    {
        foreach (var lane in _lanes)
        {
            if (!lane.Queue.IsEmpty)
            {
                return lane;
            }
        }

        return null;
    }

    private bool Busy(SpareSet set)
    {
        if (QueuedLane() is not null)
        {
            return true;
        }

        foreach (var worker in _core)
        {
            if (!worker.Parked)
            {
                return true;
            }
        }

        foreach (var spare in set.Snapshot())
        {
            if (spare.Active)
            {
                return true;
            }
        }

        return false;
    }
}
