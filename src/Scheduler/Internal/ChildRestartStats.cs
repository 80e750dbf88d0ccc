namespace Edsos.Scheduler.Internal;

/// <summary>A parent's record of one child: its reference and restart budget. Owned by the parent's cell.</summary>
internal sealed class ChildRestartStats
{
    public ChildRestartStats(IInternalActorRef child)
    {
        Child = child;
        WindowStartMs = Environment.TickCount64;
    }

    public IInternalActorRef Child { get; }

    public int Restarts { get; set; }

    public long WindowStartMs { get; set; }

    /// <summary>True once the parent asked it to stop; the name stays taken until it has stopped.</summary>
    public bool Stopping { get; set; }
}
