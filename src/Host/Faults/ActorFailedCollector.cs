using System.Collections.Concurrent;
using Akka.Actor;
using Edsos.Scheduler;

namespace Edsos.Host.Faults;

/// <summary>
/// Subscribed to an actor system's event stream, it keeps every <see cref="ActorFailed"/>:
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
        // AK1008 warns about ActorOf inside an actor's context; this is a static factory called from outside.
#pragma warning disable AK1008
        var collector = system.ActorOf(Props.Create(() => new ActorFailedCollector(failures)));
#pragma warning restore AK1008
        system.EventStream.Subscribe(collector, typeof(ActorFailed));
        return failures;
    }
}
