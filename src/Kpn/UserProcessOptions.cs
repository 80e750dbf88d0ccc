namespace Edsos.Kpn;

/// <summary>Settings of a process started by <see cref="UserProcess.Start"/>. Every property has a working default.</summary>
public sealed record UserProcessOptions
{
    /// <summary>
    /// The longest a syscall may wait for its KPN; past it the call ends with ETIMEDOUT. Blocking
    /// calls (recv on an empty socket, send on a full buffer) are meant to wait, so the default is long.
    /// </summary>
    public TimeSpan SyscallTimeout { get; init; } = TimeSpan.FromDays(1);

    /// <summary>How long <see cref="Libc.ExitAsync"/> waits for the sockets to confirm their close before exiting the TS anyway.</summary>
    public TimeSpan ExitTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Most descriptors open at once (RLIMIT_NOFILE).</summary>
    public int MaxDescriptors { get; init; } = 1024;
}
