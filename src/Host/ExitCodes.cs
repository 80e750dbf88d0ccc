namespace Edsos.Host;

/// <summary>
/// The exit codes of every <c>edsos</c> command (README, "Exit codes"): 0 the run behaved as
/// designed, 1 it ran and something failed, 2 bad usage (a parse error or a bad option, refused
/// before any work starts), 128 + the signal number when SIGINT or SIGTERM stopped it (after the
/// partial report), as shells report a process a signal ended.
/// </summary>
public static class ExitCodes
{
    /// <summary>The run behaved as designed.</summary>
    public const int Ok = 0;

    /// <summary>The run happened and something failed (an echo, a leak, an export, an invariant).</summary>
    public const int Failed = 1;

    /// <summary>Bad usage: nothing was run.</summary>
    public const int Usage = 2;

    /// <summary>SIGINT stopped the run (128 + 2).</summary>
    public const int Interrupted = 130;

    /// <summary>SIGTERM stopped the run (128 + 15).</summary>
    public const int Terminated = 143;
}
