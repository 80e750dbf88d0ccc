namespace Edsos.Scenarios.Tests;

/// <summary>
/// A fact that needs Wireshark's <c>tshark</c>: skipped, with the reason printed by the runner, when
/// it is not on PATH (<c>.ci/run</c> installs it from Debian), so a missing tool never counts as a pass.
/// </summary>
public sealed class TsharkFactAttribute : FactAttribute
{
    public TsharkFactAttribute()
    {
        if (Locate() is null)
        {
            Skip = "tshark is not installed (apt-get install tshark): the Wireshark cross-check did not run";
        }
    }

    /// <summary>The full path of tshark on PATH, or null.</summary>
    public static string? Locate()
    {
        foreach (string directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator))
        {
            string candidate = Path.Combine(directory, "tshark");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
