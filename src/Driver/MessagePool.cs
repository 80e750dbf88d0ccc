namespace Edsos.Driver;

/// <summary>
/// A small thread-safe pool of event messages of one type, so that an event sent per frame or per
/// syscall allocates nothing in steady state. It holds only instances handed back through
/// <see cref="Return"/>; renting from an empty pool returns null and the caller makes a new one.
/// <para>
/// The rule for a pooled message (what makes reuse safe; see the Driver README, "Pooled messages"): the sender
/// rents an instance, fills it and tells it once, to one receiver, and never touches it after the Tell. The
/// receiver returns it as the last act of handling it, and only when nothing else may still hold it: not when a
/// delivery observer is attached (observers keep the messages they are shown), not when the handler keeps the
/// message (a queue of held transmits returns it when the held one is handled). A message that is dropped,
/// dead-lettered, handled by a test probe, sent to another process or handled by a throwing handler is simply
/// never returned, and the GC takes it. An instance made with <c>new</c> (a test's, or one deserialized from
/// another process) was never rented, so its return is a no-op (<see cref="MessageLease"/>): only pooled
/// instances come back, and each at most once.
/// </para>
/// </summary>
/// <typeparam name="T">The message type.</typeparam>
public sealed class MessagePool<T>
    where T : class
{
    // Lock-free (the shape of Microsoft.Extensions.ObjectPool's default pool): a fast slot of the calling thread's
    // own, then a small shared array whose slots are each taken and filled with a compare-exchange. Actors of both
    // hosts rent and return from different threads on an oversubscribed machine, where a lock holder that is
    // preempted would stall every other sender.
    //
    // The array is used as a stack: _top is a hint, one past the highest slot last filled or one above the slot
    // last emptied. A rent scans down from it and a return up from it, so neither scans the whole array when the
    // pool is empty (a rent during a burst) or full (a return after one): both used to, 63 compare-free reads
    // each, several per frame. The slots stay the truth (each is taken or filled only by a compare-exchange of
    // the slot itself), so a stale hint costs at most a missed idle instance (the caller makes a new one) or a
    // dropped return (the GC takes it), never an instance handed out twice; the next return climbing past
    // occupied slots repairs it. A stack of indices instead would need an ABA guard: a popped index can be
    // pushed again between another thread's read of the top and its compare-exchange.
    //
    // The thread's slot (one per thread, for the pool that last filled it on that thread) takes no atomic operation:
    // an event is mostly rented and returned on one host's executor thread, and when both hosts' threads rented from
    // one shared fast slot its cache line moved from core to core at every frame (TryRent was 2.7 µs of a 65507-byte
    // zero-copy echo's round by `perf`, 0.5 µs of copy mode's).
    [ThreadStatic]
    private static MessagePool<T>? t_owner;

    [ThreadStatic]
    private static T? t_item;

    private readonly T?[] _items;
    private int _top;

    /// <summary>
    /// A pool keeping at most <paramref name="capacity"/> idle instances as one thread sees it: its own slot and
    /// <paramref name="capacity"/> − 1 shared ones (returns beyond that are dropped).
    /// </summary>
    public MessagePool(int capacity = 64)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _items = new T?[capacity - 1];
    }

    /// <summary>Idle instances in the pool as the calling thread sees it: its own slot and the shared ones (a snapshot, for tests).</summary>
    public int Idle
    {
        get
        {
            int idle = ReferenceEquals(t_owner, this) && t_item is not null ? 1 : 0;
            for (int i = 0; i < _items.Length; i++)
            {
                if (Volatile.Read(ref _items[i]) is not null)
                {
                    idle++;
                }
            }

            return idle;
        }
    }

    /// <summary>An idle instance, or null when there is none (the caller then makes one).</summary>
    public T? TryRent()
    {
        if (t_item is { } local && ReferenceEquals(t_owner, this))
        {
            t_item = null;
            return local;
        }

        var items = _items;
        for (int i = Math.Min(Volatile.Read(ref _top), items.Length) - 1; i >= 0; i--)
        {
            var item = Volatile.Read(ref items[i]);
            if (item is not null && Interlocked.CompareExchange(ref items[i], null, item) == item)
            {
                Volatile.Write(ref _top, i);
                return item;
            }
        }

        return null;
    }

    /// <summary>Keeps <paramref name="item"/> for the next rent; dropped when the pool is full. The caller guarantees nothing else holds it.</summary>
    public void Return(T item)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (t_item is null || !ReferenceEquals(t_owner, this))
        {
            // The slot is empty, or holds an idle instance of another pool of this type (tests make several): that
            // one is left to the GC.
            t_owner = this;
            t_item = item;
            return;
        }

        var items = _items;
        for (int i = Math.Max(Volatile.Read(ref _top), 0); i < items.Length; i++)
        {
            if (Volatile.Read(ref items[i]) is null && Interlocked.CompareExchange(ref items[i], item, null) is null)
            {
                Volatile.Write(ref _top, i + 1);
                return;
            }
        }

        // Full from the hint up: dropped. Rents scan from the end again, in case a race left idle instances above
        // a hint that had fallen behind.
        Volatile.Write(ref _top, items.Length);
    }
}
