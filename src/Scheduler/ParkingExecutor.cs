using System.Diagnostics;
using Akka.Dispatch;

namespace Edsos.Scheduler;

/// <summary>
/// The executor under EDSRT's default dispatcher: a fixed set of dedicated threads taking mailbox runs from
/// one queue (or each from its own, <see cref="ParkingExecutorSettings.QueuePerThread"/>), and parking (a <see cref="Monitor.Wait(object)"/>) once the queue is empty, after at most
/// <see cref="ParkingExecutorSettings.Spin"/> busy checks and <see cref="ParkingExecutorSettings.SpinTime"/> of checking
/// (pausing, or yielding the CPU with <see cref="ParkingExecutorSettings.YieldWhileSpinning"/>). Akka's fork-join
/// executor (Helios' dedicated thread pool) yields for a long while before it blocks; see the Scheduler README,
/// "The dispatcher", for what each way of waiting costs.
/// </summary>
/// <remarks>
/// No lost wake-up: a submitter enqueues, then reads the lane's sleeper count; a worker counts itself asleep (an
/// interlocked increment, a full fence) under the lane's gate, then looks at the queue once more before it waits.
/// Either the worker sees the run or the submitter sees the sleeper, and its pulse takes the gate, which
/// the worker holds until <see cref="Monitor.Wait(object)"/> releases it. With a queue per thread a core worker takes
/// runs from its own queue only (spare threads take from any, see <see cref="ParkingExecutorSettings.MaxThreads"/>).
/// </remarks>
public sealed partial class ParkingExecutor : ExecutorService
{
    private readonly RunLane[] _lanes;
    private readonly Thread[] _threads;
    private readonly ExecutorWorker[] _core;
    private readonly int _spin;
    private readonly long _spinTicks;
    private readonly bool _yield;
    private volatile bool _shutdown;
    private volatile IIdleWait? _idleWait;
    private readonly IDispatcherPrerequisites? _prerequisites;
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<object, RunLane> _bound = [];
    private int _nextLane = -1;
    private int _nextBinding = -1;
    private static readonly List<WeakReference<ParkingExecutor>> s_live = [];

    [ThreadStatic]
    private static ParkingExecutor? t_current;

