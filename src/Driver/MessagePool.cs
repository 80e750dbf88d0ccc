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
    private readonly T[] _items;
    private readonly Lock _gate = new();
    private int _count;

    /// <summary>A pool keeping at most <paramref name="capacity"/> idle instances (returns beyond that are dropped).</summary>
    public MessagePool(int capacity = 256)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _items = new T[capacity];
    }

    /// <summary>Idle instances in the pool (for tests).</summary>
    public int Idle
    {
        get
        {
            lock (_gate)
            {
                return _count;
            }
        }
    }

    /// <summary>An idle instance, or null when there is none (the caller then makes one).</summary>
    public T? TryRent()
    {
        lock (_gate)
        {
            if (_count == 0)
            {
                return null;
            }

            var item = _items[--_count];
            _items[_count] = null!;
            return item;
        }
    }

    /// <summary>Keeps <paramref name="item"/> for the next rent; dropped when the pool is full. The caller guarantees nothing else holds it.</summary>
    public void Return(T item)
    {
        ArgumentNullException.ThrowIfNull(item);
        lock (_gate)
        {
            if (_count < _items.Length)
            {
                _items[_count++] = item;
            }
        }
    }
}
