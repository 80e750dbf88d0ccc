namespace Edsos.Scheduler.Internal;

/// <summary>A reference to no actor: mail is dropped, a watch answers at once with a termination.</summary>
internal sealed class NobodyRef : IInternalActorRef
{
    private static readonly ActorPath s_path = ActorPath.Root("nobody");

    private NobodyRef()
    {
    }

    public static NobodyRef Instance { get; } = new();

    public ActorPath Path => s_path;

    public ActorSystem? System => null;

    public ActorCell? Cell => null;

    public void Tell(object message, IActorRef? sender = null)
    {
        ArgumentNullException.ThrowIfNull(message);
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

    public override int GetHashCode() => 17;

    public override string ToString() => "Nobody";
}
