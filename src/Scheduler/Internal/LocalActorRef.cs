namespace Edsos.Scheduler.Internal;

/// <summary>The reference to an actor living in this process: one per cell, so identity is reference identity.</summary>
internal sealed class LocalActorRef : IInternalActorRef
{
    private readonly ActorCell _cell;

    public LocalActorRef(ActorCell cell, ActorPath path)
    {
        _cell = cell;
        Path = path;
    }

    public ActorPath Path { get; }

    public ActorSystem? System => _cell.SystemImpl;

    public ActorCell? Cell => _cell;

    public void Tell(object message, IActorRef? sender = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        _cell.Post(new Envelope(message, sender, TraceContextScope.Capture()));
    }

    public void SendSystemMessage(SystemMessage message) => _cell.PostSystem(message);

    // Wrappers such as a TestProbe expose the same cell, so identity is decided by the cell.
    public bool Equals(IActorRef? other) => other is IInternalActorRef r && ReferenceEquals(r.Cell, _cell);

    public override bool Equals(object? obj) => obj is IActorRef r && Equals(r);

    public override int GetHashCode() => Path.GetHashCode();

    public override string ToString() => Path.ToString();
}
