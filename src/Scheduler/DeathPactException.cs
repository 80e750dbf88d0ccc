namespace Edsos.Scheduler;

/// <summary>
/// The failure of an actor that did not handle a <see cref="Terminated"/> for an actor it watched; the default
/// strategy stops it, so watching without handling ties the two lifetimes together.
/// </summary>
public sealed class DeathPactException : Exception
{
    /// <summary>Creates the exception for the actor whose termination was not handled.</summary>
    public DeathPactException(IActorRef dead)
        : base($"Terminated({dead.Path}) was not handled by the watcher")
    {
        Dead = dead;
    }

    /// <summary>The watched actor that stopped.</summary>
    public IActorRef Dead { get; }
}
