namespace Edsos.Host.Peer;

/// <summary>How a child process ended.</summary>
/// <param name="ExitCode">Its exit code; -1 when it could not be started or was killed after a timeout.</param>
/// <param name="Stdout">What it wrote on stdout.</param>
/// <param name="Stderr">What it wrote on stderr (or why it could not run).</param>
public readonly record struct CommandResult(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>True when the command exited with code 0.</summary>
    public bool Ok => ExitCode == 0;

    /// <summary>The first line of stderr (or stdout), for a one-line error message.</summary>
    public string FirstLine
    {
        get
        {
            string text = string.IsNullOrWhiteSpace(Stderr) ? Stdout : Stderr;
            string line = text.Trim().Split('\n', 2)[0].Trim();
            return line.Length == 0 ? $"exit code {ExitCode}" : line;
        }
    }
}
