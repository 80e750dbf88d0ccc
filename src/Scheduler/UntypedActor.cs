namespace Edsos.Scheduler;

/// <summary>An actor with a single <see cref="OnReceive"/> method; call <c>Unhandled(message)</c> for messages it does not understand.</summary>
public abstract class UntypedActor : ActorBase
{
    /// <summary>Handles one message.</summary>
    protected abstract void OnReceive(object message);

    /// <inheritdoc />
    protected internal sealed override bool Receive(object message)
    {
        OnReceive(message);
        return true;
    }
}
