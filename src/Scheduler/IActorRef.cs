namespace Edsos.Scheduler;

/// <summary>
/// A handle to an actor: the only way to talk to it. Telling never blocks and never throws for a
/// stopped recipient; mail to a stopped actor is published as a <see cref="DeadLetter"/>.
/// Two references are equal when they point at the same actor incarnation.
/// </summary>
public interface IActorRef : IEquatable<IActorRef>
{
    /// <summary>The actor's path in its system.</summary>
    ActorPath Path { get; }

    /// <summary>
    /// Enqueues <paramref name="message"/> in the actor's mailbox, with <paramref name="sender"/> as the
    /// reply address and the caller's trace context (see <see cref="IActorContext.TraceContext"/>).
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="message"/> is null.</exception>
    void Tell(object message, IActorRef? sender = null);
}
