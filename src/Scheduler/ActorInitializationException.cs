namespace Edsos.Scheduler;

/// <summary>
/// Wraps a failure in an actor's constructor, <c>PreStart</c> or <c>PostRestart</c>; the default strategy
/// stops such an actor instead of restarting it into the same failure.
/// </summary>
public sealed class ActorInitializationException : Exception
{
    /// <summary>Creates the exception for <paramref name="actor"/> with the original failure as inner exception.</summary>
    public ActorInitializationException(IActorRef actor, string message, Exception inner)
        : base(message, inner)
    {
        Actor = actor;
    }

    /// <summary>The actor that failed to start.</summary>
    public IActorRef Actor { get; }
}
