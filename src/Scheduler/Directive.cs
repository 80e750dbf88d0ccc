namespace Edsos.Scheduler;

/// <summary>What a supervisor does with a child that threw.</summary>
public enum Directive
{
    /// <summary>Keep the instance and its state; go on with the next message.</summary>
    Resume,

    /// <summary>Replace the instance with a fresh one (PreRestart, new instance, PostRestart); the mailbox is kept.</summary>
    Restart,

    /// <summary>Stop the child (its children first).</summary>
    Stop,

    /// <summary>Fail the supervisor itself with the same exception, so its own supervisor decides.</summary>
    Escalate,
}
