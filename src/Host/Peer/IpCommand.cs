using System.Diagnostics;

namespace Edsos.Host.Peer;

/// <summary>
/// Runs iproute2's <c>ip</c> (and, through <c>ip netns exec</c>, other Linux tools) as a child process
/// and reports how it ended as a value: the exit code, and stdout and stderr as text. Never throws for a
/// command that fails or is missing; a command that outlives its timeout is killed (by its own id) and
/// reported as exit code -1.
/// </summary>
public static class IpCommand
{
    private static readonly TimeSpan s_defaultTimeout = TimeSpan.FromSeconds(20);

    /// <summary>True when an <c>ip</c> executable is on PATH.</summary>
    public static bool IsAvailable => Locate("ip") is not null;

    /// <summary>Runs <c>ip</c> with <paramref name="arguments"/>.</summary>
    public static CommandResult Ip(params string[] arguments) => Run("ip", arguments, s_defaultTimeout);

    /// <summary>
    /// Runs <paramref name="program"/> with <paramref name="arguments"/> (no shell), waits up to
    /// <paramref name="timeout"/>, and returns how it ended.
    /// </summary>
    public static CommandResult Run(string program, IReadOnlyList<string> arguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("no process");
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return new CommandResult(-1, string.Empty, $"cannot run {program}: {e.Message}");
        }

        using (process)
        {
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeout))
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
                return new CommandResult(-1, stdout.Result, $"{program} did not finish within {timeout.TotalSeconds:0} s");
            }

            process.WaitForExit();
            return new CommandResult(process.ExitCode, stdout.Result, stderr.Result);
        }
    }

    /// <summary>The full path of <paramref name="program"/> on PATH (or in /sbin and /usr/sbin), or null.</summary>
    public static string? Locate(string program)
    {
        string path = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty) + ":/usr/sbin:/sbin:/usr/bin:/bin";
        foreach (string directory in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(directory, program);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
