using System.Collections.Concurrent;
using System.Diagnostics;
using Edsos.Memory;

namespace Edsos.Memory.Tests.Shared;

/// <summary>A running Edsos.Memory.SharedChild process: its stdout lines as a queue, and SIGKILL.</summary>
internal sealed class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly BlockingCollection<string> _lines = new();

    private ChildProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                _lines.CompleteAdding();
            }
            else if (!_lines.IsAddingCompleted)
            {
                _lines.Add(e.Data);
            }
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public static ChildProcess Start(params string[] arguments)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "Edsos.Memory.SharedChild.dll");
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("exec");
        info.ArgumentList.Add(dll);
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("child did not start");
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                Console.Error.WriteLine($"[child {process.Id}] {e.Data}");
            }
        };
        return new ChildProcess(process);
    }

    /// <summary>The next line starting with <paramref name="prefix"/> (earlier other lines are handed to <paramref name="other"/>).</summary>
    public string WaitForLine(string prefix, TimeSpan timeout, Action<string>? other = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || !_lines.TryTake(out string? line, left))
            {
                throw new TimeoutException($"child {Pid} printed no '{prefix}' line within {timeout} (exited: {_process.HasExited})");
            }

            if (line.StartsWith(prefix, StringComparison.Ordinal))
            {
                return line;
            }

            other?.Invoke(line);
        }
    }

    /// <summary>Every line printed so far.</summary>
    public List<string> Drain()
    {
        var result = new List<string>();
        while (_lines.TryTake(out string? line))
        {
            result.Add(line);
        }

        return result;
    }

    public void SendLine(string line) => _process.StandardInput.WriteLine(line);

    /// <summary>SIGKILL, then reap the zombie so its pid is gone.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
        }

        if (!_process.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            throw new TimeoutException($"child {Pid} did not die after SIGKILL");
        }
    }

    public bool WaitForExit(TimeSpan timeout) => _process.WaitForExit(timeout);

    public void Dispose()
    {
        try
        {
            Kill();
        }
        finally
        {
            _process.Dispose();
        }
    }

    public static Capability ParseCapability(string[] fields, int at) =>
        new(uint.Parse(fields[at]), uint.Parse(fields[at + 1]), (Rights)int.Parse(fields[at + 2]), ulong.Parse(fields[at + 3]));
}
