namespace Edsos.Scheduler.Internal;

/// <summary>Lifecycle of a cell. Only the cell's own processing changes it.</summary>
internal enum CellState
{
    /// <summary>Waiting for its Create message; user mail waits.</summary>
    Creating,

    /// <summary>Handling user mail.</summary>
    Running,

    /// <summary>Failed and waiting for its supervisor, or restarting and waiting for stopping children; user mail waits.</summary>
    Suspended,

    /// <summary>Waiting for its children to stop before PostStop.</summary>
    Terminating,

    /// <summary>Stopped: user mail goes to dead letters, a watch is answered at once.</summary>
    Terminated,
}
