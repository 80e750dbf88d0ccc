using Edsos.Scheduler;

namespace Edsos.Host.Bench;

/// <summary>
/// What the shared executor's spare threads did during a bench (see the Scheduler README, "Spare threads"): a reader
/// of the figures should know whether a second thread took part.
/// </summary>
internal static class SpareWakes
{
    /// <summary>One line for standard error: spares woken, by reason, since the process started; null without spares.</summary>
    public static string? Describe(string bench)
    {
        long blocked = 0;
        long backlog = 0;
        int spares = 0;
        foreach (var executor in ParkingExecutor.SharedExecutors)
        {
            blocked += executor.BlockedWakes;
            backlog += executor.BacklogWakes;
            spares += executor.SpareThreads;
        }

        return spares == 0 && blocked == 0 && backlog == 0
            ? null
            : $"bench {bench}: the shared executor's spare threads ({spares} started) were woken {blocked} times for a blocked run and {backlog} for a backlog";
    }
}
