using Akka.Dispatch;

namespace Edsos.Scheduler.Faults;

/// <summary>
/// A fault's <see cref="FaultSpec.Action"/> as one run of a <see cref="ParkingExecutor"/>: started there (its synchronous
/// part on the executor's thread, after the hitting actor's turn), its end in <see cref="Completion"/> (failures
/// included).
/// </summary>
internal sealed class FaultActionRun(Func<Task> action) : IRunnable
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Ends when the action has; faults with what it threw.</summary>
    public Task Completion => _done.Task;

    /// <inheritdoc />
    public void Run() => _ = RunAsync();

    /// <inheritdoc />
    public void Execute() => Run();

    private async Task RunAsync()
    {
        try
        {
            await action().ConfigureAwait(false);
            _done.SetResult();
        }
        catch (Exception e)
        {
            _done.SetException(e);
        }
    }
}
