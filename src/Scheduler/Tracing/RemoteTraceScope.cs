using System.Diagnostics;

namespace Edsos.Scheduler.Tracing;

/// <summary>
/// The trace context of something that arrived from another process outside Akka (a frame on a cross-process
/// wire), made the sender's context of every Tell on this thread until disposed, so the actor it wakes handles it
/// in the sender's trace. Default: nothing to restore.
/// </summary>
public readonly struct RemoteTraceScope : IDisposable
{
    private readonly ActivityContext _previous;
    private readonly bool _entered;

    private RemoteTraceScope(ActivityContext previous)
    {
        _previous = previous;
        _entered = true;
    }

    /// <summary>Continues <paramref name="context"/> on this thread (nothing when it is default).</summary>
    public static RemoteTraceScope Enter(in ActivityContext context) =>
        context == default ? default : new RemoteTraceScope(TracingMessageQueue.EnterFlowing(context));

    /// <summary>Restores the context this thread had before.</summary>
    public void Dispose()
    {
        if (_entered)
        {
            TracingMessageQueue.ExitFlowing(_previous);
        }
    }
}
