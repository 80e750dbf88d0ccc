namespace Edsos.Scheduler;

/// <summary>
/// A <see cref="ParkingExecutor"/>'s spare threads and its watchdog's settings and state. The watchdog adds spares; any
/// thread may take a <see cref="Snapshot"/>.
/// </summary>
internal sealed class SpareSet
{
    private ExecutorWorker[] _spares = [];

    /// <summary>The watchdog's settings, in milliseconds, from <paramref name="settings"/>.</summary>
    public SpareSet(ParkingExecutorSettings settings)
    {
        MaxThreads = settings.MaxThreads;
        BlockedMs = Math.Max(1, (long)settings.BlockedAfter.TotalMilliseconds);
        SaturatedMs = (long)settings.SaturatedAfter.TotalMilliseconds;
        LeaseMs = Math.Max(1, (long)settings.SpareLease.TotalMilliseconds);

        // A tick often enough to notice either condition within about half again its threshold.
        long shortest = SaturatedMs > 0 ? Math.Min(BlockedMs, SaturatedMs) : BlockedMs;
        TickMs = (int)Math.Clamp(shortest / 2, 1, 50);
    }

    /// <summary>Most threads, spares included.</summary>
    public int MaxThreads { get; }

    /// <summary>A run longer than this blocks its thread.</summary>
    public long BlockedMs { get; }

    /// <summary>No empty queue seen for this long saturates the running threads (0: never).</summary>
    public long SaturatedMs { get; }

    /// <summary>A woken spare's lease.</summary>
    public long LeaseMs { get; }

    /// <summary>The watchdog's period while armed.</summary>
    public int TickMs { get; }

    /// <summary>The watchdog's monitor.</summary>
    public object Gate { get; } = new();

    /// <summary>1 while the watchdog ticks, 0 while it waits for a worker to wake.</summary>
    public int Armed = 1;

    /// <summary>Ticks so far.</summary>
    public long Ticks;

    /// <summary>Wake-ups for a blocked run.</summary>
    public long BlockedWakes;

    /// <summary>Wake-ups for a backlog.</summary>
    public long BacklogWakes;

    /// <summary>Spares started.</summary>
    public int Count => Volatile.Read(ref _spares).Length;

    /// <summary>Spares with the queue now.</summary>
    public int ActiveCount
    {
        get
        {
            int n = 0;
            foreach (var spare in Snapshot())
            {
                n += spare.Active ? 1 : 0;
            }

            return n;
        }
    }

    /// <summary>The spares started so far.</summary>
    public ExecutorWorker[] Snapshot() => Volatile.Read(ref _spares);

    /// <summary>Adds a spare (the watchdog only).</summary>
    public void Add(ExecutorWorker spare) => Volatile.Write(ref _spares, [.. _spares, spare]);
}
