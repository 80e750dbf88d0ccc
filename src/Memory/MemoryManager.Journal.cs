namespace Edsos.Memory;

/// <summary>Observers of the operations (the CTRN chain a test or a trace follows): per process.</summary>
public sealed partial class MemoryManager
{
    private readonly Lock _observersGate = new();

    // Copy-on-write arrays: the data path reads them without a lock and pays one length check
    // when nobody observes.
    private Action<MemoryOpRecord>[] _observers = [];
    private Action<CopyRecord>[] _copyObservers = [];

    /// <summary>
    /// Calls <paramref name="observer"/> after every push, ct_share, divide, merge, pop, grant,
    /// lift, pin and unpin this manager makes, on the calling thread after the operation took
    /// effect, until the returned handle is disposed. Observers must record and return; operations
    /// of other threads may interleave with their calls.
    /// </summary>
    public IDisposable Observe(Action<MemoryOpRecord> observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        lock (_observersGate)
        {
            _observers = [.. _observers, observer];
        }

        return new Subscription(this, observer);
    }

    /// <summary>
    /// Calls <paramref name="observer"/> after every CPU copy made by <see cref="Read"/> and
    /// <see cref="Write"/> (the accounted copy routine), on the copying thread and outside the
    /// arena's lock, until the returned handle is disposed. An observer that throws fails the
    /// copy's caller after the bytes were copied; observers must not throw.
    /// </summary>
    public IDisposable ObserveCopies(Action<CopyRecord> observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        lock (_observersGate)
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

    private void Notify(MemoryOpRecord record)
    {
        foreach (var observer in _observers)
        {
            observer(record);
        }
    }

    /// <summary>The journal record of a node an operation is about to consume (null when nobody observes).</summary>
    private MemoryOpRecord? Before(MemoryOp op, TsId caller, Capability cap, out ulong address)
    {
        address = 0;
        if (_observers.Length == 0 || !_arena.TryDescribe(cap.NodeId, cap.Generation, op, caller, out var record, out address))
        {
            return null;
        }

        return record;
    }

    /// <summary>Journals a consumed node with its first page's reference count after the operation.</summary>
    private void After(MemoryOpRecord? before, ulong address)
    {
        if (before is { } record)
        {
            Notify(record with { RefCount = _arena.PageRefCount(address) });
        }
    }

    private sealed class Subscription(MemoryManager manager, Action<MemoryOpRecord> observer) : IDisposable
    {
        public void Dispose()
        {
            lock (manager._observersGate)
            {
                manager._observers = [.. manager._observers.Where(o => o != observer)];
            }
        }
    }

    private sealed class CopySubscription(MemoryManager manager, Action<CopyRecord> observer) : IDisposable
    {
        public void Dispose()
        {
            lock (manager._observersGate)
            {
                manager._copyObservers = [.. manager._copyObservers.Where(o => o != observer)];
            }
        }
    }
}
