using System.Collections.Concurrent;

namespace Edsos.Scheduler.Internal;

/// <summary>
/// A small fixed pool of worker threads sharing one run queue of cells that have mail. A worker runs a cell
/// for at most one throughput batch, so one busy actor cannot starve the others, and a cell is in the queue
/// at most once (the cell's own schedule flag guarantees it).
/// </summary>
/// <remarks>
/// Context switches are kept rare: a worker spins briefly before sleeping, only one sleeper is woken per
/// wake-up (a woken worker that sees more work wakes the next one), and enqueuers skip the semaphore
/// entirely while every worker is awake.
/// </remarks>
internal sealed class Dispatcher : IDisposable
{
    private const int SpinIterations = 24;

    private readonly ConcurrentQueue<ActorCell> _runQueue = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly Thread[] _workers;
    private readonly Action<Exception> _onCrash;
    private int _sleepers;
    private int _wakePending;
    private volatile bool _stopping;

    public Dispatcher(string name, int workerCount, int throughput, Action<Exception> onCrash)
    {
        if (workerCount < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(workerCount), workerCount, "at least one worker is needed");
        }

        if (throughput < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(throughput), throughput, "throughput must be positive");
        }

        Throughput = throughput;
        _onCrash = onCrash;
        _workers = new Thread[workerCount];
        for (int i = 0; i < workerCount; i++)
        {
            var thread = new Thread(WorkerLoop)
            {
                IsBackground = true,
                Name = $"{name}-worker-{i}",
            };
            _workers[i] = thread;
        }

        foreach (var thread in _workers)
        {
            thread.Start();
        }
    }

    public int Throughput { get; }

    public int WorkerCount => _workers.Length;

    public void Schedule(ActorCell cell)
    {
        _runQueue.Enqueue(cell);
        WakeOne();
    }

    public void Dispose()
    {
        if (_stopping)
        {
            return;
        }

        _stopping = true;
        _signal.Release(_workers.Length);
        var current = Thread.CurrentThread;
        foreach (var thread in _workers)
        {
            // A worker may be the one terminating the system (an actor awaiting Terminate); it exits by itself.
            if (!ReferenceEquals(thread, current))
            {
                thread.Join(TimeSpan.FromSeconds(5));
            }
        }
    }

    private void WakeOne()
    {
        // ConcurrentQueue.Enqueue is a full fence, so this read cannot move before it: a worker that counted
        // itself as a sleeper either sees the new item when it re-checks or is woken here.
        if (Volatile.Read(ref _sleepers) > 0 && Interlocked.Exchange(ref _wakePending, 1) == 0)
        {
            _signal.Release();
        }
    }

    private void WorkerLoop()
    {
        while (true)
        {
            if (_runQueue.TryDequeue(out var cell))
            {
                if (!_runQueue.IsEmpty)
                {
                    WakeOne();
                }

                try
                {
                    cell.Run();
                }
                catch (Exception ex)
                {
                    // Run catches actor failures itself; reaching here is a runtime bug, reported, not fatal.
                    _onCrash(ex);
                }

                continue;
            }

            if (_stopping)
            {
                return;
            }

            var spinner = default(SpinWait);
            for (int i = 0; i < SpinIterations && _runQueue.IsEmpty; i++)
            {
                spinner.SpinOnce(sleep1Threshold: -1);
            }

            if (!_runQueue.IsEmpty)
            {
                continue;
            }

            Interlocked.Increment(ref _sleepers);
            if (!_runQueue.IsEmpty || _stopping)
            {
                Interlocked.Decrement(ref _sleepers);
                continue;
            }

            _signal.Wait();
            Interlocked.Decrement(ref _sleepers);

            // Cleared before the queue is looked at again, so an enqueue after this point wakes someone.
            Interlocked.Exchange(ref _wakePending, 0);
        }
    }
}
