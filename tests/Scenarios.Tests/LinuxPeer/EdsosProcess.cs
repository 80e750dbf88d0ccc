using System.Diagnostics;
using Edsos.Host;

namespace Edsos.Scenarios.Tests.LinuxPeer;

/// <summary>The <c>edsos</c> program (built beside the tests) run as a child process: <c>dotnet edsos.dll ARGS</c>.</summary>
internal static class EdsosProcess
{
    /// <summary>Starts <c>edsos</c> with <paramref name="arguments"/>, stdout and stderr redirected.</summary>
    public static Process Start(params string[] arguments)
    {
        string dll = typeof(EdsosCli).Assembly.Location;
        string host = Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
        var start = new ProcessStartInfo(host)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start) ?? throw new InvalidOperationException("could not start edsos");
    }

    /// <summary>Runs <c>edsos</c> to its end (at most <paramref name="timeout"/>); returns exit code, stdout, stderr.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(TimeSpan timeout, params string[] arguments)
    {
        using var process = Start(arguments);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"edsos {string.Join(' ', arguments)} ran longer than {timeout}");
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}
