using System.Diagnostics;

namespace Edsos.Host.Cluster;

/// <summary>
/// One <c>edsos node</c> child process of the coordinator: the same program (<see cref="Environment.ProcessPath"/>,
/// or <c>dotnet exec edsos.dll</c> when this process runs under <c>dotnet</c>), its output kept line by line.
/// <see cref="Dispose"/> kills it (SIGKILL) if it still runs: no path leaves an orphan.
/// </summary>
internal sealed class NodeProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];

    private NodeProcess(string host, string role, string key, Process process)
    {
        Host = host;
        Role = role;
        Key = key;
        _process = process;
        Pid = process.Id;
        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>The EDSOS host the process runs (<c>A</c> or <c>B</c>).</summary>
    public string Host { get; }

    /// <summary>The host's role(s) it runs: <c>all</c>, <c>user</c>, <c>net</c> or <c>driver</c>.</summary>
    public string Role { get; }

    /// <summary>What the coordinator calls it: the host (<c>A</c>, <c>B</c>) for its app's process, else <c>A/net</c>, <c>A/driver</c>, <c>A/victim</c>.</summary>
    public string Key { get; }

    /// <summary>The process id.</summary>
    public int Pid { get; }

    /// <summary>True once the process ended.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>The exit code, once it ended; null before.</summary>
    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    /// <summary>What it printed so far (stdout and stderr, in arrival order).</summary>
    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    /// <summary>Starts <c>edsos node</c> with <paramref name="args"/>; <paramref name="key"/> defaults to the host.</summary>
    public static NodeProcess Start(string host, IEnumerable<string> args, string role = "all", string? key = null)
    {
        string self = Environment.ProcessPath ?? "dotnet";
        var start = new ProcessStartInfo(self)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
        };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            start.ArgumentList.Add("exec");
            start.ArgumentList.Add(typeof(NodeProcess).Assembly.Location);
        }

        start.ArgumentList.Add("node");
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // A node's Akka log stays quiet unless the person debugging asked for it; the rest of the environment is inherited.
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start an edsos node process");
        return new NodeProcess(host, role, key ?? host, process);
    }

    /// <summary>Sends SIGKILL (the process cannot clean up: the point of the kill scenarios).</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: false);
        }
    }

    /// <summary>Waits for the process to end, at most <paramref name="limit"/>; true when it did.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan limit)
    {
        try
        {
            await _process.WaitForExitAsync().WaitAsync(limit);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>Kills the process if it still runs and releases it.</summary>
    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // It ended between the check and the kill.
        }

        _process.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_lines)
        {
            _lines.Add(line);
        }
    }
}
