using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using Edsos.Memory;
using Microsoft.Extensions.DependencyInjection;

namespace Edsos.Scheduler.Internal;

/// <summary>
/// The runtime half of an actor: mailbox, lifecycle, children, watches and supervision. A cell is run by one
/// dispatcher worker at a time (the <see cref="_scheduled"/> flag makes it so), which is why none of its
/// actor-side state needs a lock; only the children table is locked, because <see cref="ActorSystem.ActorOf"/>
/// creates top-level actors from any thread.
/// </summary>
internal sealed class ActorCell : IActorContext
{
    [ThreadStatic]
    private static ActorCell? t_constructing;

    private readonly ActorSystem _system;
    private readonly IInternalActorRef? _parent;
    private readonly ChannelReader<Envelope> _reader;
    private readonly ChannelWriter<Envelope> _writer;
    private readonly ConcurrentQueue<SystemMessage> _systemQueue = new();
    private readonly Dictionary<string, ChildRestartStats> _children = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _terminated = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly int _throughput;
    private HashSet<IActorRef>? _watching;
    private HashSet<IInternalActorRef>? _watchedBy;
    private int _scheduled;
    private CellState _state = CellState.Creating;
    private ActorBase? _actor;
    private Envelope _current;
    private object? _failedMessage;
    private Exception? _pendingRecreateCause;
    private Task? _awaiting;
    private Task? _awaitDone;
    private TimerScheduler? _timers;
    private IServiceScope? _scope;
    private long _nameCounter;
    private string? _pathString;

