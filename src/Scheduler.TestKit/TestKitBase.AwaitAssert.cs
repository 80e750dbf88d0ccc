namespace Edsos.Scheduler.TestKit;

/// <summary>Polling assertions for state that becomes true eventually.</summary>
public abstract partial class TestKitBase
{
    /// <summary>
    /// Runs <paramref name="assertion"/> every <paramref name="interval"/> (default 50 ms) until it stops
    /// throwing or <paramref name="duration"/> (default: remaining Within time or the default timeout) runs out.
    /// </summary>
    /// <exception cref="ExpectationFailedException">Still failing at the end; the last failure is the inner exception and its message is quoted.</exception>
    public void AwaitAssert(Action assertion, TimeSpan? duration = null, TimeSpan? interval = null)
    {
        ArgumentNullException.ThrowIfNull(assertion);
        var span = TestKitDeadline.Resolve(duration, DefaultTimeout);
        var deadline = DateTime.UtcNow + span;
        var pause = interval ?? TimeSpan.FromMilliseconds(50);
        while (true)
        {
            try
            {
                assertion();
                return;
            }
            catch (Exception ex) when (DateTime.UtcNow < deadline)
            {
                _ = ex;
            }
            catch (Exception ex)
            {
                throw new ExpectationFailedException($"AwaitAssert: still failing after {MessageFormat.Ms(span)}: {ex.Message}", ex);
            }

            Thread.Sleep(pause);
        }
    }

    /// <summary>Asynchronous <see cref="AwaitAssert"/>: the assertion may await.</summary>
    /// <exception cref="ExpectationFailedException">Still failing at the end; the last failure is the inner exception.</exception>
    public async Task AwaitAssertAsync(Func<Task> assertion, TimeSpan? duration = null, TimeSpan? interval = null)
    {
        ArgumentNullException.ThrowIfNull(assertion);
        var span = TestKitDeadline.Resolve(duration, DefaultTimeout);
        var deadline = DateTime.UtcNow + span;
        var pause = interval ?? TimeSpan.FromMilliseconds(50);
        while (true)
        {
            try
            {
                await assertion().ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (DateTime.UtcNow < deadline)
            {
                _ = ex;
            }
            catch (Exception ex)
            {
                throw new ExpectationFailedException($"AwaitAssert: still failing after {MessageFormat.Ms(span)}: {ex.Message}", ex);
            }

            await Task.Delay(pause).ConfigureAwait(false);
        }
    }

    /// <summary>Polls <paramref name="condition"/> until it is true.</summary>
    /// <exception cref="ExpectationFailedException">Still false at the end; the exception quotes <paramref name="message"/>.</exception>
    public void AwaitCondition(Func<bool> condition, TimeSpan? max = null, TimeSpan? interval = null, string? message = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var span = TestKitDeadline.Resolve(max, DefaultTimeout);
        var deadline = DateTime.UtcNow + span;
        var pause = interval ?? TimeSpan.FromMilliseconds(50);
        while (!condition())
        {
            if (DateTime.UtcNow >= deadline)
            {
                throw new ExpectationFailedException($"AwaitCondition: still false after {MessageFormat.Ms(span)}{(message is null ? string.Empty : ": " + message)}");
            }

            Thread.Sleep(pause);
        }
    }

    /// <summary>
    /// Asynchronous <see cref="AwaitCondition"/>: polls <paramref name="condition"/> without blocking a thread
    /// between polls, for async tests whose awaited work needs the thread pool meanwhile.
    /// </summary>
    /// <exception cref="ExpectationFailedException">Still false at the end; the exception quotes <paramref name="message"/>.</exception>
    public async Task AwaitConditionAsync(Func<bool> condition, TimeSpan? max = null, TimeSpan? interval = null, string? message = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var span = TestKitDeadline.Resolve(max, DefaultTimeout);
        var deadline = DateTime.UtcNow + span;
        var pause = interval ?? TimeSpan.FromMilliseconds(50);
        while (!condition())
        {
            if (DateTime.UtcNow >= deadline)
            {
                throw new ExpectationFailedException($"AwaitCondition: still false after {MessageFormat.Ms(span)}{(message is null ? string.Empty : ": " + message)}");
            }

            await Task.Delay(pause).ConfigureAwait(false);
        }
    }
}
