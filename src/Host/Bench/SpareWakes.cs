using System.Globalization;
using Edsos.Scheduler;

namespace Edsos.Host.Bench;

/// <summary>
/// What the shared executor's spare threads did during a bench (see the Scheduler README, "Spare threads"): a reader
/// of the figures should know whether a second thread took part.
/// </summary>
internal static class SpareWakes
{
    /// <summary>One line for standard error: runs, parks and spares woken (by reason) since the process started; null without a shared executor.</summary>
    public static string? Describe(string bench)
    {
        long blocked = 0;
        long backlog = 0;
        int spares = 0;
        long runs = 0;
        long parks = 0;
        int queues = 0;
        foreach (var executor in ParkingExecutor.SharedExecutors)
        {
            blocked += executor.BlockedWakes;
            backlog += executor.BacklogWakes;
            spares += executor.SpareThreads;
            runs += executor.CoreRuns;
            parks += executor.Parks;
            queues = Math.Max(queues, executor.Queues);
        }

        if (runs == 0)
        {
            return null;
        }

        string layout = queues > 1 ? $"{queues} run queues, one per thread" : "one run queue";
        return string.Create(
            CultureInfo.InvariantCulture,
            $"bench {bench}: the shared executor ({layout}) ran {runs:N0} runs, its threads parked {parks:N0} times; its spare threads ({spares} started) were woken {blocked} times for a blocked run and {backlog} for a backlog");
    }
}
