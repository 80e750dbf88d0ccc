namespace Edsos.Scheduler.Internal;

/// <summary>The temporary reply address of an Ask: the first message told to it completes the task.</summary>
internal sealed class PromiseActorRef : IInternalActorRef
{
    private readonly TaskCompletionSource<object> _promise = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public PromiseActorRef(ActorSystem? system, ActorPath path)
    {
        System = system;
        Path = path;
    }

    public ActorPath Path { get; }

    public ActorSystem? System { get; }

    public ActorCell? Cell => null;

    public Task<object> Task => _promise.Task;

    public bool TryFail(Exception exception) => _promise.TrySetException(exception);

    public void Tell(object message, IActorRef? sender = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message is Status.Failure failure)
        {
            _promise.TrySetException(failure.Cause);
            return;
        }

        _promise.TrySetResult(message);
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
