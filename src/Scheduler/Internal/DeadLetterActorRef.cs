namespace Edsos.Scheduler.Internal;

/// <summary>The system's dead-letter office: every message told to it is published as a <see cref="DeadLetter"/>.</summary>
internal sealed class DeadLetterActorRef : IInternalActorRef
{
    private readonly ActorSystem _system;

    public DeadLetterActorRef(ActorSystem system, ActorPath path)
    {
        _system = system;
        Path = path;
    }

    public ActorPath Path { get; }

    public ActorSystem? System => _system;

    public ActorCell? Cell => null;

    public void Tell(object message, IActorRef? sender = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message is DeadLetter letter)
        {
            _system.EventStream.Publish(letter);
            return;
        }

        _system.EventStream.Publish(new DeadLetter(message, sender ?? ActorRefs.Nobody, this));
    }

    public void SendSystemMessage(SystemMessage message)
    {
        if (message is SystemMessage.Watch watch)
        {
            watch.Watcher.SendSystemMessage(new SystemMessage.DeathWatchNotification(this));
        }
    }

    public bool Equals(IActorRef? other) => ReferenceEquals(other, this);

    public override bool Equals(object? obj) => ReferenceEquals(obj, this);

    public override int GetHashCode() => Path.GetHashCode();

    public override string ToString() => Path.ToString();
}
