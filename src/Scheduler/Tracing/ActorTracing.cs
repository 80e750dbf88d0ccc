using System.Diagnostics;
using System.Globalization;
using Edsos.Memory;

namespace Edsos.Scheduler;

/// <summary>
/// The tracing of one actor system (one EDSOS host): its <see cref="ActivitySource"/>, the span per
/// handled user message the runtime starts, root spans for syscalls, resumed spans for deferred
/// work, and the memory operations and CPU copies of the host as span events on the current span.
/// <para>
/// Cost contract: when nothing listens to <see cref="Source"/> (no tracer provider, no listener),
/// every entry point returns after one <see cref="ActivitySource.HasListeners"/> check and nothing
/// is allocated; a span is started for a message only when the context it carries is recorded
/// (sampled), so an unsampled syscall costs one propagation-only root and nothing downstream.
/// The memory journal is subscribed only once the first span is started.
/// </para>
/// </summary>
public sealed class ActorTracing : IDisposable
{
    private readonly MemoryManager _memory;
    private readonly Lock _gate = new();
    private IDisposable? _journal;
    private IDisposable? _copies;
    private bool _disposed;

    internal ActorTracing(string systemName, MemoryManager memory)
    {
        HostName = systemName;
        _memory = memory;
        Source = new ActivitySource(ActivitySources.ForSystem(systemName));
    }

    /// <summary>The host's source, named <see cref="ActivitySources.ForSystem"/> of the system's name.</summary>
    public ActivitySource Source { get; }

    /// <summary>The actor system's name, tagged on every span as <c>edsos.host</c>.</summary>
    public string HostName { get; }

    /// <summary>True when something listens to <see cref="Source"/>.</summary>
    public bool IsEnabled => Source.HasListeners();

    /// <summary>
    /// The current span when it records data (sampled), else null: the span deferred work stores
    /// as its cause (<see cref="CaptureCause"/>) and drivers add events to.
    /// </summary>
    public static Activity? Recording => Activity.Current is { IsAllDataRequested: true } current ? current : null;

    /// <summary>
    /// The context to store with work that another message's handler will finish (a parked packet,
    /// a queued frame, a descriptor awaiting completion); default when nothing is traced.
    /// </summary>
    public static ActivityContext CaptureCause() => Activity.Current is { Recorded: true } current ? current.Context : default;

    /// <summary>
    /// Starts the root span of syscall <paramref name="name"/> made by the process whose TS is
    /// <paramref name="tsPath"/>; it is current until disposed, so the syscall message carries it.
    /// Null when nothing listens or the sampler drops it.
    /// </summary>
    public Activity? StartSyscall(string name, string tsPath)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var span = Source.StartActivity(name, ActivityKind.Client);
        if (span is not null)
        {
            EnsureJournal();
            if (span.IsAllDataRequested)
            {
                span.SetTag("edsos.host", HostName);
                span.SetTag("edsos.ts", tsPath);
                span.SetTag("edsos.syscall", name);
            }
        }

        return span;
    }

    /// <summary>
    /// Starts a span named <paramref name="name"/> for deferred work, child of <paramref name="cause"/>
    /// and linked to the span current now (the event that let the work go on: an ARP reply, a TX
    /// credit, an interrupt), and makes it current until the scope is disposed. Does nothing when
    /// <paramref name="cause"/> is default (nothing traced), not recorded, or of the trace already current.
    /// </summary>
    public TraceCauseScope Resume(in ActivityContext cause, string name)
    {
        if ((cause.TraceFlags & ActivityTraceFlags.Recorded) == 0 || !Source.HasListeners())
        {
            return default;
        }

        // Work resumed inside its own trace already nests by cause (the interrupt raised by this
        // frame's doorbell): a second span there would only add noise.
        var previous = Activity.Current;
        if (previous is not null && previous.TraceId == cause.TraceId)
        {
            return default;
        }

        Activity? span = previous is null
            ? Source.StartActivity(name, ActivityKind.Internal, cause)
            : Source.StartActivity(name, ActivityKind.Internal, cause, links: [new ActivityLink(previous.Context)]);
        if (span is null)
        {
            return default;
        }

        span.SetTag("edsos.host", HostName);
        span.SetTag("edsos.deferred", true);
        return new TraceCauseScope(span, previous);
    }

    /// <summary>Stops listening to the memory manager and disposes the source.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _journal?.Dispose();
            _copies?.Dispose();
            _journal = null;
            _copies = null;
        }

        Source.Dispose();
    }

    internal Activity? StartHandler(string name, in ActivityContext parent, string actorPath, string tsPath)
    {
        var span = Source.StartActivity(name, ActivityKind.Consumer, parent);
        if (span is null)
        {
            return null;
        }

        EnsureJournal();
        if (span.IsAllDataRequested)
        {
            span.SetTag("edsos.host", HostName);
            span.SetTag("edsos.actor", actorPath);
            span.SetTag("edsos.ts", tsPath);
        }

        return span;
    }

    private void EnsureJournal()
    {
        if (Volatile.Read(ref _journal) is not null)
        {
            return;
        }

        lock (_gate)
        {
            if (_journal is null && !_disposed)
            {
                _copies = _memory.ObserveCopies(OnCopy);
                _journal = _memory.Observe(OnMemoryOp);
            }
        }
    }

    // Runs under the memory manager's lock on the thread doing the operation, i.e. inside the
    // handler span of the actor that asked for it: record and return, never call the manager.
    private static void OnMemoryOp(MemoryOpRecord record)
    {
        var span = Recording;
        if (span is null)
        {
            return;
        }

        var tags = new ActivityTagsCollection
        {
            { "edsos.op", OpName(record.Op) },
            { "edsos.gva", record.Gva.ToString() },
            { "edsos.len", record.Length },
            { "edsos.ts", record.OwnerPath },
            { "edsos.node", record.Path },
            { "edsos.refcount", record.RefCount },
        };
        span.AddEvent(new ActivityEvent(OpName(record.Op), tags: tags));
    }

    private static void OnCopy(CopyRecord record)
    {
        // Descriptor writes are metadata the driver's own events already show; a copy event is
        // about data (payload, headers, the app's buffers), which is where the Linux path copies.
        if (record.Kind == CopyKind.Metadata)
        {
            return;
        }

        var span = Recording;
        if (span is null)
        {
            return;
        }

        var tags = new ActivityTagsCollection
        {
            { "edsos.op", "copy" },
            { "edsos.copy.kind", KindName(record.Kind) },
            { "edsos.copy.bytes", record.Bytes },
            { "edsos.len", record.Bytes },
        };
        span.AddEvent(new ActivityEvent("edsos.copy", tags: tags));
    }

    /// <summary>The seed's name of a memory operation (<c>ct_share</c>, <c>push</c>...).</summary>
    public static string OpName(MemoryOp op) => op switch
    {
        MemoryOp.Push => "push",
        MemoryOp.CtShare => "ct_share",
        MemoryOp.Divide => "divide",
        MemoryOp.Merge => "merge",
        MemoryOp.Pop => "pop",
        MemoryOp.Grant => "grant",
        MemoryOp.Lift => "lift",
        MemoryOp.Pin => "pin",
        MemoryOp.Unpin => "unpin",
        _ => op.ToString().ToLower(CultureInfo.InvariantCulture),
    };

    private static string KindName(CopyKind kind) => kind switch
    {
        CopyKind.Payload => "payload",
        CopyKind.Header => "header",
        CopyKind.Application => "application",
        _ => "metadata",
    };
}
