using System.Runtime.InteropServices;

namespace Edsos.Host;

/// <summary>
/// SIGINT and SIGTERM for one command, handled here rather than by System.CommandLine (whose
/// process-termination handler is switched off: it ignored the run for 2 s and could crash when a
/// signal raced the end of the run). The first signal cancels <see cref="Token"/>: the run stops
/// starting work, closes its hosts and prints what it measured so far. A second signal, or a run
/// that has not stopped after <see cref="GraceTime"/>, ends the process at once with
/// <see cref="ExitCode"/>.
/// </summary>
public sealed class SignalStop : IDisposable
{
    /// <summary>How long a stopping run may take to close and report before the process exits anyway.</summary>
    public static readonly TimeSpan GraceTime = TimeSpan.FromSeconds(10);

    private readonly CancellationTokenSource _stop = new();
    private readonly PosixSignalRegistration[] _registrations;
    private readonly TextWriter _error;
    private int _signal;

    /// <summary>Starts handling SIGINT and SIGTERM; <paramref name="error"/> gets the one-line notices.</summary>
    public SignalStop(TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(error);
        _error = error;
        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle),
        ];
    }

    /// <summary>Cancelled at the first signal.</summary>
    public CancellationToken Token => _stop.Token;

    /// <summary>True once a signal arrived.</summary>
    public bool Stopped => Volatile.Read(ref _signal) != 0;

    /// <summary>128 + the signal's number (130 for SIGINT, 143 for SIGTERM); 0 before any signal.</summary>
    public int ExitCode => Volatile.Read(ref _signal) switch
    {
        0 => 0,
        var signal when signal == (int)PosixSignal.SIGTERM => ExitCodes.Terminated,
        _ => ExitCodes.Interrupted,
    };

    /// <summary>Stops handling the signals (their default action is back).</summary>
    public void Dispose()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }

        _stop.Dispose();
    }

    private void Handle(PosixSignalContext context)
    {
        // Never let the runtime's default action end the process under a run that is closing its hosts.
        context.Cancel = true;
        string name = context.Signal == PosixSignal.SIGTERM ? "SIGTERM" : "SIGINT";
        if (Interlocked.CompareExchange(ref _signal, (int)context.Signal, 0) != 0)
        {
            WriteLine($"edsos: {name} again: exiting without a report");
            Environment.Exit(ExitCode);
        }

        WriteLine($"edsos: {name}: stopping; the report covers what ran so far");
        _stop.Cancel();
        _ = Task.Delay(GraceTime).ContinueWith(
            _ =>
            {
                WriteLine($"edsos: the run did not stop within {GraceTime.TotalSeconds:0} s of {name}: exiting");
                Environment.Exit(ExitCode);
            },
            CancellationToken.None,
            TaskContinuationOptions.None,
            TaskScheduler.Default);
    }

    private void WriteLine(string line)
    {
        lock (_error)
        {
            if (!Console.IsErrorRedirected)
            {
                // Start on a fresh line: a progress counter may be mid-line on the terminal.
                _error.WriteLine();
            }

            _error.WriteLine(line);
            _error.Flush();
        }
    }
}
