using System.Diagnostics;

namespace Edsos.Scheduler.TestKit;

/// <summary>Time-boxed blocks: expectations inside without their own timeout get the block's remaining time.</summary>
public abstract partial class TestKitBase
{
    /// <summary>The time left in the innermost Within block, or the default timeout outside one.</summary>
    public TimeSpan Remaining => TestKitDeadline.Remaining ?? DefaultTimeout;

    /// <summary>Runs <paramref name="action"/> and asserts it finished within <paramref name="max"/>.</summary>
    /// <exception cref="ExpectationFailedException">The block took longer (or an expectation inside it timed out).</exception>
    public void Within(TimeSpan max, Action action) => Within(TimeSpan.Zero, max, action);

    /// <summary>Runs <paramref name="action"/> and asserts it took between <paramref name="min"/> and <paramref name="max"/>.</summary>
    /// <exception cref="ExpectationFailedException">The block was faster than <paramref name="min"/> or slower than <paramref name="max"/>.</exception>
    public void Within(TimeSpan min, TimeSpan max, Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        var watch = Stopwatch.StartNew();
        var previous = TestKitDeadline.Set(Earlier(DateTime.UtcNow + max, TestKitDeadline.Current));
        try
        {
            action();
        }
        finally
        {
            TestKitDeadline.Set(previous);
        }

        CheckElapsed(min, max, watch.Elapsed);
    }

    /// <summary>Runs <paramref name="func"/> within <paramref name="max"/> and returns its result.</summary>
    /// <exception cref="ExpectationFailedException">The block took longer than <paramref name="max"/>.</exception>
    public T Within<T>(TimeSpan max, Func<T> func)
    {
        ArgumentNullException.ThrowIfNull(func);
        T result = default!;
        Within(TimeSpan.Zero, max, () => result = func());
        return result;
    }

    /// <summary>Awaits <paramref name="action"/> and asserts it finished within <paramref name="max"/>.</summary>
    /// <exception cref="ExpectationFailedException">The block took longer than <paramref name="max"/>.</exception>
    public async Task WithinAsync(TimeSpan max, Func<Task> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        var watch = Stopwatch.StartNew();

        // Set inside this async method: the value flows into the awaited block and vanishes when we return.
        TestKitDeadline.Set(Earlier(DateTime.UtcNow + max, TestKitDeadline.Current));
        await action().ConfigureAwait(false);
        CheckElapsed(TimeSpan.Zero, max, watch.Elapsed);
    }

    private static DateTime Earlier(DateTime a, DateTime? b) => b is { } other && other < a ? other : a;

    private static void CheckElapsed(TimeSpan min, TimeSpan max, TimeSpan elapsed)
    {
        if (elapsed > max)
        {
            throw new ExpectationFailedException($"Within({MessageFormat.Ms(max)}): the block took {MessageFormat.Ms(elapsed)}");
        }

        if (elapsed < min)
        {
            throw new ExpectationFailedException($"Within({MessageFormat.Ms(min)}..{MessageFormat.Ms(max)}): the block took only {MessageFormat.Ms(elapsed)}");
        }
    }
}
