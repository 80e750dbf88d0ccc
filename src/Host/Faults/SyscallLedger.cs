using System.Collections.Concurrent;
using Edsos.Kpn;
using Edsos.Protocol;

namespace Edsos.Host.Faults;

/// <summary>
/// Counts a fault scenario's syscalls by outcome and records a violation for any call that got no
/// result in time: the "exactly one result per syscall" invariant. Thread-safe (an injected close
/// reports from the thread pool).
/// </summary>
internal sealed class SyscallLedger(TimeSpan timeout)
{
    private int _syscalls;

    /// <summary>Outcomes: "ok", an errno name, or "none" for a call that never returned.</summary>
    public ConcurrentDictionary<string, int> Results { get; } = new();

    /// <summary>Broken invariants, in the order they were found.</summary>
    public ConcurrentQueue<string> Violations { get; } = new();

    /// <summary>Syscalls made so far.</summary>
    public int Syscalls => Volatile.Read(ref _syscalls);

    /// <summary>Awaits <paramref name="call"/>, counting its outcome; ETIMEDOUT and a violation when it does not return in time.</summary>
    public async Task<SysResult> CallAsync(ValueTask<SysResult> call, string what)
    {
        Interlocked.Increment(ref _syscalls);
        try
        {
            var result = await call.AsTask().WaitAsync(timeout).ConfigureAwait(false);
            Results.AddOrUpdate(result.IsOk ? "ok" : result.Error.ToString(), 1, (_, n) => n + 1);
            return result;
        }
        catch (TimeoutException)
        {
            Results.AddOrUpdate("none", 1, (_, n) => n + 1);
            Violations.Enqueue($"{what}: no result within {timeout.TotalSeconds:0} s");
            return SysResult.Fail(Errno.ETIMEDOUT);
        }
    }
}
