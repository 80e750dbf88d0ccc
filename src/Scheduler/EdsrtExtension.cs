using System.Collections.Concurrent;
using Akka.Actor;
using Edsos.Memory;
using Edsos.Scheduler.Faults;

namespace Edsos.Scheduler;

/// <summary>
/// EDSRT, the EDSOS event-driven runtime, as an Akka.NET extension of one host's actor system: the
/// host's <see cref="MemoryManager"/>, the registry of which actors live in which tree space (TS),
/// <see cref="ExitTsAsync(TsId)"/>, the <see cref="FaultInjector"/>, the host's <see cref="ActorTracing"/>
/// and delivery observers. Everything else (actors, mailboxes, dispatch, timers, supervision, death
/// watch, the event stream) is Akka's. Reach it with <c>system.Edsrt()</c> or the members the
/// <see cref="EdsrtActorSystemExtensions"/> put on <see cref="ActorSystem"/>.
/// </summary>
public sealed class EdsrtExtension : IExtension
{
    private readonly ConcurrentDictionary<TsId, ConcurrentDictionary<IActorRef, byte>> _actorsByTs = new();
    private readonly ConcurrentDictionary<IActorRef, (TsId Ts, string Path)> _bindings = new();
    private readonly Lock _observerGate = new();
    private Action<MessageDelivery>[] _deliveryObservers = [];

    internal EdsrtExtension(ExtendedActorSystem system)
    {
        System = system;
        var setup = system.Settings.Setup.Get<EdsrtSetup>();
        MemoryManager? owned = null;
        if (!setup.HasValue || setup.Value.Memory is null)
        {
            owned = new MemoryManager(setup.HasValue ? setup.Value.PrivateMemoryPages : 1024);
        }

        Memory = owned ?? setup.Value.Memory!;
        Tracing = new ActorTracing(system.Name, Memory);
        Faults = new FaultInjector(system);
        var rootTs = Memory.Root;
        RootTs = rootTs;
        RootTsPath = Memory.TryGetTs(rootTs, out var info) ? info.Path : "/";
        EdsosMetrics.Register(system);
        system.RegisterOnTermination(() =>
        {
            EdsosMetrics.Unregister(system);
            Tracing.Dispose();
            owned?.Dispose();
        });
    }

    /// <summary>The actor system this extension belongs to.</summary>
    public ActorSystem System { get; }

    /// <summary>The memory manager owning the tree spaces actors are bound to.</summary>
    public MemoryManager Memory { get; }

    /// <summary>The host's tracing (its activity source, span per handled message, syscall roots).</summary>
    public ActorTracing Tracing { get; }

    /// <summary>The fault injector: injection points on the data path hit it; tests and <c>edsos demo --fault</c> arm it.</summary>
    public FaultInjector Faults { get; }

    internal TsId RootTs { get; }

    internal string RootTsPath { get; }

    /// <summary>The extension of <paramref name="system"/>, created on first use.</summary>
    public static EdsrtExtension Get(ActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        return system.WithExtension<EdsrtExtension, EdsrtExtensionId>();
    }

    /// <summary>
    /// Stops every actor bound to tree space <paramref name="ts"/> or to one of its descendants and exits the
    /// tree spaces: for each TS in post-order (children first) it stops the TS's actors (each with its
    /// children), waits until they have stopped, calls <see cref="MemoryManager.Lift"/> and publishes a
    /// <see cref="TsExited"/> on the system's event stream. Returns the published events in that order.
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
            if (_actorsByTs.TryGetValue(id, out var actors) && !actors.IsEmpty)
            {
                var stopping = new List<Task>(actors.Count);
                foreach (var actor in actors.Keys)
                {
                    stopping.Add(actor.WatchAsync());
                    System.Stop(actor);
                }

                await Task.WhenAll(stopping).ConfigureAwait(false);
            }

            var report = Memory.Lift(id);
            string path = Memory.TryGetTs(id, out var info) ? info.Path : id.ToString();
            var @event = new TsExited(id, path, report);
            System.EventStream.Publish(@event);
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

    /// <summary>The EDSRT actors currently bound to <paramref name="ts"/> (a snapshot; for diagnostics and tests).</summary>
    public IReadOnlyList<IActorRef> ActorsIn(TsId ts) =>
        _actorsByTs.TryGetValue(ts, out var actors) ? [.. actors.Keys] : [];

    /// <summary>
    /// Calls <paramref name="observer"/> with every user message just before an EDSRT actor handles it
    /// (the node scheduled by the event it listens to), until the handle is disposed. The observer runs on
    /// the handling thread, concurrently for different actors: it must be thread-safe and quick.
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

    /// <summary>
    /// True while a delivery observer is attached. Observers may keep the messages they are shown, so a
    /// receiver does not return a pooled message to its pool while this holds (see <c>Edsos.Driver.MessagePool</c>).
    /// </summary>
    public bool HasDeliveryObservers => Volatile.Read(ref _deliveryObservers).Length != 0;

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

    /// <summary>
    /// Finds the live tree space at <paramref name="path"/>, creating it (and missing ancestors) if needed.
    /// Akka constructs an actor after <c>ActorOf</c> returns, so code that needs the id of the tree space
    /// a new actor is bound to calls this with the same path first.
    /// </summary>
    /// <exception cref="InvalidOperationException">The tree space cannot be created.</exception>
    public TsId EnsureTs(string path) => ResolveTs(path).Ts;

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

    internal void Bind(IActorRef actor, TsId ts, string path)
    {
        _bindings[actor] = (ts, path);
        _actorsByTs.GetOrAdd(ts, static _ => new ConcurrentDictionary<IActorRef, byte>()).TryAdd(actor, 0);
    }

    internal void Unbind(IActorRef actor, TsId ts)
    {
        _bindings.TryRemove(actor, out _);
        if (_actorsByTs.TryGetValue(ts, out var actors))
        {
            actors.TryRemove(actor, out _);
        }
    }

    internal bool TryGetTsOf(IActorRef actor, out TsId ts, out string path)
    {
        if (_bindings.TryGetValue(actor, out var binding))
        {
            (ts, path) = binding;
            return true;
        }

        ts = default;
        path = string.Empty;
        return false;
    }

    private sealed class DeliverySubscription(EdsrtExtension owner, Action<MessageDelivery> observer) : IDisposable
    {
        public void Dispose()
        {
            lock (owner._observerGate)
            {
                owner._deliveryObservers = Array.FindAll(owner._deliveryObservers, o => o != observer);
            }
        }
    }
}
