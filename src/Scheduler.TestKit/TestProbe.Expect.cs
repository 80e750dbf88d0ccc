namespace Edsos.Scheduler.TestKit;

/// <summary>Expectations on the next message.</summary>
public sealed partial class TestProbe
{
    /// <summary>Takes the next message and returns it if it is a <typeparamref name="T"/>.</summary>
    /// <exception cref="ExpectationFailedException">Nothing arrived within the timeout, or the message is of another type (the exception names it).</exception>
    public T ExpectMsg<T>(TimeSpan? timeout = null)
    {
        var received = Next($"ExpectMsg<{typeof(T).Name}>", timeout);
        if (received.Message is T typed)
        {
            return typed;
        }

        throw new ExpectationFailedException($"ExpectMsg<{typeof(T).Name}>: expected a message of type {typeof(T).Name} but received {received}");
    }

    /// <summary>Takes the next message and returns it if it equals <paramref name="expected"/>.</summary>
    /// <exception cref="ExpectationFailedException">Nothing arrived within the timeout, or another message did (the exception names it).</exception>
    public T ExpectMsg<T>(T expected, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(expected);
        string what = $"ExpectMsg({MessageFormat.Describe(expected)})";
        var received = Next(what, timeout);
        if (received.Message is T typed && EqualityComparer<T>.Default.Equals(typed, expected))
        {
            return typed;
        }

        throw new ExpectationFailedException($"{what}: expected {MessageFormat.Describe(expected)} but received {received}");
    }

    /// <summary>Takes the next message and returns it if it is a <typeparamref name="T"/> matching <paramref name="predicate"/>.</summary>
    /// <exception cref="ExpectationFailedException">Nothing arrived within the timeout, the type differs, or the predicate rejected it (the exception names the message).</exception>
    public T ExpectMsg<T>(Predicate<T> predicate, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        string what = $"ExpectMsg<{typeof(T).Name}>(predicate)";
        var received = Next(what, timeout);
        if (received.Message is not T typed)
        {
            throw new ExpectationFailedException($"{what}: expected a message of type {typeof(T).Name} but received {received}");
        }

        if (!predicate(typed))
        {
            throw new ExpectationFailedException($"{what}: the predicate rejected {received}");
        }

        return typed;
    }

    /// <summary>Takes the next message, whatever it is, with its sender and trace context.</summary>
    /// <exception cref="ExpectationFailedException">Nothing arrived within the timeout.</exception>
    public ReceivedMessage ReceiveOne(TimeSpan? timeout = null) => Next("ReceiveOne", timeout);

    /// <summary>Takes the next <paramref name="count"/> messages in arrival order, all within one timeout.</summary>
    /// <exception cref="ExpectationFailedException">Fewer arrived in time; the exception says how many did.</exception>
    public IReadOnlyList<object> ReceiveN(int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + TestKitDeadline.Resolve(timeout, DefaultTimeout);
        var messages = new List<object>(count);
        while (messages.Count < count)
        {
            if (!TryTake(deadline - DateTime.UtcNow, out var received))
            {
                throw new ExpectationFailedException($"ReceiveN({count}): only {messages.Count} message(s) arrived before the timeout");
            }

            messages.Add(received.Message);
        }

        return messages;
    }

    /// <summary>Asserts that no message arrives for <paramref name="duration"/>.</summary>
    /// <exception cref="ExpectationFailedException">A message arrived (the exception names it).</exception>
    public void ExpectNoMsg(TimeSpan duration)
    {
        if (TryTake(duration, out var received))
        {
            throw new ExpectationFailedException($"ExpectNoMsg({MessageFormat.Ms(duration)}): expected no message but received {received}");
        }
    }

    /// <summary>Takes messages until one satisfies <paramref name="isMessage"/> and returns it; the others are dropped.</summary>
    /// <exception cref="ExpectationFailedException">No match within the timeout; the exception lists what was skipped.</exception>
    public object FishForMessage(Predicate<object> isMessage, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(isMessage);
        return Fish("FishForMessage", isMessage, timeout);
    }

    /// <summary>Takes messages until a <typeparamref name="T"/> satisfies <paramref name="isMessage"/> and returns it; the others are dropped.</summary>
    /// <exception cref="ExpectationFailedException">No match within the timeout; the exception lists what was skipped.</exception>
    public T FishForMessage<T>(Predicate<T> isMessage, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(isMessage);
        return (T)Fish($"FishForMessage<{typeof(T).Name}>", m => m is T typed && isMessage(typed), timeout);
    }

    private object Fish(string what, Predicate<object> isMessage, TimeSpan? timeout)
    {
        var span = TestKitDeadline.Resolve(timeout, DefaultTimeout);
        var deadline = DateTime.UtcNow + span;
        var skipped = new List<string>();
        while (TryTake(deadline - DateTime.UtcNow, out var received))
        {
            if (isMessage(received.Message))
            {
                return received.Message;
            }

            skipped.Add(MessageFormat.Describe(received.Message));
        }

        string detail = skipped.Count == 0 ? "nothing arrived" : $"skipped {skipped.Count}: " + string.Join("; ", skipped);
        throw new ExpectationFailedException($"{what}: no matching message within {MessageFormat.Ms(span)}; {detail}");
    }

    private ReceivedMessage Next(string what, TimeSpan? timeout)
    {
        var span = TestKitDeadline.Resolve(timeout, DefaultTimeout);
        if (!TryTake(span, out var received))
        {
            throw new ExpectationFailedException($"{what}: timeout ({MessageFormat.Ms(span)}) with nothing received");
        }

        return received;
    }
}
