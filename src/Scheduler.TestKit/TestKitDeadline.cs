namespace Edsos.Scheduler.TestKit;

/// <summary>
/// The deadline of the innermost <c>Within</c> block. An async-local so that it reaches expectations made in
/// the block (also across awaits in <c>WithinAsync</c>) on any probe, and is gone when the block ends.
/// </summary>
internal static class TestKitDeadline
{
    private static readonly AsyncLocal<DateTime?> s_deadline = new();

    public static DateTime? Current => s_deadline.Value;

    public static TimeSpan? Remaining => s_deadline.Value is { } end ? Max(end - DateTime.UtcNow, TimeSpan.Zero) : null;

    public static DateTime? Set(DateTime? deadline)
    {
        var previous = s_deadline.Value;
        s_deadline.Value = deadline;
        return previous;
    }

    /// <summary>An explicit timeout wins; otherwise the Within block's remaining time; otherwise the default.</summary>
    public static TimeSpan Resolve(TimeSpan? timeout, TimeSpan defaultTimeout) => timeout ?? Remaining ?? defaultTimeout;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
