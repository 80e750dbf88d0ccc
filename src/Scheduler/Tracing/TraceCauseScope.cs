using System.Diagnostics;

namespace Edsos.Scheduler;

/// <summary>
/// A span that resumes deferred work under the cause that produced it (<see cref="ActorTracing.Resume"/>):
/// current until disposed, then the span that was current before is current again. The default
/// value does nothing, which is what tracing-off and unsampled work get.
/// </summary>
public readonly struct TraceCauseScope : IDisposable
{
    private readonly Activity? _span;
    private readonly Activity? _previous;

    internal TraceCauseScope(Activity span, Activity? previous)
    {
        _span = span;
        _previous = previous;
    }

    /// <summary>The resumed span, or null when nothing is traced.</summary>
    public Activity? Span => _span;

    /// <summary>Ends the span and restores the span that was current before it.</summary>
    public void Dispose()
    {
        if (_span is null)
        {
            return;
        }

        _span.Dispose();
        // A span started from a bare ActivityContext has no Parent object, so Stop would leave
        // Current null: the handler's own span must be current again for the rest of the handler.
        Activity.Current = _previous;
    }
}
