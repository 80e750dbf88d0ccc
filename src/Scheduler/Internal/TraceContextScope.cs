using System.Diagnostics;

namespace Edsos.Scheduler.Internal;

/// <summary>
/// Where a Tell finds the trace context to stamp on its envelope: the current <see cref="Activity"/> if there
/// is one, else the context of the message the calling actor is handling. The handler context lives in a
/// thread-static for synchronous handlers (no allocation per message) and in an <see cref="AsyncLocal{T}"/>
/// only around asynchronous handlers, whose continuations run on pool threads.
/// </summary>
internal static class TraceContextScope
{
    private static readonly AsyncLocal<ActivityContext> s_async = new();

    [ThreadStatic]
    private static ActivityContext t_current;

    [ThreadStatic]
    private static bool t_hasCurrent;

    public static ActivityContext Capture()
    {
        var activity = Activity.Current;
        if (activity is not null)
        {
            return activity.Context;
        }

        // The async value wins over the thread-static: a continuation of another actor's async handler may
        // run inline on a worker thread that is in the middle of a synchronous handler.
        var flowing = s_async.Value;
        if (flowing != default)
        {
            return flowing;
        }

        return t_hasCurrent ? t_current : default;
    }

    public static void Enter(in ActivityContext context)
    {
        t_current = context;
        t_hasCurrent = context != default;
    }

    public static void Exit()
    {
        t_current = default;
        t_hasCurrent = false;
    }

    /// <summary>Runs an async handler with the context flowing into its continuations.</summary>
    public static Task RunFlowing<T>(Func<T, Task> handler, T message, in ActivityContext context)
    {
        var previous = s_async.Value;
        s_async.Value = context;
        try
        {
            return handler(message);
        }
        finally
        {
            // Restoring here affects only this thread's context; the continuations captured the new value.
            s_async.Value = previous;
        }
    }
}
