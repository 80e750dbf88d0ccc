namespace Edsos.Scheduler;

/// <summary>Thrown by <c>ActorOf</c> for an empty, malformed or already used child name.</summary>
public sealed class InvalidActorNameException : ArgumentException
{
    /// <summary>Creates the exception.</summary>
    public InvalidActorNameException(string message)
        : base(message)
    {
    }
}