    public ActorCell(ActorSystem system, IInternalActorRef? parent, ActorPath path, Props props, TsId ts, string tsPath)
    {
        _system = system;
        _parent = parent;
        Props = props;
        Ts = ts;
        TsPath = tsPath;
        Self = new LocalActorRef(this, path);
        _throughput = system.Dispatcher.Throughput;

        // One reader (the worker running this cell), many writers: the channel's cheapest unbounded shape.
        var channel = Channel.CreateUnbounded<Envelope>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = false, AllowSynchronousContinuations = false });
        _reader = channel.Reader;
        _writer = channel.Writer;
    }

    /// <summary>The cell whose actor is being constructed on this thread, read by the <see cref="ActorBase"/> constructor.</summary>
    public static ActorCell? Constructing => t_constructing;

    public LocalActorRef Self { get; }

    IActorRef IActorContext.Self => Self;

    public ActorSystem SystemImpl => _system;

    public ActorSystem System => _system;

    public Props Props { get; }

    public TsId Ts { get; }

    public string TsPath { get; }

    public IActorRef Sender => _current.Sender ?? _system.DeadLetters;

    public IActorRef Parent => (IActorRef?)_parent ?? ActorRefs.Nobody;

    public ActivityContext TraceContext => _current.Trace;

    public ITimerScheduler Timers => _timers ??= new TimerScheduler(this);

    public Task WhenTerminated => _terminated.Task;

    public bool IsTerminated => _terminated.Task.IsCompleted;

    public IReadOnlyList<IActorRef> Children
    {
        get
        {
            lock (_children)
            {
                var list = new List<IActorRef>(_children.Count);
                foreach (var stats in _children.Values)
                {
                    if (!stats.Stopping)
                    {
                        list.Add(stats.Child);
                    }
                }

                return list;
            }
        }
    }

    // ---- mailbox and scheduling -------------------------------------------------------------

    public void Start() => PostSystem(SystemMessage.Create.Instance);

    public void Post(in Envelope envelope)
    {
        // An unbounded channel that is never completed always accepts.
        _writer.TryWrite(envelope);
        TrySchedule();
    }

    public void PostSystem(SystemMessage message)
    {
        _systemQueue.Enqueue(message);
        TrySchedule();
    }

    public void Run()
    {
        try
        {
            if (_awaiting is not null)
            {
                var done = Interlocked.Exchange(ref _awaitDone, null);
                if (done is null)
                {
                    return;
                }

                FinishAwait(done);
            }

            ProcessSystemMessages();
            int budget = _throughput;
            while (budget > 0 && _state == CellState.Running && _awaiting is null)
            {
                // System messages overtake user mail between any two user messages.
                if (!_systemQueue.IsEmpty)
                {
                    ProcessSystemMessages();
                    continue;
                }

                if (!_reader.TryRead(out var envelope))
                {
                    break;
                }

                budget--;
                Invoke(envelope);
            }

            if (_state == CellState.Terminated)
            {
                DrainToDeadLetters();
            }
        }
        finally
        {
            // A full fence: a writer that saw the flag set before this point has its mail seen below.
            Interlocked.Exchange(ref _scheduled, 0);
            if (HasRunnableWork())
            {
                TrySchedule();
            }
        }
    }

    private void TrySchedule()
    {
        if (Interlocked.CompareExchange(ref _scheduled, 1, 0) == 0)
        {
            _system.Dispatcher.Schedule(this);
        }
    }

    private bool HasRunnableWork()
    {
        if (_awaiting is not null)
        {
            return Volatile.Read(ref _awaitDone) is not null;
        }

        if (!_systemQueue.IsEmpty)
        {
            return true;
        }

        return (_state == CellState.Running || _state == CellState.Terminated) && _reader.TryPeek(out _);
    }

    // ---- user messages ------------------------------------------------------------------------

    private void Invoke(in Envelope envelope)
    {
        _current = envelope;
        object message = envelope.Message;
        Activity? span = null;
        Activity? previous = null;
        TraceContextScope.Enter(envelope.Trace);
        try
        {
            switch (message)
            {
                case TimerMessage tick:
                    var payload = _timers?.Accept(tick);
                    if (payload is null)
                    {
                        return;
                    }

                    message = payload;
                    break;
                case PoisonPill:
                    PostSystem(SystemMessage.Terminate.Instance);
                    return;
                case Kill:
                    throw new ActorKilledException($"{Self.Path} received Kill");
                case WatchedTerminated watched:
                    // Dropped if the watch was cancelled after the notification was queued.
                    if (_watching is null || !_watching.Remove(watched.Terminated.ActorRef))
                    {
                        return;
                    }

                    message = watched.Terminated;
                    break;
            }

            // A span per handled event, only for a recorded (sampled) context and a listened-to
            // source: with tracing off this is one flag test and nothing is allocated.
            if ((envelope.Trace.TraceFlags & ActivityTraceFlags.Recorded) != 0 && _system.Tracing.Source.HasListeners())
            {
                previous = Activity.Current;
                span = _system.Tracing.StartHandler(message.GetType().Name, envelope.Trace, _pathString ??= Self.Path.ToString(), TsPath);
            }

            _system.NotifyDelivery(Self, Ts, envelope.Sender, message);
            var actor = _actor!;
            if (!actor.Receive(message))
            {
                actor.InvokeUnhandled(message);
            }
        }
        catch (Exception ex)
        {
            span?.SetStatus(ActivityStatusCode.Error, ex.GetType().Name);
            HandleFailure(ex, message);
        }
        finally
        {
            if (span is not null)
            {
                span.Dispose();
                // Started from a bare context, the span has no Parent to fall back to: restore by hand
                // so the worker thread does not carry it into the next actor's message.
                Activity.Current = previous;
            }

            TraceContextScope.Exit();
        }
    }

    /// <summary>Called by a ReceiveAsync handler with the task it returned; the cell stays parked until it completes.</summary>
    public void AwaitHandler(Task task)
    {
        if (task.IsCompleted)
        {
            // Rethrows a synchronous failure so Invoke reports it like any other.
            task.GetAwaiter().GetResult();
            return;
        }

        _awaiting = task;
        task.ContinueWith(
            static (t, state) =>
            {
                var cell = (ActorCell)state!;
                Volatile.Write(ref cell._awaitDone, t);
                cell.TrySchedule();
            },
            this,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private void FinishAwait(Task done)
    {
        _awaiting = null;
        if (done.IsFaulted || done.IsCanceled)
        {
            var cause = done.Exception?.InnerException ?? new TaskCanceledException(done);
            HandleFailure(cause, _current.Message);
        }
    }

    private void DrainToDeadLetters()
    {
        while (_reader.TryRead(out var envelope))
        {
            if (envelope.Message is TimerMessage or WatchedTerminated)
            {
                continue;
            }

            _system.EventStream.Publish(new DeadLetter(envelope.Message, envelope.Sender ?? ActorRefs.Nobody, Self));
        }
    }

    // ---- failure and supervision --------------------------------------------------------------

    private void HandleFailure(Exception cause, object? message)
    {
        _system.EventStream.Publish(new ActorFailed(Self, message, cause));
        if (_state is CellState.Terminating or CellState.Terminated)
        {
            return;
        }

        _state = CellState.Suspended;
        _failedMessage = message;
        if (_parent is not null)
        {
            _parent.SendSystemMessage(new SystemMessage.Failed(Self, cause, message));
        }
        else
        {
            // Guardians have no supervisor; they run no user code, so recovering in place is safe.
            _state = CellState.Running;
        }
    }

    private void HandleChildFailure(SystemMessage.Failed failed)
    {
        if (_state is CellState.Terminating or CellState.Terminated || !TryGetChildStats(failed.Child, out _))
        {
            // A child we already stopped, or we are going away and stop it anyway.
            return;
        }

        var strategy = Props.SupervisorStrategy ?? _actor?.SupervisorStrategy() ?? SupervisorStrategy.DefaultStrategy;
        var directive = strategy.Decide(failed.Cause);
        switch (directive)
        {
            case Directive.Resume:
                failed.Child.SendSystemMessage(SystemMessage.Resume.Instance);
                break;
            case Directive.Escalate when _parent is not null:
                HandleFailure(failed.Cause, failed.Message);
                break;
            case Directive.Escalate:
                // Nobody above a guardian: a failure escalated to it stops the failing top-level actor.
                StopChild(failed.Child);
                break;
            default:
                strategy.Apply(this, failed.Child, failed.Cause, directive);
                break;
        }
    }

    private void HandleResume()
    {
        if (_state != CellState.Suspended || _pendingRecreateCause is not null)
        {
            return;
        }

        if (_actor is null)
        {
            // Nothing to resume after a failed construction: build a fresh instance instead.
            BeginRecreate(new InvalidOperationException("resumed an actor whose construction failed"));
            return;
        }

        _state = CellState.Running;
        _failedMessage = null;

        // Children parked by an escalated failure resume with their parent.
        foreach (var child in ChildrenSnapshot())
        {
            child.SendSystemMessage(SystemMessage.Resume.Instance);
        }
    }

    private void BeginRecreate(Exception cause)
    {
        if (_state is CellState.Terminating or CellState.Terminated)
        {
            return;
        }

        _state = CellState.Suspended;
        if (_actor is not null)
        {
            try
            {
                _actor.PreRestart(cause, _failedMessage);
            }
            catch (Exception ex)
            {
                _system.EventStream.Publish(new ActorFailed(Self, null, ex));
            }
        }

        _timers?.CancelAll();
        _actor = null;
        DisposeScope();
        if (AnyStoppingChild())
        {
            // The fresh instance may re-create children under the same names: wait until they are free.
            _pendingRecreateCause = cause;
            return;
        }

        FinishRecreate(cause);
    }

    private void FinishRecreate(Exception cause)
    {
        _pendingRecreateCause = null;
        _failedMessage = null;
        try
        {
            _actor = NewInstance();
            _state = CellState.Running;
            _actor.PostRestart(cause);
        }
        catch (Exception ex)
        {
            HandleFailure(new ActorInitializationException(Self, $"{Self.Path} failed to restart: {ex.Message}", ex), null);
        }
    }

    // ---- system messages ----------------------------------------------------------------------

    private void ProcessSystemMessages()
    {
        while (_systemQueue.TryDequeue(out var message))
        {
            if (_state == CellState.Terminated)
            {
                ProcessWhenDead(message);
                continue;
            }

            try
            {
                ProcessSystemMessage(message);
            }
            catch (Exception ex)
            {
                // Lifecycle code guards user calls itself; this is a last resort so the loop goes on.
                _system.EventStream.Publish(new ActorFailed(Self, null, ex));
            }
        }
    }

    private void ProcessSystemMessage(SystemMessage message)
    {
        switch (message)
        {
            case SystemMessage.Create:
                Create();
                break;
            case SystemMessage.Terminate:
                BeginTerminate();
                break;
            case SystemMessage.Resume:
                HandleResume();
                break;
            case SystemMessage.Recreate recreate:
                BeginRecreate(recreate.Cause);
                break;
            case SystemMessage.Failed failed:
                HandleChildFailure(failed);
                break;
            case SystemMessage.Watch watch:
                (_watchedBy ??= new HashSet<IInternalActorRef>()).Add(watch.Watcher);
                break;
            case SystemMessage.Unwatch unwatch:
                _watchedBy?.Remove(unwatch.Watcher);
                break;
            case SystemMessage.DeathWatchNotification death:
                HandleDeath(death.Actor);
                break;
        }
    }

    private void ProcessWhenDead(SystemMessage message)
    {
        if (message is SystemMessage.Watch watch)
        {
            watch.Watcher.SendSystemMessage(new SystemMessage.DeathWatchNotification(Self));
        }
    }

    private void Create()
    {
        if (_state != CellState.Creating)
        {
            return;
        }

        try
        {
            _actor = NewInstance();
            _state = CellState.Running;
            _actor.PreStart();
        }
        catch (Exception ex)
        {
            HandleFailure(new ActorInitializationException(Self, $"{Self.Path} failed to start: {ex.Message}", ex), null);
        }
    }

    private ActorBase NewInstance()
    {
        IServiceProvider services = _system.Services;
        if (Props.UsesServices)
        {
            _scope = services.CreateScope();
            services = _scope.ServiceProvider;
        }

        var previous = t_constructing;
        t_constructing = this;
        try
        {
            var actor = Props.NewActor(services);
            if (!ReferenceEquals(actor.Cell, this))
            {
                throw new InvalidOperationException($"the factory of {Props} returned an actor it did not construct just now");
            }

            actor.OnConstructed();
            return actor;
        }
        finally
        {
            t_constructing = previous;
        }
    }

    private void BeginTerminate()
    {
        if (_state is CellState.Terminating or CellState.Terminated)
        {
            return;
        }

        _state = CellState.Terminating;
        _pendingRecreateCause = null;
        _timers?.CancelAll();
        bool waiting = false;
        lock (_children)
        {
            foreach (var stats in _children.Values)
            {
                stats.Stopping = true;
                stats.Child.SendSystemMessage(SystemMessage.Terminate.Instance);
                waiting = true;
            }
        }

        if (!waiting)
        {
            FinishTerminate();
        }
    }

    private void FinishTerminate()
    {
        if (_actor is not null)
        {
            try
            {
                _actor.PostStop();
            }
            catch (Exception ex)
            {
                _system.EventStream.Publish(new ActorFailed(Self, null, ex));
            }
        }

        _actor = null;
        DisposeScope();
        _state = CellState.Terminated;

        if (_watchedBy is not null)
        {
            foreach (var watcher in _watchedBy)
            {
                watcher.SendSystemMessage(new SystemMessage.DeathWatchNotification(Self));
            }

            _watchedBy = null;
        }

        if (_watching is not null)
        {
            foreach (var subject in _watching)
            {
                if (subject is IInternalActorRef watched)
                {
                    watched.SendSystemMessage(new SystemMessage.Unwatch(watched, Self));
                }
            }

            _watching = null;
        }

        _parent?.SendSystemMessage(new SystemMessage.DeathWatchNotification(Self));
        _system.OnCellTerminated(this);
        _terminated.TrySetResult();
    }

    private void HandleDeath(IInternalActorRef dead)
    {
        bool wasChild = false;
        lock (_children)
        {
            if (_children.TryGetValue(dead.Path.Name, out var stats) && stats.Child.Equals(dead))
            {
                _children.Remove(dead.Path.Name);
                wasChild = true;
            }
        }

        if (_watching is not null && _watching.Contains(dead) && _state < CellState.Terminating)
        {
            // Delivered as ordinary mail so it respects one-at-a-time handling and ReceiveAsync parking.
            _writer.TryWrite(new Envelope(new WatchedTerminated(new Terminated(dead)), dead, default));
        }

        if (!wasChild)
        {
            return;
        }

        if (_state == CellState.Terminating && ChildCount() == 0)
        {
            FinishTerminate();
        }
        else if (_pendingRecreateCause is { } cause && !AnyStoppingChild())
        {
            FinishRecreate(cause);
        }
    }

    private void DisposeScope()
    {
        var scope = _scope;
        _scope = null;
        if (scope is null)
        {
            return;
        }

        try
        {
            scope.Dispose();
        }
        catch (Exception ex)
        {
            _system.EventStream.Publish(new ActorFailed(Self, null, ex));
        }
    }

    // ---- children -----------------------------------------------------------------------------

    public IActorRef ActorOf(Props props, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(props);
        if (name is null)
        {
            name = "$" + Interlocked.Increment(ref _nameCounter).ToString("x", CultureInfo.InvariantCulture);
        }
        else
        {
            ValidateName(name);
        }

        var (ts, tsPath) = props.TsPath is null ? (Ts, TsPath) : _system.ResolveTs(props.TsPath);
        ActorCell child;
        lock (_children)
        {
            if (_state is CellState.Terminating or CellState.Terminated)
            {
                throw new InvalidOperationException($"{Self.Path} is stopping and cannot create the child '{name}'");
            }

            if (_children.ContainsKey(name))
            {
                throw new InvalidActorNameException($"{Self.Path} already has a child named '{name}' (names stay taken until the child has stopped)");
            }

            child = new ActorCell(_system, Self, Self.Path.Child(name), props, ts, tsPath);
            _children.Add(name, new ChildRestartStats(child.Self));
        }

        _system.OnCellCreated(child);
        child.Start();
        return child.Self;
    }

    public IActorRef Child(string name)
    {
        lock (_children)
        {
            return _children.TryGetValue(name, out var stats) && !stats.Stopping ? stats.Child : ActorRefs.Nobody;
        }
    }

    public void Stop(IActorRef actor)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (actor is not IInternalActorRef target)
        {
            throw new NotSupportedException($"cannot stop {actor.Path}: not a reference of this runtime");
        }

        if (!StopChild(target))
        {
            target.SendSystemMessage(SystemMessage.Terminate.Instance);
        }
    }

    /// <summary>Marks a child as stopping and tells it to stop; false if it is not a child of this cell.</summary>
    public bool StopChild(IInternalActorRef child)
    {
        lock (_children)
        {
            if (!_children.TryGetValue(child.Path.Name, out var stats) || !stats.Child.Equals(child))
            {
                return false;
            }

            stats.Stopping = true;
        }

        child.SendSystemMessage(SystemMessage.Terminate.Instance);
        return true;
    }

    public bool TryGetChildStats(IInternalActorRef child, out ChildRestartStats stats)
    {
        lock (_children)
        {
            if (_children.TryGetValue(child.Path.Name, out var found) && found.Child.Equals(child))
            {
                stats = found;
                return true;
            }
        }

        stats = null!;
        return false;
    }

    public List<IInternalActorRef> ChildrenSnapshot()
    {
        lock (_children)
        {
            var list = new List<IInternalActorRef>(_children.Count);
            foreach (var stats in _children.Values)
            {
                list.Add(stats.Child);
            }

            return list;
        }
    }

    private int ChildCount()
    {
        lock (_children)
        {
            return _children.Count;
        }
    }

    private bool AnyStoppingChild()
    {
        lock (_children)
        {
            foreach (var stats in _children.Values)
            {
                if (stats.Stopping)
                {
                    return true;
                }
            }

            return false;
        }
    }

    private static void ValidateName(string name)
    {
        if (name.Length == 0 || name[0] == '$' || name.Contains('/', StringComparison.Ordinal) || name.Contains('#', StringComparison.Ordinal))
        {
            throw new InvalidActorNameException($"invalid actor name '{name}': it must be non-empty, not start with '$' and contain no '/' or '#'");
        }
    }

    // ---- death watch --------------------------------------------------------------------------

    public IActorRef Watch(IActorRef subject)
    {
        ArgumentNullException.ThrowIfNull(subject);
        if (subject is not IInternalActorRef target)
        {
            throw new NotSupportedException($"cannot watch {subject.Path}: not a reference of this runtime");
        }

        if (!Self.Equals(subject) && (_watching ??= new HashSet<IActorRef>()).Add(subject))
        {
            target.SendSystemMessage(new SystemMessage.Watch(target, Self));
        }

        return subject;
    }

    public IActorRef Unwatch(IActorRef subject)
    {
        ArgumentNullException.ThrowIfNull(subject);
        if (_watching is not null && _watching.Remove(subject) && subject is IInternalActorRef target)
        {
            target.SendSystemMessage(new SystemMessage.Unwatch(target, Self));
        }

        return subject;
    }

    public override string ToString() => Self.Path.ToString();
}
