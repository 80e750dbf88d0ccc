using Edsos.Scheduler.Internal;

namespace Edsos.Scheduler;

/// <summary>
/// EDSRT's event signals: nodes (actors) listen to event types and are scheduled when such an event is
/// signalled. A listener receives every signalled event assignable to a type it listens to (base classes and
/// interfaces included), exactly once, carrying the signaller's trace context. Listeners that stop are
/// removed automatically. <see cref="TsExited"/> is signalled here.
/// </summary>
public sealed class EventBus
{
    private readonly SubscriptionTable _table = new();

    internal EventBus()
    {
    }

    /// <summary>Makes <paramref name="listener"/> receive <typeparamref name="TEvent"/> signals; false if it already did.</summary>
    public bool Listen<TEvent>(IActorRef listener) => Listen(typeof(TEvent), listener);

    /// <summary>Makes <paramref name="listener"/> receive signals of <paramref name="eventType"/>; false if it already did.</summary>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public bool Listen(Type eventType, IActorRef listener)
    {
        ArgumentNullException.ThrowIfNull(eventType);
        ArgumentNullException.ThrowIfNull(listener);
        return _table.Add(eventType, listener);
    }

    /// <summary>Stops <paramref name="listener"/> receiving <typeparamref name="TEvent"/> signals; false if it did not listen.</summary>
    public bool Unlisten<TEvent>(IActorRef listener)
    {
        ArgumentNullException.ThrowIfNull(listener);
        return _table.Remove(typeof(TEvent), listener) > 0;
    }

    /// <summary>Removes every listening of <paramref name="listener"/>; returns how many were removed.</summary>
    public int Unlisten(IActorRef listener)
    {
        ArgumentNullException.ThrowIfNull(listener);
        return _table.Remove(null, listener);
    }

    /// <summary>True if <paramref name="listener"/> listens to exactly <typeparamref name="TEvent"/>.</summary>
    public bool IsListening<TEvent>(IActorRef listener) => _table.Contains(typeof(TEvent), listener);

    /// <summary>
    /// Delivers <paramref name="event"/> to every listener of its type; returns the number of listeners reached
    /// (zero is not an error: an event nobody listens to is dropped).
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="event"/> is null.</exception>
    public int Signal(object @event, IActorRef? sender = null)
    {
        ArgumentNullException.ThrowIfNull(@event);
        var listeners = _table.Resolve(@event.GetType());
        for (int i = 0; i < listeners.Length; i++)
        {
            listeners[i].Tell(@event, sender);
        }

        return listeners.Length;
    }
}
