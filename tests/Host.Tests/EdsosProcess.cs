using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Edsos.Host.Tests;

/// <summary>
/// Runs the real <c>edsos</c> program (the Host project's build output, through <c>dotnet</c>) as
/// a child process with captured output, optionally sending it a POSIX signal once it has run for
/// a while: how the CLI tests see exactly what a user sees, exit code included.
/// </summary>
internal static partial class EdsosProcess
{
    public const int SIGINT = 2;
    public const int SIGTERM = 15;

    /// <summary>What one run printed and returned.</summary>
    public sealed record Outcome(int ExitCode, string Stdout, string Stderr, TimeSpan Elapsed, TimeSpan? StopTime)
    {
        /// <summary>Stderr's non-empty lines.</summary>
        public string[] ErrorLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    /// <summary>The built program: edsos.dll beside the tests (copied with its runtimeconfig by the project reference).</summary>
    public static string ProgramPath
    {
        get
        {
            string local = Path.Combine(AppContext.BaseDirectory, "edsos.dll");
            if (File.Exists(Path.ChangeExtension(local, ".runtimeconfig.json")))
            {
                return local;
            }

            return typeof(EdsosCli).Assembly.Location;
        }
    }

    /// <summary>True when this process (so its children) ignores SIGINT, as a shell's background job does.</summary>
    public static bool SigintIgnored
    {
        get
        {
            string? line = File.Exists("/proc/self/status") ? File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal)) : null;
            return line is not null && (Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16) & (1UL << (SIGINT - 1))) != 0;
        }
    }

    /// <summary>
    /// Runs <c>edsos <paramref name="args"/></c> and waits for it (at most <paramref name="timeout"/>,
    /// then kills it and fails). With <paramref name="signal"/>, sends it after <paramref name="signalAfter"/>
    /// (3 s when null).
    /// </summary>
    public static async Task<Outcome> RunAsync(
        string[] args,
        TimeSpan? timeout = null,
        int? signal = null,
        TimeSpan? signalAfter = null,
        IReadOnlyDictionary<string, string>? environment = null,
        bool mayEndBeforeSignal = false,
        TimeSpan? repeatSignalAfter = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(ProgramPath);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var watch = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        TimeSpan? signalled = null;
        if (signal is { } number)
        {
            await Task.Delay(signalAfter ?? TimeSpan.FromSeconds(3));
            Assert.True(mayEndBeforeSignal || !process.HasExited, "the run ended before the signal; make it longer");
            signalled = watch.Elapsed;
            if (Kill(process.Id, number) != 0)
            {
                // Only a race with the process's own end may make the signal miss.
                Assert.True(mayEndBeforeSignal, "kill() failed");
            }

            if (repeatSignalAfter is { } pause)
            {
                await Task.Delay(pause);
                Kill(process.Id, number);
            }
        }

        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(120));
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"edsos {string.Join(' ', args)} did not exit within {(timeout ?? TimeSpan.FromSeconds(120)).TotalSeconds} s");
        }

        var elapsed = watch.Elapsed;
        return new Outcome(process.ExitCode, await stdout, await stderr, elapsed, signalled is null ? null : elapsed - signalled);
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
