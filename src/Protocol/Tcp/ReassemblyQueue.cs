namespace Edsos.Protocol.Tcp;

/// <summary>
/// Out-of-order segments held until the gap before them fills (RFC 9293 3.10.7.4: segments beyond
/// RCV.NXT within the window may be kept). Keyed by sequence number with wrap-around; each entry is a caller
/// handle (a payload node) that is handed back exactly once: through <see cref="TryTakeNext"/> when it becomes
/// in order, or through <see cref="Clear"/>. A segment overlapping one already held, or starting before the
/// caller's RCV.NXT, is refused (returned false) and stays the caller's: the sender retransmits what was lost,
/// and holding only disjoint pieces keeps the queue simple and the delivered stream exact.
/// </summary>
/// <typeparam name="T">The payload handle.</typeparam>
public sealed class ReassemblyQueue<T>
{
    private readonly List<Entry> _entries = new();

    /// <summary>Segments held.</summary>
    public int Count => _entries.Count;

    /// <summary>Payload bytes held.</summary>
    public int Bytes { get; private set; }

    /// <summary>
    /// Holds [<paramref name="sequence"/>, +<paramref name="length"/>) unless it overlaps a held segment.
    /// Returns false (the caller keeps <paramref name="handle"/>) on overlap or a non-positive length.
    /// </summary>
    public bool TryAdd(uint sequence, int length, T handle)
    {
        if (length <= 0)
        {
            return false;
        }

        int index = 0;
        while (index < _entries.Count && SeqNum.Lt(_entries[index].Sequence, sequence))
        {
            index++;
        }

        if (index > 0)
        {
            var before = _entries[index - 1];
            if (SeqNum.Gt(before.Sequence + (uint)before.Length, sequence))
            {
                return false;
            }
        }

        if (index < _entries.Count && SeqNum.Lt(_entries[index].Sequence, sequence + (uint)length))
        {
            return false;
        }

        _entries.Insert(index, new Entry(sequence, length, handle));
        Bytes += length;
        return true;
    }

    /// <summary>
    /// Takes the held segment that starts exactly at <paramref name="rcvNxt"/>, if any. Segments that now lie
    /// wholly or partly before <paramref name="rcvNxt"/> (cannot happen with disjoint entries fed in order,
    /// but a caller may have advanced past them) are returned through <paramref name="stale"/> to be freed.
    /// </summary>
    public bool TryTakeNext(uint rcvNxt, out uint sequence, out int length, out T handle, List<T> stale)
    {
        while (_entries.Count > 0 && SeqNum.Lt(_entries[0].Sequence, rcvNxt))
        {
            stale.Add(_entries[0].Handle);
            Bytes -= _entries[0].Length;
            _entries.RemoveAt(0);
        }

        if (_entries.Count > 0 && _entries[0].Sequence == rcvNxt)
        {
            var entry = _entries[0];
            _entries.RemoveAt(0);
            Bytes -= entry.Length;
            sequence = entry.Sequence;
            length = entry.Length;
            handle = entry.Handle;
            return true;
        }

        sequence = 0;
        length = 0;
        handle = default!;
        return false;
    }

    /// <summary>
    /// Takes the held segment furthest ahead (the one the sender will reach last), to free its memory: pruning
    /// from the end keeps the segments nearest RCV.NXT, which the next retransmission may make deliverable.
    /// </summary>
    public bool TryTakeLast(out T handle)
    {
        if (_entries.Count == 0)
        {
            handle = default!;
            return false;
        }

        var entry = _entries[^1];
        _entries.RemoveAt(_entries.Count - 1);
        Bytes -= entry.Length;
        handle = entry.Handle;
        return true;
    }

    /// <summary>Hands every held handle to <paramref name="released"/> and empties the queue.</summary>
    public void Clear(List<T> released)
    {
        foreach (var entry in _entries)
        {
            released.Add(entry.Handle);
        }

        _entries.Clear();
        Bytes = 0;
    }

    private readonly record struct Entry(uint Sequence, int Length, T Handle);
}
