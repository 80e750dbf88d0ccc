namespace Edsos.Scheduler;

/// <summary>A handle to scheduled work.</summary>
public interface ICancelable
{
    /// <summary>True once <see cref="Cancel"/> was called.</summary>
    bool IsCancellationRequested { get; }

    /// <summary>Prevents every future run; a run already in progress completes. Idempotent, never throws.</summary>
    void Cancel();
}