    [ThreadStatic]
    private static RunLane? t_home;

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
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threads);
        ArgumentOutOfRangeException.ThrowIfNegative(spin);
        _spinTicks = (long)(settings.SpinTime.TotalSeconds * Stopwatch.Frequency);
        _yield = settings.YieldWhileSpinning;
        RunsContinuations = settings.RunsContinuations;
        _prerequisites = prerequisites;
        lock (s_live)
        {
            s_live.Add(new WeakReference<ParkingExecutor>(this));
        }

        _spin = spin;
        _lanes = new RunLane[settings.QueuePerThread ? threads : 1];
        for (int i = 0; i < _lanes.Length; i++)
        {
            _lanes[i] = new RunLane();
        }

        _threads = new Thread[threads];
        _core = new ExecutorWorker[threads];
        for (int i = 0; i < threads; i++)
        {
            var worker = new ExecutorWorker(spare: false);
            worker.Lane = _lanes[settings.QueuePerThread ? i : 0];

            _core[i] = worker;
            _threads[i] = new Thread(() => Work(worker)) { IsBackground = true, Name = $"edsrt-{i} {id}" };
        }

        _spares = StartSpares(settings);
        foreach (var thread in _threads)
        {
            thread.Start();
        }
    }

    /// <summary>
    /// Queues <paramref name="run"/> and wakes a parked worker if there is one. After <see cref="Shutdown"/> the run is
    /// dropped. With a queue per thread the run goes to the caller's own queue on a core worker, else to the queues in
    /// turn (a dispatcher's runs go to the queue it is bound to, see <see cref="LaneOf"/>).
    /// </summary>
    public override void Execute(IRunnable run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var lane = _lanes.Length == 1
            ? _lanes[0]
            : ReferenceEquals(t_current, this) && t_home is { } home ? home : _lanes[NextLane()];
        Execute(run, lane);
    }

    /// <summary>
    /// Queues <paramref name="run"/> on run queue <paramref name="queue"/> (0 to <see cref="Queues"/> - 1), as a dispatcher
    /// bound to it does. Throws <see cref="ArgumentOutOfRangeException"/> for a queue that is not there.
    /// </summary>
    public void Execute(IRunnable run, int queue)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentOutOfRangeException.ThrowIfNegative(queue);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(queue, _lanes.Length);
        Execute(run, _lanes[queue]);
    }

    /// <summary>Queues <paramref name="run"/> on <paramref name="lane"/> (see <see cref="Execute(IRunnable)"/>).</summary>
    internal void Execute(IRunnable run, RunLane lane)
    {
        lane.Queue.Enqueue(run);
        if (Volatile.Read(ref lane.Sleeping) > 0)
        {
            Wake(lane);
        }
    }

    /// <summary>
    /// The queue of the actor system (or other owner) <paramref name="binding"/>: the same one on every call, the queues
    /// in turn for new ones (one queue: that one). A shared executor's dispatchers are bound by their actor system.
    /// </summary>
    internal RunLane LaneOf(object binding)
    {
        ArgumentNullException.ThrowIfNull(binding);
        // A counter of its own: were it the one unbound runs take turns by, two actor systems started one after the
        // other could land on the same queue (and run on one thread) or not, by chance, from one process to the next.
        return _lanes.Length == 1
            ? _lanes[0]
            : _bound.GetValue(binding, _ => _lanes[(int)((uint)Interlocked.Increment(ref _nextBinding) % (uint)_lanes.Length)]);
    }

    /// <summary>Runs the core threads have taken (spares' not counted).</summary>
    public long CoreRuns => _core.Sum(w => Volatile.Read(ref w.Runs));

    /// <summary>Times a core thread parked on its monitor.</summary>
    public long Parks => _core.Sum(w => Volatile.Read(ref w.Parks));

    /// <summary>The number of run queues: 1, or one per core thread (<see cref="ParkingExecutorSettings.QueuePerThread"/>).</summary>
    public int Queues => _lanes.Length;

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
            lock (_lanes[0].Gate)
            {
                Monitor.PulseAll(_lanes[0].Gate);
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
        foreach (var lane in _lanes)
        {
            lock (lane.Gate)
            {
                Monitor.PulseAll(lane.Gate);
            }
        }

        StopSpares();
    }

    private int NextLane() => (int)((uint)Interlocked.Increment(ref _nextLane) % (uint)_lanes.Length);

    private void Wake(RunLane lane)
    {
        _idleWait?.Wake();
        lock (lane.Gate)
        {
            Monitor.Pulse(lane.Gate);
        }
    }

    private bool TryTake(ExecutorWorker worker, RunLane home, out IRunnable run)
    {
        if (!home.Queue.TryDequeue(out run!))
        {
            return false;
        }

        if (_spares is not null && home.Queue.IsEmpty)
        {
            worker.Shallow++;
        }

        return true;
    }

    private void Work(ExecutorWorker worker)
    {
        t_current = this;
        var home = worker.Lane!;
        t_home = _lanes.Length > 1 ? home : null;
        int sincePoll = 0;
        while (!_shutdown)
        {
            if (TryTake(worker, home, out var run))
            {
                RunOn(worker, run);
                if (_idleWait is { } busy && ++sincePoll >= PollEvery)
                {
                    sincePoll = 0;
                    busy.Poll();
                }

                continue;
            }

            worker.Shallow++;
            if (SpinFor(home))
            {
                continue;
            }

            if (_idleWait is { } idle)
            {
                // Dekker with Execute: the count is raised (a full fence) before the queue is looked at, so a run
                // enqueued after the look sees a sleeper and wakes the wait.
                worker.Parked = true;
                Interlocked.Increment(ref home.Sleeping);
                if (home.Queue.IsEmpty && !_shutdown)
                {
                    idle.Wait();
                }

                Interlocked.Decrement(ref home.Sleeping);
                Unparked(worker);
                sincePoll = 0;
                idle.Poll();
                continue;
            }

            lock (home.Gate)
            {
                worker.Parked = true;
                Interlocked.Increment(ref home.Sleeping);
                if (home.Queue.IsEmpty && !_shutdown)
                {
                    worker.Parks++;
                    Monitor.Wait(home.Gate);
                }

                Interlocked.Decrement(ref home.Sleeping);
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

    private bool SpinFor(RunLane home)
    {
        for (int i = 0; i < _spin; i++)
        {
            Thread.SpinWait(20);
            if (!home.Queue.IsEmpty)
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

                if (!home.Queue.IsEmpty)
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
