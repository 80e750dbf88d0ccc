using System.Collections.Concurrent;

namespace Edsos.Scheduler.Internal;

/// <summary>
/// Subscribers by event type, matched against the published event's type and its base types and interfaces.
/// Changes are rare and publishes frequent: a change swaps in a new immutable snapshot with an empty
/// per-type cache; a publish reads one snapshot and, after the first event of a type, finds its subscriber
/// array in the cache without allocating.
/// </summary>
internal sealed class SubscriptionTable
{
    private readonly object _lock = new();
    private volatile Snapshot _snapshot = new([]);

    public bool Add(Type eventType, IActorRef subscriber)
    {
        lock (_lock)
        {
            var entries = _snapshot.Entries;
            foreach (var entry in entries)
            {
                if (entry.Type == eventType && entry.Subscriber.Equals(subscriber))
                {
                    return false;
                }
            }

            var next = new Entry[entries.Length + 1];
            Array.Copy(entries, next, entries.Length);
            next[^1] = new Entry(eventType, subscriber);
            _snapshot = new Snapshot(next);
            return true;
        }
    }

    public int Remove(Type? eventType, IActorRef subscriber)
    {
        lock (_lock)
        {
            var entries = _snapshot.Entries;
            if (!Any(entries, eventType, subscriber))
            {
                // The common case when an actor stops: it subscribed to nothing, so nothing is copied.
                return 0;
            }

            var kept = new List<Entry>(entries.Length);
            foreach (var entry in entries)
            {
                bool match = entry.Subscriber.Equals(subscriber) && (eventType is null || entry.Type == eventType);
                if (!match)
                {
                    kept.Add(entry);
                }
            }

            int removed = entries.Length - kept.Count;
            if (removed > 0)
            {
                _snapshot = new Snapshot(kept.ToArray());
            }

            return removed;
        }
    }

    private static bool Any(Entry[] entries, Type? eventType, IActorRef subscriber)
    {
        foreach (var entry in entries)
        {
            if (entry.Subscriber.Equals(subscriber) && (eventType is null || entry.Type == eventType))
            {
                return true;
            }
        }

        return false;
    }

    public bool Contains(Type eventType, IActorRef subscriber)
    {
        foreach (var entry in _snapshot.Entries)
        {
            if (entry.Type == eventType && entry.Subscriber.Equals(subscriber))
            {
                return true;
            }
        }

        return false;
    }

    public IActorRef[] Resolve(Type eventType)
    {
        var snapshot = _snapshot;
        if (snapshot.Cache.TryGetValue(eventType, out var cached))
        {
            return cached;
        }

        var matches = new List<IActorRef>();
        foreach (var entry in snapshot.Entries)
        {
            // A subscriber listening to a type and to its base type still gets the event once.
            if (entry.Type.IsAssignableFrom(eventType) && !matches.Contains(entry.Subscriber))
            {
                matches.Add(entry.Subscriber);
            }
        }

        var result = matches.ToArray();
        snapshot.Cache.TryAdd(eventType, result);
        return result;
    }

    private readonly record struct Entry(Type Type, IActorRef Subscriber);

    private sealed class Snapshot
    {
        public Snapshot(Entry[] entries)
        {
            Entries = entries;
        }

        public Entry[] Entries { get; }

        public ConcurrentDictionary<Type, IActorRef[]> Cache { get; } = new();
    }
}
