using System.Diagnostics;
using Akka.Dispatch;

namespace Edsos.Scheduler;

/// <summary>
/// The executor under EDSRT's default dispatcher: a fixed set of dedicated threads taking mailbox runs from
/// one queue, and parking (a <see cref="Monitor.Wait(object)"/>) once the queue is empty, after at most
/// <see cref="ParkingExecutorSettings.Spin"/> busy checks and <see cref="ParkingExecutorSettings.SpinTime"/> of checking
/// (pausing, or yielding the CPU with <see cref="ParkingExecutorSettings.YieldWhileSpinning"/>). Akka's fork-join
/// executor (Helios' dedicated thread pool) yields for a long while before it blocks; see the Scheduler README,
/// "The dispatcher", for what each way of waiting costs.
/// </summary>
/// <remarks>
/// No lost wake-up: a submitter enqueues, then reads the sleeper count; a worker counts itself asleep (an
/// interlocked increment, a full fence) under the gate, then looks at the queue once more before it waits.
/// Either the worker sees the run or the submitter sees the sleeper, and its pulse takes the gate, which
/// the worker holds until <see cref="Monitor.Wait(object)"/> releases it.
/// </remarks>
public sealed partial class ParkingExecutor : ExecutorService
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<IRunnable> _queue = new();
    private readonly object _gate = new();
    private readonly Thread[] _threads;
    private readonly ExecutorWorker[] _core;
    private readonly int _spin;
    private readonly long _spinTicks;
    private readonly bool _yield;
    private int _sleeping;
    private volatile bool _shutdown;
    private volatile IIdleWait? _idleWait;
    private readonly IDispatcherPrerequisites? _prerequisites;
    private static readonly List<WeakReference<ParkingExecutor>> s_live = [];

    [ThreadStatic]
    private static ParkingExecutor? t_current;

    /// <summary>Starts <paramref name="threads"/> background threads named <c>edsrt-N</c> and the dispatcher id.</summary>
    /// <param name="id">The dispatcher's id.</param>
    /// <param name="threads">Worker threads (at least 1).</param>
    /// <param name="spin">Empty-queue checks a worker makes, a short pause apart, before it parks (0: park at once).</param>
    public ParkingExecutor(string id, int threads, int spin)
        : this(id, threads, spin, null)
    {
    }

    /// <summary>As the other constructor, for the actor system whose dispatchers have <paramref name="prerequisites"/> (see <see cref="Find"/>).</summary>
    public ParkingExecutor(string id, int threads, int spin, IDispatcherPrerequisites? prerequisites)
        : this(id, new ParkingExecutorSettings { Threads = threads, Spin = spin }, prerequisites)
    {
    }

    /// <summary>
    /// Starts <see cref="ParkingExecutorSettings.Threads"/> background threads named <c>edsrt-N</c> and the id, for the
    /// actor system whose dispatchers have <paramref name="prerequisites"/> (null: none, such as a shared executor).
    /// Throws <see cref="ArgumentOutOfRangeException"/> for no threads or a negative spin.
    /// </summary>
    public ParkingExecutor(string id, ParkingExecutorSettings settings, IDispatcherPrerequisites? prerequisites)
        : base(id)
    {
        ArgumentNullException.ThrowIfNull(settings);
        int threads = settings.Threads;
        int spin = settings.Spin;
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.SpinTime, TimeSpan.Zero, nameof(settings));
        _spinTicks = (long)(settings.SpinTime.TotalSeconds * Stopwatch.Frequency);
        _yield = settings.YieldWhileSpinning;
        RunsContinuations = settings.RunsContinuations;
        _prerequisites = prerequisites;
        lock (s_live)
        {
            s_live.Add(new WeakReference<ParkingExecutor>(this));
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threads);
        ArgumentOutOfRangeException.ThrowIfNegative(spin);
        _spin = spin;
        _threads = new Thread[threads];
        _core = new ExecutorWorker[threads];
        for (int i = 0; i < threads; i++)
        {
            var worker = new ExecutorWorker(spare: false);
            _core[i] = worker;
            _threads[i] = new Thread(() => Work(worker)) { IsBackground = true, Name = $"edsrt-{i} {id}" };
        }

        _spares = StartSpares(settings);
        foreach (var thread in _threads)
        {
            thread.Start();
        }
    }

    /// <summary>Queues <paramref name="run"/> and wakes a parked worker if there is one. After <see cref="Shutdown"/> the run is dropped.</summary>
    public override void Execute(IRunnable run)
    {
        ArgumentNullException.ThrowIfNull(run);
        _queue.Enqueue(run);
        if (Volatile.Read(ref _sleeping) > 0)
        {
            _idleWait?.Wake();
            lock (_gate)
            {
                Monitor.Pulse(_gate);
            }
        }
    }

    /// <summary>
    /// What the executor's one thread waits on when idle, in place of its monitor (null: the monitor), and polls every
    /// <see cref="PollEvery"/> runs while busy; set once the actor system runs (see <see cref="Find"/>). Throws
    /// <see cref="InvalidOperationException"/> for an executor of more than one thread.
    /// </summary>
    public IIdleWait? IdleWait
    {
        get => _idleWait;
        set
        {
            if (_threads.Length != 1)
            {
                throw new InvalidOperationException($"executor {Id} has {_threads.Length} threads; an idle wait needs exactly one");
            }

            _idleWait = value;
            lock (_gate)
            {
                Monitor.PulseAll(_gate);
            }
        }
    }

    /// <summary>The parking executor whose worker thread the caller is on, or null (any other thread).</summary>
    public static ParkingExecutor? Current => t_current;

    /// <summary>
    /// True when the apps' syscall continuations completed on this executor's threads run on it rather than on the
    /// .NET thread pool (<see cref="ParkingExecutorSettings.RunsContinuations"/>; the KPN's completions ask).
    /// </summary>
    public bool RunsContinuations { get; }

    /// <summary>True on one of this executor's worker threads.</summary>
    public bool IsWorkerThread => ReferenceEquals(t_current, this);

    /// <summary>The executor's worker threads.</summary>
    public int ThreadCount => _threads.Length;

    /// <summary>Runs between two polls of <see cref="IdleWait"/> while the queue never empties.</summary>
    public const int PollEvery = 16;

    /// <summary>The live executor <paramref name="system"/>'s dispatcher <paramref name="dispatcherId"/> runs on, if it is a parking one.</summary>
    public static ParkingExecutor? Find(Akka.Actor.ActorSystem system, string dispatcherId)
    {
        ArgumentNullException.ThrowIfNull(system);
        var prerequisites = ((Akka.Actor.ExtendedActorSystem)system).Dispatchers.Prerequisites;
        lock (s_live)
        {
            s_live.RemoveAll(w => !w.TryGetTarget(out var e) || e._shutdown);
            foreach (var weak in s_live)
            {
                if (weak.TryGetTarget(out var executor) && executor.Id == dispatcherId && ReferenceEquals(executor._prerequisites, prerequisites))
                {
                    return executor;
                }
            }
        }

        return null;
    }

    /// <summary>Stops the workers after the run each is in; queued runs are not run.</summary>
    public override void Shutdown()
    {
        _shutdown = true;
        _idleWait?.Wake();
        lock (_gate)
        {
            Monitor.PulseAll(_gate);
        }

        StopSpares();
    }

    private void Work(ExecutorWorker worker)
    {
        t_current = this;
        int sincePoll = 0;
        while (!_shutdown)
        {
            if (_queue.TryDequeue(out var run))
            {
                if (_spares is not null && _queue.IsEmpty)
                {
                    worker.Shallow++;
                }

                RunOn(worker, run);
                if (_idleWait is { } busy && ++sincePoll >= PollEvery)
                {
                    sincePoll = 0;
                    busy.Poll();
                }

                continue;
            }

            worker.Shallow++;
            if (SpinFor())
            {
                continue;
            }

            if (_idleWait is { } idle)
            {
                // Dekker with Execute: the count is raised (a full fence) before the queue is looked at, so a run
                // enqueued after the look sees a sleeper and wakes the wait.
                worker.Parked = true;
                Interlocked.Increment(ref _sleeping);
                if (_queue.IsEmpty && !_shutdown)
                {
                    idle.Wait();
                }

                Interlocked.Decrement(ref _sleeping);
                Unparked(worker);
                sincePoll = 0;
                idle.Poll();
                continue;
            }

            lock (_gate)
            {
                worker.Parked = true;
                Interlocked.Increment(ref _sleeping);
                if (_queue.IsEmpty && !_shutdown)
                {
                    Monitor.Wait(_gate);
                }

                Interlocked.Decrement(ref _sleeping);
            }

            Unparked(worker);
        }
    }

    private static void RunOn(ExecutorWorker worker, IRunnable run)
    {
        // Two plain stores around the run: what the watchdog reads to tell a blocked run from a busy thread.
        worker.Runs++;
        worker.InRun = true;
        Run(run);
        worker.InRun = false;
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

        if (_spinTicks > 0)
        {
            // Bounded in time, not in checks: a pause's length differs by a factor of ten between CPUs.
            long until = Stopwatch.GetTimestamp() + _spinTicks;
            do
            {
                if (_yield)
                {
                    Thread.Yield();
                }
                else
                {
                    Thread.SpinWait(4);
                }

                if (!_queue.IsEmpty)
                {
                    return true;
                }
            }
            while (Stopwatch.GetTimestamp() < until);
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
