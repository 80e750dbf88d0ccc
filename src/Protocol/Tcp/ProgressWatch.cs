namespace Edsos.Protocol.Tcp;

/// <summary>
/// The RFC 5482 user timeout's clock: how long a connection has had something waiting on its peer (data sent
/// and not acknowledged, or data a zero window holds back) without progress (an ACK of new data, or a window
/// opening). Pure: the caller says what is waiting and when progress happens.
/// </summary>
public sealed class ProgressWatch
{
    /// <summary>Since when something has waited without progress; null while nothing waits.</summary>
    public DateTimeOffset? WaitingSince { get; private set; }

    /// <summary>Called after every event and poll: starts the clock when something begins to wait, stops it when nothing does.</summary>
    public void Update(bool waiting, DateTimeOffset now)
    {
        if (!waiting)
        {
            WaitingSince = null;
        }
        else
        {
            WaitingSince ??= now;
        }
    }

    /// <summary>The peer made progress: the clock restarts if it was running.</summary>
    public void OnProgress(DateTimeOffset now)
    {
        if (WaitingSince is not null)
        {
            WaitingSince = now;
        }
    }

    /// <summary>True when something has waited <paramref name="timeout"/> or longer without progress (never for a zero timeout).</summary>
    public bool Expired(DateTimeOffset now, TimeSpan timeout) =>
        timeout > TimeSpan.Zero && WaitingSince is { } since && now - since >= timeout;
}
