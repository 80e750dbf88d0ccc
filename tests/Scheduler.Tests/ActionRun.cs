using Akka.Dispatch;

namespace Edsos.Scheduler.Tests;

/// <summary>A run of an executor that calls <paramref name="action"/>.</summary>
internal sealed class ActionRun(Action action) : IRunnable
{
    public void Run() => action();

    public void Execute() => action();
}
