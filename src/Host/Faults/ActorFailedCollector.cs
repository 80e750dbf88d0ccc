using System.Collections.Concurrent;
using Edsos.Scheduler;

namespace Edsos.Host.Faults;

/// <summary>
/// Subscribed to a runtime's <see cref="EventStream"/>, it keeps every <see cref="ActorFailed"/>:
/// an exception that escaped an actor (injected crashes included) lands in <see cref="Failures"/>.
/// </summary>
public sealed class ActorFailedCollector : ReceiveActor
{
    /// <summary>Collects into <paramref name="failures"/> (shared with the caller, thread-safe).</summary>
    public ActorFailedCollector(ConcurrentQueue<ActorFailed> failures)
    {
        Receive<ActorFailed>(failures.Enqueue);
    }

    /// <summary>Starts a collector on <paramref name="system"/> and returns the queue it fills.</summary>
    public static ConcurrentQueue<ActorFailed> Start(ActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        var failures = new ConcurrentQueue<ActorFailed>();
        var collector = system.ActorOf(Props.Create(() => new ActorFailedCollector(failures)));
        system.EventStream.Subscribe<ActorFailed>(collector);
        return failures;
    }
}
