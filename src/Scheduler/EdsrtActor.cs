using System.Diagnostics;
using Akka.Actor;
using Akka.Dispatch;
using Edsos.Memory;
using Edsos.Scheduler.Tracing;

namespace Edsos.Scheduler;

/// <summary>
/// The thin base of every EDSOS service actor: an Akka.NET <see cref="ReceiveActor"/> with timers
/// (<see cref="IWithTimers"/>) that is bound to a tree space and traced.
/// <list type="bullet">
/// <item>Tree space: the props' (<see cref="PropsTsExtensions.WithTs"/>), else its parent's, else the
/// memory manager's root; found or created when the actor is, and registered with the
/// <see cref="EdsrtExtension"/> until it stops, so <c>ExitTsAsync</c> can stop it.</item>
/// <item>Tracing: the tracing mailbox hands over the sender's context with each message (and a
/// <see cref="Traced"/> carrier from another process is unwrapped here); when that context is sampled
/// and something listens, each handled message gets a span, current while the handler runs, so what
/// it tells is its child.</item>
/// <item>Failures: a handler that throws publishes <see cref="ActorFailed"/> on the event stream
/// before Akka's supervision takes over.</item>
/// </list>
/// </summary>
public abstract class EdsrtActor : ReceiveActor, IWithTimers, IRequiresMessageQueue<ITracingMessageQueue>
{
    private readonly EdsrtExtension _edsrt;
    private string? _pathString;

    /// <summary>Binds the new actor to its tree space.</summary>
    /// <exception cref="InvalidOperationException">The props name a tree space that cannot be created.</exception>
    protected EdsrtActor()
    {
        _edsrt = EdsrtExtension.Get(Context.System);
        string? path = Context.Props.Deploy.Config.GetString(PropsTsExtensions.TsConfigKey, null);
        if (!string.IsNullOrEmpty(path))
        {
            (Ts, TsPath) = _edsrt.ResolveTs(path);
        }
        else if (_edsrt.TryGetTsOf(Context.Parent, out var parentTs, out var parentPath))
        {
            (Ts, TsPath) = (parentTs, parentPath);
        }
        else
        {
            (Ts, TsPath) = (_edsrt.RootTs, _edsrt.RootTsPath);
        }

        _edsrt.Bind(Self, Ts, TsPath);
    }

    /// <summary>The actor's keyed timers (set by Akka), cancelled when it stops or restarts.</summary>
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>The tree space the actor is bound to.</summary>
    protected TsId Ts { get; }

    /// <summary>The path of <see cref="Ts"/>.</summary>
    protected string TsPath { get; }

    /// <summary>The host's EDSRT extension (memory, faults, tracing).</summary>
    protected EdsrtExtension Edsrt => _edsrt;

    /// <summary>The host's memory manager.</summary>
    protected MemoryManager Memory => _edsrt.Memory;

    /// <summary>
    /// The trace context that arrived with the message being handled (the sender's span, or the context of
    /// the message the sender was handling); default when there was none. Valid in the synchronous part of a
    /// handler; after an await, Tells still carry it (it flows as an async-local), but this property is default.
    /// </summary>
    protected ActivityContext TraceContext { get; private set; }

    /// <inheritdoc />
    protected override bool AroundReceive(Receive receive, object message)
    {
        var incoming = TracingMessageQueue.Incoming;
        if (message is Traced carried)
        {
            incoming = carried.Context;
            message = carried.Message;
            TracingMessageQueue.Incoming = incoming;
        }

        TraceContext = incoming;

        // Untraced traffic (the common case) touches neither the async-local context nor the source.
        bool hasContext = incoming != default;
        var flowing = hasContext ? TracingMessageQueue.EnterFlowing(incoming) : default;
        Activity? span = null;
        Activity? previous = null;

        // A span per handled event, only for a recorded (sampled) context and a listened-to source:
        // with tracing off this is one flag test and nothing is allocated.
        if ((incoming.TraceFlags & ActivityTraceFlags.Recorded) != 0 && _edsrt.Tracing.Source.HasListeners())
        {
            previous = Activity.Current;
            span = _edsrt.Tracing.StartHandler(message.GetType().Name, incoming, _pathString ??= Self.Path.ToString(), TsPath);
        }

        try
        {
            if (_edsrt.HasDeliveryObservers)
            {
                _edsrt.NotifyDelivery(Self, Ts, Sender, message);
            }

            return base.AroundReceive(receive, message);
        }
        catch (Exception ex)
        {
            span?.SetStatus(ActivityStatusCode.Error, ex.GetType().Name);
            Context.System.EventStream.Publish(new ActorFailed(Self, message, ex));
            throw;
        }
        finally
        {
            if (span is not null)
            {
                span.Dispose();
                // Started from a bare context, the span has no Parent to fall back to: restore by hand
                // so the thread does not carry it into the next actor's message.
                Activity.Current = previous;
            }

            TraceContext = default;
            TracingMessageQueue.Incoming = default;
            if (hasContext)
            {
                TracingMessageQueue.ExitFlowing(flowing);
            }
        }
    }

    /// <inheritdoc />
    public override void AroundPostStop()
    {
        try
        {
            base.AroundPostStop();
        }
        finally
        {
            _edsrt.Unbind(Self, Ts);
        }
    }
}
