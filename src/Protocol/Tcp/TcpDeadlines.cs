namespace Edsos.Protocol.Tcp;

/// <summary>
/// The connections' next deadlines, ordered, so one timer set to <see cref="Earliest"/> serves them all (no periodic
/// scan). An entry only ever moves earlier: a connection whose deadline moved later keeps its earlier entry, is polled
/// then (finding nothing due, which is harmless) and files its real deadline; so the many later-moving deadlines (the
/// RTO restarts on every ACK) cost nothing here. Plain and single-threaded.
/// </summary>
public sealed class TcpDeadlines
{
    private readonly SortedSet<(long Ticks, ulong Id)> _order = new();
    private readonly Dictionary<ulong, long> _filed = new();

    /// <summary>Connections with a deadline filed.</summary>
    public int Count => _filed.Count;

    /// <summary>The earliest deadline filed; null when none is.</summary>
    public DateTimeOffset? Earliest => _order.Count == 0 ? null : new DateTimeOffset(_order.Min.Ticks, TimeSpan.Zero);

    /// <summary>Files <paramref name="at"/> for connection <paramref name="id"/> unless an earlier (or equal) one is filed already.</summary>
    public void Schedule(ulong id, DateTimeOffset at)
    {
        long ticks = at.UtcTicks;
        if (_filed.TryGetValue(id, out long filed))
        {
            if (filed <= ticks)
            {
                return;
            }

            _order.Remove((filed, id));
        }

        _filed[id] = ticks;
        _order.Add((ticks, id));
    }

    /// <summary>Moves every connection whose deadline is at or before <paramref name="now"/> into <paramref name="due"/> (earliest first), unfiling them.</summary>
    public void TakeDue(DateTimeOffset now, List<ulong> due)
    {
        long ticks = now.UtcTicks;
        while (_order.Count > 0 && _order.Min.Ticks <= ticks)
        {
            var entry = _order.Min;
            _order.Remove(entry);
            _filed.Remove(entry.Id);
            due.Add(entry.Id);
        }
    }

    /// <summary>Unfiles connection <paramref name="id"/> (deleted).</summary>
    public void Remove(ulong id)
    {
        if (_filed.Remove(id, out long filed))
        {
            _order.Remove((filed, id));
        }
    }

    /// <summary>Unfiles everything.</summary>
    public void Clear()
    {
        _order.Clear();
        _filed.Clear();
    }
}
