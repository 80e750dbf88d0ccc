namespace Edsos.Scheduler.Faults;

/// <summary>
/// What one firing of an armed fault did, recorded by the <see cref="FaultInjector"/> for tests and the demo.
/// </summary>
/// <param name="Kind">The fault.</param>
/// <param name="Point">Where it fired.</param>
/// <param name="Hit">Which counted hit of the point fired it (1-based).</param>
/// <param name="TargetPath">The TS that exited (ts-exit), else empty.</param>
/// <param name="Lift">The lift of the exiting TS, done at the point (ts-exit), else null.</param>
/// <param name="LiftedCtrns">Paths of the CTRNs that the lift revoked (ts-exit), else empty.</param>
/// <param name="Completion">The asynchronous rest of the fault (the TS exit, the action); completes when it has run.</param>
public sealed record FaultFiring(
    FaultKind Kind,
    FaultPoint Point,
    int Hit,
    string TargetPath,
    Edsos.Memory.LiftReport? Lift,
    IReadOnlyList<string> LiftedCtrns,
    Task Completion);
