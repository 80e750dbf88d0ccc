using Akka.Dispatch;

namespace Edsos.Scheduler;

/// <summary>
/// The executor under EDSRT's default dispatcher: a fixed set of dedicated threads taking mailbox runs from
/// one queue, and parking (a <see cref="Monitor.Wait(object)"/>, no <c>sched_yield</c>) as soon as the queue is
/// empty, after at most <c>spin</c> busy checks. Akka's fork-join executor (Helios' dedicated thread pool)
/// spins and yields for a long while before it blocks, so a host whose one round trip keeps waking a
/// thread paid a core in spinning; see the Scheduler README, "The dispatcher", for the figures.
/// </summary>
/// <remarks>
/// No lost wake-up: a submitter enqueues, then reads the sleeper count; a worker counts itself asleep (an
/// interlocked increment, a full fence) under the gate, then looks at the queue once more before it waits.
/// Either the worker sees the run or the submitter sees the sleeper, and its pulse takes the gate, which
/// the worker holds until <see cref="Monitor.Wait(object)"/> releases it.
/// </remarks>
public sealed class ParkingExecutor : ExecutorService
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<IRunnable> _queue = new();
    private readonly object _gate = new();
    private readonly Thread[] _threads;
    private readonly int _spin;
    private int _sleeping;
    private volatile bool _shutdown;

    /// <summary>Starts <paramref name="threads"/> background threads named <c>edsrt-N</c> and the dispatcher id.</summary>
    /// <param name="id">The dispatcher's id.</param>
    /// <param name="threads">Worker threads (at least 1).</param>
    /// <param name="spin">Empty-queue checks a worker makes, a short pause apart, before it parks (0: park at once).</param>
    public ParkingExecutor(string id, int threads, int spin)
        : base(id)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threads);
        ArgumentOutOfRangeException.ThrowIfNegative(spin);
        _spin = spin;
        _threads = new Thread[threads];
        for (int i = 0; i < threads; i++)
        {
            _threads[i] = new Thread(Work) { IsBackground = true, Name = $"edsrt-{i} {id}" };
            _threads[i].Start();
        }
    }

    /// <summary>Queues <paramref name="run"/> and wakes a parked worker if there is one. After <see cref="Shutdown"/> the run is dropped.</summary>
    public override void Execute(IRunnable run)
    {
        ArgumentNullException.ThrowIfNull(run);
        _queue.Enqueue(run);
        if (Volatile.Read(ref _sleeping) > 0)
        {
            lock (_gate)
            {
                Monitor.Pulse(_gate);
            }
        }
    }

    /// <summary>Stops the workers after the run each is in; queued runs are not run.</summary>
    public override void Shutdown()
    {
        _shutdown = true;
        lock (_gate)
        {
            Monitor.PulseAll(_gate);
        }
    }

    private void Work()
    {
        while (!_shutdown)
        {
            if (_queue.TryDequeue(out var run))
            {
                Run(run);
                continue;
            }

            if (SpinFor())
            {
                continue;
            }

            lock (_gate)
            {
                Interlocked.Increment(ref _sleeping);
                if (_queue.IsEmpty && !_shutdown)
                {
                    Monitor.Wait(_gate);
                }

                Interlocked.Decrement(ref _sleeping);
            }
        }
    }

    private bool SpinFor()
    {
        for (int i = 0; i < _spin; i++)
        {
            Thread.SpinWait(20);
            if (!_queue.IsEmpty)
            {
                return true;
            }
        }

        return false;
    }

    private static void Run(IRunnable run)
    {
        try
        {
            run.Run();
        }
        catch (Exception)
        {
            // A mailbox run handles its actor's failures itself; anything else must not kill a worker
            // thread, which would silently shrink the pool.
        }
    }
}
