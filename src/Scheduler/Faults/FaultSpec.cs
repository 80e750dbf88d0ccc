using Edsos.Memory;

namespace Edsos.Scheduler.Faults;

/// <summary>
/// One fault to arm on a <see cref="FaultInjector"/>: which <paramref name="Kind"/> fires at which
/// <paramref name="Point"/>, for whom and when.
/// </summary>
/// <param name="Kind">The fault (exactly one flag).</param>
/// <param name="Point">Where it fires; the point must support the kind (<see cref="FaultPoint.Supports"/>).</param>
public sealed record FaultSpec(FaultKind Kind, FaultPoint Point)
{
    /// <summary>
    /// Only hits whose subject node originated in this TS count (a send of that app); hits that
    /// carry no subject (the device sees physical addresses only) always count. Default: every hit.
    /// </summary>
    public TsId? Origin { get; init; }

    /// <summary>The TS that exits for <see cref="FaultKind.TsExit"/> (required for it; usually the app's user TS).</summary>
    public TsId? Target { get; init; }

    /// <summary>Hits to let pass before the first firing ("after a few sends have completed"). Default 0.</summary>
    public int AfterHits { get; init; }

    /// <summary>How many times it fires at most (one per counted hit after <see cref="AfterHits"/>). Default 1.</summary>
    public int Times { get; init; } = 1;

    /// <summary>
    /// Run on the thread pool when the fault fires, never on the hitting actor's thread: the
    /// socket close of <see cref="FaultKind.SocketClose"/> (required for it), or anything extra a test wants.
    /// </summary>
    public Func<Task>? Action { get; init; }
}
