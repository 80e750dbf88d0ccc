using Edsos.Scheduler.Internal;

namespace Edsos.Scheduler;

/// <summary>
/// The system's diagnostic channel: <see cref="DeadLetter"/>, <see cref="UnhandledMessage"/> and
/// <see cref="ActorFailed"/> are published here. A subscriber receives every event assignable to the type it
/// subscribed to, once, with no sender. Subscriptions of an actor end when it stops.
/// </summary>
public sealed class EventStream
{
    private readonly SubscriptionTable _table = new();

    internal EventStream()
    {
    }

    /// <summary>Subscribes <paramref name="subscriber"/> to <typeparamref name="TEvent"/> and its subtypes; false if already subscribed.</summary>
    public bool Subscribe<TEvent>(IActorRef subscriber) => Subscribe(subscriber, typeof(TEvent));

    /// <summary>Subscribes <paramref name="subscriber"/> to <paramref name="eventType"/> and its subtypes; false if already subscribed.</summary>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public bool Subscribe(IActorRef subscriber, Type eventType)
    {
        ArgumentNullException.ThrowIfNull(subscriber);
        ArgumentNullException.ThrowIfNull(eventType);
        return _table.Add(eventType, subscriber);
    }

    /// <summary>Ends the subscription of <paramref name="subscriber"/> to <paramref name="eventType"/>; false if there was none.</summary>
    public bool Unsubscribe(IActorRef subscriber, Type eventType)
    {
        ArgumentNullException.ThrowIfNull(subscriber);
        ArgumentNullException.ThrowIfNull(eventType);
        return _table.Remove(eventType, subscriber) > 0;
    }

    /// <summary>Ends every subscription of <paramref name="subscriber"/>; false if there was none.</summary>
    public bool Unsubscribe(IActorRef subscriber)
    {
        ArgumentNullException.ThrowIfNull(subscriber);
        return _table.Remove(null, subscriber) > 0;
    }

    /// <summary>Tells <paramref name="event"/> to every matching subscriber; returns how many there were.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="event"/> is null.</exception>
    public int Publish(object @event)
    {
        ArgumentNullException.ThrowIfNull(@event);
        var subscribers = _table.Resolve(@event.GetType());
        for (int i = 0; i < subscribers.Length; i++)
        {
            subscribers[i].Tell(@event);
        }

        return subscribers.Length;
    }
}
