namespace Edsos.Memory;

/// <summary>Observers of the operations (the CTRN chain a test or a trace follows).</summary>
public sealed partial class MemoryManager
{
    // Copy-on-write array: the data path reads it without the lock and pays one length check
    // when nobody observes.
    private Action<MemoryOpRecord>[] _observers = [];
    private Action<CopyRecord>[] _copyObservers = [];

    /// <summary>
    /// Calls <paramref name="observer"/> after every push, ct_share, divide, merge, pop, grant,
    /// lift, pin and unpin, in the order they take effect, until the returned handle is disposed.
    /// Observers run under the manager's lock: they must record and return, and never call back
    /// into the manager (that would deadlock another thread's operation, not this one's).
    /// </summary>
    public IDisposable Observe(Action<MemoryOpRecord> observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        lock (_gate)
        {
            _observers = [.. _observers, observer];
        }

        return new Subscription(this, observer);
    }

    /// <summary>
    /// Calls <paramref name="observer"/> after every CPU copy made by <see cref="Read"/> and
    /// <see cref="Write"/> (the accounted copy routine), on the copying thread and outside the
    /// manager's lock, until the returned handle is disposed. An observer that throws fails the
    /// copy's caller after the bytes were copied; observers must not throw.
    /// </summary>
    public IDisposable ObserveCopies(Action<CopyRecord> observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        lock (_gate)
        {
            _copyObservers = [.. _copyObservers, observer];
        }

        return new CopySubscription(this, observer);
    }

    private void JournalCopy(TsId caller, CopyKind kind, int bytes)
    {
        var observers = _copyObservers;
        if (observers.Length == 0)
        {
            return;
        }

        var record = new CopyRecord(caller, kind, bytes);
        foreach (var observer in observers)
        {
            observer(record);
        }
    }

    private void Journal(MemoryOp op, TsId caller, Node node)
    {
        var observers = _observers;
        if (observers.Length == 0)
        {
            return;
        }

        int refCount = node.Extents.Length == 0 ? 0 : _pages.RefCount((int)(node.Extents[0].Address / (ulong)_pageSize));
        var record = new MemoryOpRecord(op, caller, node.Id, node.Path, node.Owner, Gva.Make(node.Owner, node.GvaBase), node.Length, refCount, TryTs(node.Owner)?.Path ?? string.Empty);
        foreach (var observer in observers)
        {
            observer(record);
        }
    }

    private void JournalUnpin(ulong pinId, PinRecord pin)
    {
        var observers = _observers;
        if (observers.Length == 0)
        {
            return;
        }

        long bytes = 0;
        foreach (var extent in pin.Extents)
        {
            bytes += extent.Length;
        }

        int refCount = pin.Extents.Length == 0 ? 0 : _pages.RefCount((int)(pin.Extents[0].Address / (ulong)_pageSize));
        var record = new MemoryOpRecord(MemoryOp.Unpin, TsId.None, 0, $"pin#{pinId}", TsId.None, default, (int)bytes, refCount);
        foreach (var observer in observers)
        {
            observer(record);
        }
    }

    private void JournalLift(TsRecord ts, TsId id, int nodesRevoked)
    {
        foreach (var observer in _observers)
        {
            observer(new MemoryOpRecord(MemoryOp.Lift, id, 0, ts.Path, id, default, nodesRevoked, 0, ts.Path));
        }
    }

    private sealed class Subscription(MemoryManager manager, Action<MemoryOpRecord> observer) : IDisposable
    {
        public void Dispose()
        {
            lock (manager._gate)
            {
                manager._observers = [.. manager._observers.Where(o => o != observer)];
            }
        }
    }

    private sealed class CopySubscription(MemoryManager manager, Action<CopyRecord> observer) : IDisposable
    {
        public void Dispose()
        {
            lock (manager._gate)
            {
                manager._copyObservers = [.. manager._copyObservers.Where(o => o != observer)];
            }
        }
    }
}
