namespace Edsos.Memory.Shared;

/// <summary>
/// Whether a process recorded in the arena is still the same running process: /proc/PID/stat
/// exists, its state is not zombie or dead, and its start time (field 22, clock ticks since boot)
/// is the one recorded, so a pid the kernel reused for another process does not count as alive.
/// </summary>
internal static class ProcessLiveness
{
    /// <summary>The start time of <paramref name="pid"/>, or -1 if it is not running.</summary>
    public static long StartTime(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return -1;
        }
        catch (UnauthorizedAccessException)
        {
            return -1;
        }

        // The command name (field 2) is in parentheses and may hold spaces: parse after the last ')'.
        int close = text.LastIndexOf(')');
        if (close < 0)
        {
            return -1;
        }

        string[] fields = text[(close + 2)..].Split(' ');
        if (fields.Length < 20 || fields[0] is "Z" or "X" or "x")
        {
            return -1;
        }

        return long.TryParse(fields[19], out long start) ? start : -1;
    }

    public static bool IsAlive(int pid, long startTime) => pid > 0 && StartTime(pid) == startTime;
}
