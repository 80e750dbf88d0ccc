using System.Collections.Concurrent;
using Edsos.Memory;
using Edsos.Scheduler.Faults;
using Edsos.Scheduler.Internal;
using Microsoft.Extensions.DependencyInjection;

namespace Edsos.Scheduler;

/// <summary>
/// EDSRT, the EDSOS actor runtime: a hierarchy of actors under <c>/user</c>, run on a small fixed pool of
/// worker threads, each actor bound to a tree space (TS) of the system's <see cref="MemoryManager"/>. It owns
/// the dispatcher, the timer scheduler, the <see cref="EventStream"/> (diagnostics), the
/// <see cref="EventBus"/> (event signals between nodes) and dead letters.
/// </summary>
public sealed class ActorSystem : IAsyncDisposable, IDisposable
{
    private readonly ActorCell _userGuardian;
    private readonly ActorCell _systemGuardian;
    private readonly ConcurrentDictionary<TsId, ConcurrentDictionary<ActorCell, byte>> _actorsByTs = new();
    private readonly TaskCompletionSource _whenTerminated = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly MemoryManager? _ownedMemory;
    private readonly Lock _observerGate = new();
    private Action<MessageDelivery>[] _deliveryObservers = [];
    private readonly RealTimeScheduler? _ownedScheduler;
    private readonly ServiceProvider? _ownedServices;
    private int _terminating;

    private ActorSystem(string name, ActorSystemOptions options)
    {
        Name = name;
        if (options.Services is null)
        {
            _ownedServices = new ServiceCollection().BuildServiceProvider();
        }

        Services = options.Services ?? _ownedServices!;
        if (options.Memory is null)
        {
            _ownedMemory = new MemoryManager(options.PrivateMemoryPages);
        }

        Memory = options.Memory ?? _ownedMemory!;
        if (options.Scheduler is null)
        {
            _ownedScheduler = new RealTimeScheduler(name);
        }

        Scheduler = options.Scheduler ?? _ownedScheduler!;
        EventStream = new EventStream();
        EventBus = new EventBus();
        Faults = new FaultInjector(this);
        var root = ActorPath.Root(name);
        DeadLetters = new DeadLetterActorRef(this, root.Child("deadLetters"));
        Dispatcher = new Dispatcher(name, options.WorkerCount, options.Throughput, OnDispatcherCrash);

        var rootTs = Memory.Root;
        string rootTsPath = Memory.TryGetTs(rootTs, out var info) ? info.Path : "/";
        var guardianProps = Props.Create<GuardianActor>();
        _userGuardian = new ActorCell(this, null, root.Child("user"), guardianProps.WithSupervisorStrategy(options.GuardianStrategy ?? SupervisorStrategy.DefaultStrategy), rootTs, rootTsPath);
        _systemGuardian = new ActorCell(this, null, root.Child("system"), guardianProps.WithSupervisorStrategy(SupervisorStrategy.StoppingStrategy), rootTs, rootTsPath);
        Tracing = new ActorTracing(name, Memory);
        _userGuardian.Start();
        _systemGuardian.Start();
        EdsosMetrics.Register(this);
    }

    /// <summary>The system's name, the authority of every actor path.</summary>
    public string Name { get; }

    /// <summary>The container that <see cref="Props.FromServices{TActor}"/> resolves from.</summary>
    public IServiceProvider Services { get; }

    /// <summary>
    /// The system's tracing (DESIGN.md section 7): its activity source, named
    /// <see cref="ActivitySources.ForSystem"/> of <see cref="Name"/>, the span per handled message,
    /// syscall roots and deferred-work spans. Inert while nothing listens.
    /// </summary>
    public ActorTracing Tracing { get; }

    /// <summary>The memory manager owning the tree spaces actors are bound to.</summary>
    public MemoryManager Memory { get; }

    /// <summary>The clock driving timers and delayed Tells.</summary>
    public IScheduler Scheduler { get; }

    /// <summary>Diagnostics: dead letters, unhandled messages, actor failures.</summary>
    public EventStream EventStream { get; }

    /// <summary>EDSRT event signals between nodes; <see cref="TsExited"/> is signalled here.</summary>
    public EventBus EventBus { get; }

    /// <summary>The fault injector: injection points on the data path hit it; tests and <c>edsos demo --fault</c> arm it.</summary>
    public FaultInjector Faults { get; }

    /// <summary>Where undeliverable mail goes; telling it publishes a <see cref="DeadLetter"/>.</summary>
    public IActorRef DeadLetters { get; }

    /// <summary>Completes once <see cref="Terminate"/> has stopped every actor and released the system's resources.</summary>
    public Task WhenTerminated => _whenTerminated.Task;

    internal Dispatcher Dispatcher { get; }

