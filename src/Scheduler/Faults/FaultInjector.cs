using Akka.Actor;
using Edsos.Memory;

namespace Edsos.Scheduler.Faults;

/// <summary>
/// The runtime's fault injector (<see cref="ActorSystem.Faults"/>), used by tests and by
/// <c>edsos demo --fault</c>. Services call <see cref="Hit"/> at each stage boundary of the send
/// and receive paths; with nothing armed that costs one volatile read. An armed
/// <see cref="FaultSpec"/> fires when its point has been hit more than <see cref="FaultSpec.AfterHits"/>
/// times, at most <see cref="FaultSpec.Times"/> times, and the firing is recorded in <see cref="Firings"/>.
/// <para>
/// A <see cref="FaultKind.TsExit"/> lifts the target TS right at the point (so the stage that hit it
/// carries on with revoked capabilities, as when a process dies on another CPU at that moment)
/// and then runs <see cref="EdsrtExtension.ExitTsAsync(TsId)"/> on the thread pool: the hitting actor
/// never waits for the exit, so an actor inside the exiting subtree (the KPN) cannot deadlock.
/// A fault's <see cref="FaultSpec.Action"/> (a socket-close's close) runs after the hitting actor's turn: on the
/// <see cref="ParkingExecutor"/> whose thread hit it, where the apps' code runs too, else on the thread pool.
/// A <see cref="FaultKind.DriverCrash"/> throws <see cref="InjectedFaultException"/> from
/// <see cref="Hit"/>. The other kinds are returned to the caller, which acts on them.
/// </para>
/// Thread-safe: any actor may hit any point concurrently.
/// </summary>
public sealed class FaultInjector
{
    private readonly ActorSystem _system;
    private readonly Lock _gate = new();
    private readonly List<FaultFiring> _firings = [];
    private ArmedFault[] _armed = [];

    internal FaultInjector(ActorSystem system)
    {
        _system = system;
    }

    /// <summary>True while at least one fault is armed.</summary>
    public bool IsArmed => Volatile.Read(ref _armed).Length != 0;

    /// <summary>Every firing so far, oldest first (a snapshot).</summary>
    public IReadOnlyList<FaultFiring> Firings
    {
        get
        {
            lock (_gate)
            {
                return [.. _firings];
            }
        }
    }

    /// <summary>
    /// Arms <paramref name="spec"/>; dispose the result to disarm it. Throws
    /// <see cref="ArgumentException"/> when the point does not support the kind (<see cref="FaultPoint.Supports"/>),
    /// a ts-exit has no <see cref="FaultSpec.Target"/> or a socket-close no <see cref="FaultSpec.Action"/>,
    /// or the counts are negative.
    /// </summary>
    public ArmedFault Arm(FaultSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (!spec.Point.Supports(spec.Kind))
        {
            throw new ArgumentException($"{spec.Kind} at {spec.Point} is not a supported fault", nameof(spec));
        }

        if (spec.Kind == FaultKind.TsExit && spec.Target is null)
        {
            throw new ArgumentException("a ts-exit fault needs a Target TS", nameof(spec));
        }

        if (spec.Kind == FaultKind.SocketClose && spec.Action is null)
        {
            throw new ArgumentException("a socket-close fault needs the Action that closes the socket", nameof(spec));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(spec.AfterHits, nameof(spec));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(spec.Times, nameof(spec));
        var armed = new ArmedFault(this, spec);
        lock (_gate)
        {
            _armed = [.. _armed, armed];
        }

        return armed;
    }

    /// <summary>Disarms every armed fault (firings under way still complete).</summary>
    public void DisarmAll()
    {
        lock (_gate)
        {
            _armed = [];
        }
    }

    /// <summary>
    /// An injection point was reached: <paramref name="point"/>, with <paramref name="subject"/> (the
    /// payload, CTRN or skb being handled, or default when there is none, as on the device) held in
    /// tree space <paramref name="caller"/> (used only to check <see cref="FaultSpec.Origin"/>). Returns the fault that fired, if any, among the
    /// kinds in <paramref name="accept"/>, or <see cref="FaultKind.None"/>; ts-exit and
    /// socket-close are carried out here (see the class summary) and still returned. Throws
    /// <see cref="InjectedFaultException"/> when a driver crash fires. Never blocks.
    /// </summary>
    public FaultKind Hit(FaultPoint point, TsId caller = default, Capability subject = default, FaultKind accept = FaultKind.All)
    {
        var armed = Volatile.Read(ref _armed);
        return armed.Length == 0 ? FaultKind.None : HitArmed(armed, point, caller, subject, accept);
    }

    internal void Disarm(ArmedFault fault)
    {
        lock (_gate)
        {
            _armed = [.. _armed.Where(a => a != fault)];
        }
    }

    private FaultKind HitArmed(ArmedFault[] armed, FaultPoint point, TsId caller, Capability subject, FaultKind accept)
    {
        foreach (var fault in armed)
        {
            var spec = fault.Spec;
            if (spec.Point != point || (spec.Kind & accept) == 0 || !FromOrigin(spec, caller, subject))
            {
                continue;
            }

            var hit = fault.TryClaim();
            if (hit == 0)
            {
                continue;
            }

            Fire(fault, hit);
            return spec.Kind;
        }

        return FaultKind.None;
    }

    private bool FromOrigin(FaultSpec spec, TsId caller, Capability subject)
    {
        if (spec.Origin is not { } origin || subject == default)
        {
            return true;
        }

        // A subject already revoked belongs to nobody any more: it does not count.
        var info = _system.Memory.Inspect(caller, subject);
        return info.IsOk && info.Value.Origins.Contains(origin);
    }

    private void Fire(ArmedFault fault, int hit)
    {
        var spec = fault.Spec;
        LiftReport? lift = null;
        IReadOnlyList<string> lifted = [];
        var targetPath = string.Empty;
        Task completion = Task.CompletedTask;
        if (spec.Kind == FaultKind.TsExit)
        {
            var target = spec.Target!.Value;
            targetPath = _system.Memory.TryGetTs(target, out var info) ? info.Path : target.ToString();
            lifted = LiftedCtrns(target);
            lift = _system.Memory.Lift(target);
            completion = Task.Run(() => _system.ExitTsAsync(target));
        }

        if (spec.Action is { } action)
        {
            var previous = completion;
            if (previous.IsCompleted && ParkingExecutor.Current is { } executor)
            {
                // On the shared executor the app's own code runs there too: the action (a close) goes right after this
                // turn, as the app's next step would, not whenever a thread-pool worker wakes (by then a one-thread
                // stack may have carried the whole stream).
                var run = new FaultActionRun(action);
                executor.Execute(run);
                completion = run.Completion;
            }
            else
            {
                completion = Task.Run(async () =>
                {
                    await previous.ConfigureAwait(false);
                    await action().ConfigureAwait(false);
                });
            }
        }

        var firing = new FaultFiring(spec.Kind, spec.Point, hit, targetPath, lift, lifted, completion);
        lock (_gate)
        {
            _firings.Add(firing);
        }

        fault.Record(firing);
        if (spec.Kind == FaultKind.DriverCrash)
        {
            throw new InjectedFaultException(spec.Point);
        }
    }

    private List<string> LiftedCtrns(TsId target)
    {
        // The CTRNs that came from the target: what its lift is about to revoke, wherever mounted.
        var paths = new List<string>();
        foreach (var node in _system.Memory.GetLeakReport(target).Nodes)
        {
            if (node.IsCtrn)
            {
                paths.Add(node.Path);
            }
        }

        return paths;
    }
}
