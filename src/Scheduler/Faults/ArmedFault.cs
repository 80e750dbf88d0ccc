namespace Edsos.Scheduler.Faults;

/// <summary>
/// A fault armed on a <see cref="FaultInjector"/>: its counters and its first firing. Disposing it
/// disarms it (a firing under way still completes).
/// </summary>
public sealed class ArmedFault : IDisposable
{
    private readonly FaultInjector _injector;
    private readonly TaskCompletionSource<FaultFiring> _firstFiring = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _hits;
    private int _fired;

    internal ArmedFault(FaultInjector injector, FaultSpec spec)
    {
        _injector = injector;
        Spec = spec;
    }

    /// <summary>What was armed.</summary>
    public FaultSpec Spec { get; }

    /// <summary>Hits of the point that counted (matched the point, the kind filter and the origin).</summary>
    public int Hits => Volatile.Read(ref _hits);

    /// <summary>How many times it fired.</summary>
    public int FiredCount => Math.Min(Volatile.Read(ref _fired), Spec.Times);

    /// <summary>Completes with the first firing (never, if the point is not hit often enough).</summary>
    public Task<FaultFiring> FirstFiring => _firstFiring.Task;

    /// <summary>Disarms the fault. Idempotent.</summary>
    public void Dispose() => _injector.Disarm(this);

    /// <summary>Counts a hit; returns its 1-based number when this hit fires the fault, else 0. Thread-safe.</summary>
    internal int TryClaim()
    {
        var hit = Interlocked.Increment(ref _hits);
        if (hit <= Spec.AfterHits)
        {
            return 0;
        }

        return Interlocked.Increment(ref _fired) <= Spec.Times ? hit : 0;
    }

    internal void Record(FaultFiring firing) => _firstFiring.TrySetResult(firing);
}
