namespace Edsos.Scheduler.Internal;

/// <summary>
/// Due-time ordered scheduled work shared by the real-time and the manual scheduler. Times are in ticks of
/// the owning scheduler's clock. Thread-safe; actions run outside the lock.
/// </summary>
internal sealed class TimerQueue
{
    private readonly object _lock = new();
    private readonly PriorityQueue<Item, (long Due, long Seq)> _queue = new();
    private long _sequence;

    public long? NextDue
    {
        get
        {
            lock (_lock)
            {
                while (_queue.TryPeek(out var item, out var key))
                {
                    if (!item.IsCancellationRequested)
                    {
                        return key.Due;
                    }

                    _queue.Dequeue();
                }

                return null;
            }
        }
    }

    public Item Add(long dueTicks, long intervalTicks, Action action)
    {
        var item = new Item(action, intervalTicks);
        Enqueue(item, dueTicks);
        return item;
    }

    /// <summary>Removes the earliest item due at or before <paramref name="nowTicks"/>, if any.</summary>
    public bool TryTakeDue(long nowTicks, out Item item, out long dueTicks)
    {
        lock (_lock)
        {
            while (_queue.TryPeek(out var head, out var key))
            {
                if (head.IsCancellationRequested)
                {
                    _queue.Dequeue();
                    continue;
                }

                if (key.Due > nowTicks)
                {
                    break;
                }

                _queue.Dequeue();
                item = head;
                dueTicks = key.Due;
                return true;
            }
        }

        item = null!;
        dueTicks = 0;
        return false;
    }

    /// <summary>Runs a taken item and puts a periodic one back, due one interval after its previous due time.</summary>
    public void Fire(Item item, long dueTicks)
    {
        if (item.IsCancellationRequested)
        {
            return;
        }

        try
        {
            item.Action();
        }
        catch
        {
            // A scheduled Tell cannot fail; a user action that throws must not kill the timer thread.
        }

        if (item.IntervalTicks > 0 && !item.IsCancellationRequested)
        {
            Enqueue(item, dueTicks + item.IntervalTicks);
        }
    }

    private void Enqueue(Item item, long dueTicks)
    {
        lock (_lock)
        {
            _queue.Enqueue(item, (dueTicks, _sequence++));
        }
    }

    internal sealed class Item : ICancelable
    {
        private volatile bool _cancelled;

        public Item(Action action, long intervalTicks)
        {
            Action = action;
            IntervalTicks = intervalTicks;
        }

        public Action Action { get; }

        public long IntervalTicks { get; }

        public bool IsCancellationRequested => _cancelled;

        public void Cancel() => _cancelled = true;
    }
}