    /// <summary>Creates and starts a system.</summary>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty or contains '/'.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The options name a non-positive worker count or throughput.</exception>
    public static ActorSystem Create(string name, ActorSystemOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Contains('/', StringComparison.Ordinal))
        {
            throw new ArgumentException($"a system name contains no '/': '{name}'", nameof(name));
        }

        return new ActorSystem(name, options ?? new ActorSystemOptions());
    }

    /// <summary>Creates a top-level actor under <c>/user</c>; <paramref name="name"/> null picks a unique one.</summary>
    /// <exception cref="InvalidActorNameException">The name is malformed or taken by an actor that has not yet stopped.</exception>
    /// <exception cref="InvalidOperationException">The system is terminating, or the props' tree space cannot be created.</exception>
    public IActorRef ActorOf(Props props, string? name = null) => _userGuardian.ActorOf(props, name);

    /// <summary>Stops <paramref name="actor"/> asynchronously (its children first); watch it to learn when it has stopped.</summary>
    /// <exception cref="NotSupportedException">The reference is not one of this runtime.</exception>
    public void Stop(IActorRef actor) => _userGuardian.Stop(actor);

    /// <summary>
    /// Stops every actor bound to tree space <paramref name="ts"/> or to one of its descendants and exits the
    /// tree spaces: for each TS in post-order (children first) it stops the TS's actors (each with its
    /// children), waits until they have stopped, calls <see cref="MemoryManager.Lift"/> and signals a
    /// <see cref="TsExited"/> on the <see cref="EventBus"/>. Returns the signalled events in that order.
    /// Actors created in the subtree while the exit runs are not stopped. Awaiting this from an actor bound to
    /// the exiting subtree deadlocks (that actor cannot stop while it waits).
    /// </summary>
    /// <exception cref="ArgumentException">No tree space has the id <paramref name="ts"/>.</exception>
    public async Task<IReadOnlyList<TsExited>> ExitTsAsync(TsId ts)
    {
        var subtree = Memory.Subtree(ts);
        if (subtree.Count == 0)
        {
            throw new ArgumentException($"no tree space with id {ts.Value}", nameof(ts));
        }

        var exited = new List<TsExited>(subtree.Count);
        foreach (var id in subtree)
        {
            if (_actorsByTs.TryGetValue(id, out var cells) && !cells.IsEmpty)
            {
                var stopping = new List<Task>(cells.Count);
                foreach (var cell in cells.Keys)
                {
                    cell.PostSystem(SystemMessage.Terminate.Instance);
                    stopping.Add(cell.WhenTerminated);
                }

                await Task.WhenAll(stopping).ConfigureAwait(false);
            }

            var report = Memory.Lift(id);
            string path = Memory.TryGetTs(id, out var info) ? info.Path : id.ToString();
            var @event = new TsExited(id, path, report);
            EventBus.Signal(@event);
            exited.Add(@event);
        }

        return exited;
    }

    /// <summary>Like <see cref="ExitTsAsync(TsId)"/>, naming the tree space by path.</summary>
    /// <exception cref="ArgumentException">No tree space has that path.</exception>
    public Task<IReadOnlyList<TsExited>> ExitTsAsync(string tsPath)
    {
        var found = Memory.FindTs(tsPath);
        if (!found.IsOk)
        {
            throw new ArgumentException($"no tree space at '{tsPath}': {found.Error} {found.Detail}", nameof(tsPath));
        }

        return ExitTsAsync(found.Value);
    }

    /// <summary>
    /// Completes once <paramref name="actor"/> has stopped (after its <c>PostStop</c>, so every reply
    /// it sent while stopping has been delivered): the death watch for code outside actors. Completes
    /// at once for a reference that is not a live actor of this system (dead letters, nobody).
    /// </summary>
    public Task WhenStopped(IActorRef actor)
    {
        ArgumentNullException.ThrowIfNull(actor);
        return actor is IInternalActorRef { Cell: { } cell } && ReferenceEquals(cell.System, this)
            ? cell.WhenTerminated
            : Task.CompletedTask;
    }

    /// <summary>The actors currently bound to <paramref name="ts"/> (a snapshot; for diagnostics and tests).</summary>
    public IReadOnlyList<IActorRef> ActorsIn(TsId ts)
    {
        var list = new List<IActorRef>();
        if (_actorsByTs.TryGetValue(ts, out var cells))
        {
            foreach (var cell in cells.Keys)
            {
                list.Add(cell.Self);
            }
        }

        return list;
    }

    /// <summary>
    /// Stops all actors (user actors first, then system actors such as test probes), then the worker threads
    /// and the timer thread, and disposes what the system created itself (private memory manager, empty
    /// container). Idempotent; returns <see cref="WhenTerminated"/>. An actor parked in a never-ending
    /// ReceiveAsync handler holds termination up until the grace period (10 s) runs out.
    /// </summary>
    public Task Terminate()
    {
        if (Interlocked.Exchange(ref _terminating, 1) == 0)
        {
            _ = Task.Run(TerminateCoreAsync);
        }

        return _whenTerminated.Task;
    }

    /// <summary>Terminates the system and waits for it.</summary>
    public async ValueTask DisposeAsync()
    {
        await Terminate().ConfigureAwait(false);
    }

    /// <summary>Terminates the system and blocks until it is done (at most about 15 s).</summary>
    public void Dispose()
    {
        Terminate().Wait(TimeSpan.FromSeconds(15));
    }

    /// <summary>
    /// Calls <paramref name="observer"/> with every user message just before its actor handles it
    /// (EDSRT: the node scheduled by the event it listens to), until the handle is disposed. The
    /// observer runs on the handling worker thread, concurrently for different actors: it must be
    /// thread-safe and quick. System messages (stop, watch) are not reported.
    /// </summary>
    public IDisposable ObserveDeliveries(Action<MessageDelivery> observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        lock (_observerGate)
        {
            _deliveryObservers = [.. _deliveryObservers, observer];
        }

        return new DeliverySubscription(this, observer);
    }

    internal void NotifyDelivery(IActorRef recipient, TsId ts, IActorRef? sender, object message)
    {
        // Copy-on-write array: one length check per message when nobody observes.
        var observers = _deliveryObservers;
        if (observers.Length == 0)
        {
            return;
        }

        var delivery = new MessageDelivery(recipient, ts, sender, message);
        foreach (var observer in observers)
        {
            observer(delivery);
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"ActorSystem({Name})";

    private sealed class DeliverySubscription(ActorSystem system, Action<MessageDelivery> observer) : IDisposable
    {
        public void Dispose()
        {
            lock (system._observerGate)
            {
                system._deliveryObservers = [.. system._deliveryObservers.Where(o => o != observer)];
            }
        }
    }

    internal IActorRef SystemActorOf(Props props, string? name = null) => _systemGuardian.ActorOf(props, name);

    internal (TsId Ts, string Path) ResolveTs(string path)
    {
        // Find first: creating the path of a live TS is an error by design of the memory model.
        for (int attempt = 0; attempt < 3; attempt++)
        {
            var found = Memory.FindTs(path);
            if (found.IsOk && Memory.TryGetTs(found.Value, out var info) && info.Alive)
            {
                return (found.Value, info.Path);
            }

            var created = Memory.CreateTs(path);
            if (created.IsOk)
            {
                return (created.Value, Memory.TryGetTs(created.Value, out var made) ? made.Path : path);
            }

            if (created.Error != MemoryError.InvalidArgument || !Memory.FindTs(path).IsOk)
            {
                throw new InvalidOperationException($"cannot bind an actor to tree space '{path}': {created.Error} {created.Detail}");
            }

            // Another thread created it between our find and create: look again.
        }

        throw new InvalidOperationException($"cannot bind an actor to tree space '{path}': it keeps changing state");
    }

    internal void OnCellCreated(ActorCell cell)
    {
        _actorsByTs.GetOrAdd(cell.Ts, static _ => new ConcurrentDictionary<ActorCell, byte>()).TryAdd(cell, 0);
    }

    internal void OnCellTerminated(ActorCell cell)
    {
        if (_actorsByTs.TryGetValue(cell.Ts, out var cells))
        {
            cells.TryRemove(cell, out _);
        }

        EventStream.Unsubscribe(cell.Self);
        EventBus.Unlisten(cell.Self);
    }

    private async Task TerminateCoreAsync()
    {
        var grace = TimeSpan.FromSeconds(10);
        try
        {
            _userGuardian.PostSystem(SystemMessage.Terminate.Instance);
            await _userGuardian.WhenTerminated.WaitAsync(grace).ConfigureAwait(false);
            _systemGuardian.PostSystem(SystemMessage.Terminate.Instance);
            await _systemGuardian.WhenTerminated.WaitAsync(grace).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Some actor would not stop (a ReceiveAsync that never completes); shut down regardless.
        }
        finally
        {
            Dispatcher.Dispose();
            EdsosMetrics.Unregister(this);
            Tracing.Dispose();
            _ownedScheduler?.Dispose();
            _ownedMemory?.Dispose();
            if (_ownedServices is not null)
            {
                await _ownedServices.DisposeAsync().ConfigureAwait(false);
            }

            _whenTerminated.TrySetResult();
        }
    }

    private void OnDispatcherCrash(Exception exception)
    {
        EventStream.Publish(new ActorFailed(ActorRefs.Nobody, null, exception));
    }
}
