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
    // Lock-free (the shape of Microsoft.Extensions.ObjectPool's default pool): one fast slot, then a small array,
    // each taken and filled with a compare-exchange. Actors of both hosts rent and return from different threads
    // on an oversubscribed machine, where a lock holder that is preempted would stall every other sender.
    //
    // The array is used as a stack: _top is a hint, one past the highest slot last filled or one above the slot
    // last emptied. A rent scans down from it and a return up from it, so neither scans the whole array when the
    // pool is empty (a rent during a burst) or full (a return after one): both used to, 63 compare-free reads
    // each, several per frame. The slots stay the truth (each is taken or filled only by a compare-exchange of
    // the slot itself), so a stale hint costs at most a missed idle instance (the caller makes a new one) or a
    // dropped return (the GC takes it), never an instance handed out twice; the next return climbing past
    // occupied slots repairs it. A stack of indices instead would need an ABA guard: a popped index can be
    // pushed again between another thread's read of the top and its compare-exchange.
    private readonly T?[] _items;
    private T? _first;
    private int _top;

    /// <summary>A pool keeping at most <paramref name="capacity"/> idle instances (returns beyond that are dropped).</summary>
    public MessagePool(int capacity = 64)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _items = new T?[capacity - 1];
    }

    /// <summary>Idle instances in the pool (a snapshot, for tests).</summary>
    public int Idle
    {
        get
        {
            int idle = Volatile.Read(ref _first) is null ? 0 : 1;
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
        var item = Volatile.Read(ref _first);
        if (item is not null && Interlocked.CompareExchange(ref _first, null, item) == item)
        {
            return item;
        }

        var items = _items;
        for (int i = Math.Min(Volatile.Read(ref _top), items.Length) - 1; i >= 0; i--)
        {
            item = Volatile.Read(ref items[i]);
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
        if (Volatile.Read(ref _first) is null && Interlocked.CompareExchange(ref _first, item, null) is null)
        {
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
