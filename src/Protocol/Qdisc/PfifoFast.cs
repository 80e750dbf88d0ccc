namespace Edsos.Protocol.Qdisc;

/// <summary>
/// Linux's default queueing discipline, pfifo_fast: three FIFO bands, band 0 always drained before
/// band 1 before band 2, the band picked from the packet priority by prio2band. A total limit
/// (txqueuelen, 1000) tail-drops beyond it. Not thread-safe: one owner (the device's transmit side).
/// </summary>
/// <typeparam name="T">The caller's packet handle.</typeparam>
public sealed class PfifoFast<T>
{
    /// <summary>Number of bands.</summary>
    public const int BandCount = 3;

    /// <summary>Default limit, Linux's default txqueuelen for Ethernet.</summary>
    public const int DefaultLimit = 1000;

    // Linux net/sched/sch_generic.c prio2band: TC_PRIO_* (0..15) → band. Interactive (6) and control (7)
    // go to band 0, best effort (0) to band 1, bulk (2) and filler (1) to band 2.
    private static readonly byte[] s_prio2band = { 1, 2, 2, 2, 1, 2, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1 };

    // Linux net/ipv4/route.c ip_tos2prio, indexed by the RFC 1349 TOS bits (tos & 0x1E) >> 1.
    private static readonly byte[] s_tos2prio = { 0, 0, 0, 0, 2, 2, 2, 2, 6, 6, 6, 6, 4, 4, 4, 4 };

    private readonly Queue<T>[] _bands = { new(), new(), new() };

    // A packet the device refused; it goes out before anything in the bands, as Linux's
    // dev_requeue_skb keeps it in q->gso_skb ahead of the queue.
    private T _requeued = default!;
    private bool _hasRequeued;

    /// <summary>Creates an empty queue.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> is below 1.</exception>
    public PfifoFast(int limit = DefaultLimit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        Limit = limit;
    }

    /// <summary>Most packets held at once (a requeued packet does not count against it).</summary>
    public int Limit { get; }

    /// <summary>Packets held, a requeued one included.</summary>
    public int Count => _bands[0].Count + _bands[1].Count + _bands[2].Count + (_hasRequeued ? 1 : 0);

    /// <summary>Packets refused by <see cref="Enqueue"/> because the queue was full.</summary>
    public long Drops { get; private set; }

    /// <summary>The band (0 highest) for a packet priority (skb->priority, TC_PRIO_*); only the low 4 bits count.</summary>
    public static int BandOf(int priority) => s_prio2band[priority & 0x0F];

    /// <summary>The packet priority Linux derives from an IPv4 TOS byte (rt_tos2priority): low delay →
    /// interactive (6), throughput → bulk (2), otherwise best effort (0).</summary>
    public static int PriorityFromTos(byte tos) => s_tos2prio[(tos & 0x1E) >> 1];

    /// <summary>Queues <paramref name="packet"/> at the tail of the band for <paramref name="priority"/>.</summary>
    /// <returns>False when the queue is full: the packet was not taken, <see cref="Drops"/> grew, and the
    /// caller releases it (Linux: qdisc_drop, NET_XMIT_DROP).</returns>
    public bool Enqueue(T packet, int priority)
    {
        if (_bands[0].Count + _bands[1].Count + _bands[2].Count >= Limit)
        {
            Drops++;
            return false;
        }

        _bands[BandOf(priority)].Enqueue(packet);
        return true;
    }

    /// <summary>Takes the next packet: a requeued one first, then band 0, 1, 2.</summary>
    /// <returns>False when empty.</returns>
    public bool TryDequeue(out T packet)
    {
        if (_hasRequeued)
        {
            packet = _requeued;
            _requeued = default!;
            _hasRequeued = false;
            return true;
        }

        for (int band = 0; band < BandCount; band++)
        {
            if (_bands[band].TryDequeue(out T? next))
            {
                packet = next;
                return true;
            }
        }

        packet = default!;
        return false;
    }

    /// <summary>Puts back a packet the device refused so that it is the next one out.</summary>
    /// <exception cref="InvalidOperationException">A requeued packet is already waiting (only the packet
    /// just dequeued can be requeued).</exception>
    public void Requeue(T packet)
    {
        if (_hasRequeued)
        {
            throw new InvalidOperationException("A requeued packet is already waiting.");
        }

        _requeued = packet;
        _hasRequeued = true;
    }

    /// <summary>
    /// Hands up to <paramref name="quota"/> packets to <paramref name="transmit"/>, highest band first
    /// (Linux __qdisc_run with its dev_tx_weight quota). A <c>false</c> from <paramref name="transmit"/>
    /// means the device is busy and did not take the packet; it is requeued at the head and the pass stops.
    /// </summary>
    /// <returns>Whether and how to run again; see <see cref="QdiscRunResult"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="quota"/> is below 1.</exception>
    public QdiscRunResult Run(int quota, Func<T, bool> transmit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(quota, 1);
        ArgumentNullException.ThrowIfNull(transmit);
        for (int sent = 0; sent < quota; sent++)
        {
            if (!TryDequeue(out T packet))
            {
                return QdiscRunResult.Idle;
            }

            if (!transmit(packet))
            {
                Requeue(packet);
                return QdiscRunResult.DeviceBusy;
            }
        }

        return Count > 0 ? QdiscRunResult.QuotaExhausted : QdiscRunResult.Idle;
    }
}
