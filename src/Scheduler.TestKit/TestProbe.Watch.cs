namespace Edsos.Scheduler.TestKit;

/// <summary>Death watch from the probe.</summary>
public sealed partial class TestProbe
{
    /// <summary>
    /// Makes the probe receive <see cref="Terminated"/> when <paramref name="subject"/> stops (at once if it
    /// already has). Returns after the watch is registered, so a stop issued afterwards is always seen.
    /// </summary>
    /// <exception cref="ExpectationFailedException">The probe did not register the watch within the default timeout.</exception>
    public IActorRef Watch(IActorRef subject)
    {
        ArgumentNullException.ThrowIfNull(subject);
        Command(subject, watch: true);
        return subject;
    }

    /// <summary>Cancels a watch; returns once the probe has cancelled it.</summary>
    public IActorRef Unwatch(IActorRef subject)
    {
        ArgumentNullException.ThrowIfNull(subject);
        Command(subject, watch: false);
        return subject;
    }

    /// <summary>Takes the next message and checks it is the <see cref="Terminated"/> of <paramref name="subject"/> (which must be watched).</summary>
    /// <exception cref="ExpectationFailedException">Nothing arrived in time, or something else did (the exception names it).</exception>
    public Terminated ExpectTerminated(IActorRef subject, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(subject);
        string what = $"ExpectTerminated({subject.Path})";
        var received = Next(what, timeout);
        if (received.Message is Terminated terminated && terminated.ActorRef.Equals(subject))
        {
            return terminated;
        }

        throw new ExpectationFailedException($"{what}: expected Terminated({subject.Path}) but received {received}");
    }

    private void Command(IActorRef subject, bool watch)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _ref.Tell(new Internal.WatchCommand(subject, watch, done));
        if (!done.Task.Wait(DefaultTimeout))
        {
            throw new ExpectationFailedException($"{(watch ? "Watch" : "Unwatch")}({subject.Path}): the probe did not register it within {MessageFormat.Ms(DefaultTimeout)}");
        }
    }
}
