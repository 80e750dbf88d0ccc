namespace Edsos.Scheduler.Internal;

/// <summary>
/// The mailbox form of a death-watch notification. Wrapping tells it apart from a <see cref="Terminated"/>
/// someone merely told (forwarded), which must reach the actor unfiltered; this one is dropped if the watch
/// was cancelled before the actor got to it.
/// </summary>
internal sealed class WatchedTerminated
{
    public WatchedTerminated(Terminated terminated)
    {
        Terminated = terminated;
    }

    public Terminated Terminated { get; }
}
