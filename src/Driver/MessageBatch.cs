namespace Edsos.Driver;

/// <summary>
/// The shape every batch event below the socket shares (seed 000's proposal of io_uring-style batching, carried along
/// the chain): one message carrying many per-item events, in order, so that a stage that handles a burst costs one
/// mailbox hop, one dispatch and one trace capture instead of one per frame. The items are the one-item events
/// themselves (<c>XmitRequest</c>, <c>FrameReceivedEvent</c>, ...), so a receiver handles a batch by handing each item
/// to the handler the one-item event has, in order: a batch of one means exactly what that event alone means.
/// <para>
/// Pooling follows <see cref="MessagePool{T}"/>'s rule: the sender rents a batch with <see cref="Rent"/>,
/// <see cref="Add"/>s items (each item's ownership moves into the batch), tells it once and lets go. The receiver
/// takes every item over (it returns each item as that item's own handler does) and returns the batch itself with
/// <see cref="PooledMessageExtensions.ReturnHandled"/> last; a returned batch forgets its items, so an item lives in
/// no pool twice. A batch made with <c>new</c> has no lease and is never pooled. Batches are not copied with
/// <c>with</c> (the copy would share the item list).
/// </para>
/// </summary>
/// <typeparam name="TSelf">The sealed batch record (its pool is per type).</typeparam>
/// <typeparam name="TItem">The one-item event it carries.</typeparam>
public abstract record MessageBatch<TSelf, TItem> : IPooledMessage
    where TSelf : MessageBatch<TSelf, TItem>, new()
    where TItem : class
{
    private static readonly MessagePool<TSelf> s_pool = new(32);
    private readonly List<TItem> _items = new();
    private MessageLease _lease;

    /// <summary>How many items the batch carries.</summary>
    public int Count => _items.Count;

    /// <summary>The item at <paramref name="index"/> (0 is the oldest); throws for an index outside <c>[0, Count)</c>.</summary>
    public TItem this[int index] => _items[index];

    /// <summary>An empty batch, from the pool when it has one (the sender fills it, tells it once and lets go).</summary>
    public static TSelf Rent()
    {
        var batch = s_pool.TryRent() ?? new TSelf();
        batch._items.Clear();
        batch._lease.Begin();
        return batch;
    }

    /// <summary>Appends <paramref name="item"/>, whose ownership moves into the batch; returns this batch.</summary>
    public TSelf Add(TItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        _items.Add(item);
        return (TSelf)this;
    }

    /// <inheritdoc />
    public void Return()
    {
        if (_lease.TryEnd())
        {
            _items.Clear();
            s_pool.Return((TSelf)this);
        }
    }

    /// <summary>Equality by reference to the same items in the same order, so two batches are equal when they carry the same events.</summary>
    public virtual bool Equals(MessageBatch<TSelf, TItem>? other)
    {
        if (other is null || other.Count != Count)
        {
            return false;
        }

        for (int i = 0; i < _items.Count; i++)
        {
            if (!Equals(_items[i], other._items[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <inheritdoc />
    public override int GetHashCode() => _items.Count;

    /// <summary>The batch's type and item count (the items print themselves when asked).</summary>
    protected virtual bool PrintMembers(System.Text.StringBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Append("Count = ").Append(_items.Count);
        return true;
    }
}
