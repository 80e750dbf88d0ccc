namespace Edsos.Scheduler;

/// <summary>The failure an actor reports when it receives <see cref="Kill"/>; the default strategy stops it.</summary>
public sealed class ActorKilledException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ActorKilledException(string message)
        : base(message)
    {
    }
}
