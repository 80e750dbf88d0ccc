using System.Diagnostics;
using System.Reflection;

namespace Edsos.Host.Peer;

/// <summary>
/// The Linux side's echo server for <c>demo --peer linux</c>: this very program, started inside the
/// namespace with <c>ip netns exec NAME edsos linux-echo --port P</c>, so the server is a separate process
/// on Linux sockets that knows nothing of our stack. When the current process is not the <c>edsos</c>
/// program (a test host), the same <see cref="LinuxEchoServer"/> runs in this process instead, its sockets
/// made inside the namespace by <see cref="NetnsThread"/>. <see cref="Dispose"/> ends it either way (the
/// child exits when its stdin closes).
/// </summary>
public sealed class LinuxEchoProcess : IDisposable
{
    private readonly Process? _process;
    private readonly LinuxEchoServer? _inProcess;

    private LinuxEchoProcess(Process? process, LinuxEchoServer? inProcess, string how)
    {
        _process = process;
        _inProcess = inProcess;
        How = how;
    }

    /// <summary>How the server runs: <c>process</c> (a child in the namespace) or <c>in-process</c>.</summary>
    public string How { get; }

    /// <summary>
    /// Starts the echo server on UDP and TCP <paramref name="port"/> in <paramref name="netns"/> and waits until
    /// it listens. Returns null and a one-line error when it could not start.
    /// </summary>
    public static LinuxEchoProcess? Start(string netns, int port, out string? error)
    {
        var command = EdsosCommand();
        if (command is null)
        {
            try
            {
                var server = NetnsThread.Run(netns, () => LinuxEchoServer.Start(port));
                error = null;
                return new LinuxEchoProcess(null, server, "in-process");
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
            {
                error = $"the Linux echo server did not start: {e.Message}";
                return null;
            }
        }

        var start = new ProcessStartInfo("ip")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in (string[])["netns", "exec", netns, .. command, "linux-echo", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture)])
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start);
        if (process is null)
        {
            error = "could not start ip netns exec";
            return null;
        }

        var ready = process.StandardOutput.ReadLineAsync();
        if (!ready.Wait(TimeSpan.FromSeconds(20)) || ready.Result is not { } line || !line.StartsWith("listening", StringComparison.Ordinal))
        {
            string stderr = process.HasExited ? process.StandardError.ReadToEnd().Trim() : "no answer within 20 s";
            if (!process.HasExited)
            {
                process.Kill();
            }

            process.Dispose();
            error = $"the Linux echo server did not start: {stderr}";
            return null;
        }

        error = null;
        return new LinuxEchoProcess(process, null, "process");
    }

    /// <summary>Ends the server: closes the child's stdin (it exits) or the in-process sockets.</summary>
    public void Dispose()
    {
        _inProcess?.Dispose();
        if (_process is not null)
        {
            _process.StandardInput.Close();
            if (!_process.WaitForExit(TimeSpan.FromSeconds(5)))
            {
                _process.Kill();
            }

            _process.Dispose();
        }
    }

    /// <summary>The command line that runs this program again, or null when this process is not <c>edsos</c>.</summary>
    private static string[]? EdsosCommand()
    {
        var entry = Assembly.GetEntryAssembly();
        string? path = Environment.ProcessPath;
        if (entry?.GetName().Name != "edsos" || path is null)
        {
            return null;
        }

        // `dotnet edsos.dll` runs as the dotnet host; the apphost `edsos` runs as itself.
        return Path.GetFileNameWithoutExtension(path) == "dotnet" ? [path, entry.Location] : [path];
    }
}
