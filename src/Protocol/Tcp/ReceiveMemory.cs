namespace Edsos.Protocol.Tcp;

/// <summary>
/// What a host can hold of a peer's data, as rules for the receive window and the out-of-order queue. A window
/// promises buffer space (RFC 9293 3.8.6); here every received segment sits in its own page-granular RX buffer
/// (a 1460-byte segment holds a 4 KiB page) until the app reads it, and frames that find no posted RX
/// descriptor are missed by the NIC. A window above what the arena or the RX ring can take is a promise the
/// host breaks by dropping, and a window that fills the arena with out-of-order segments leaves no RX buffer
/// for the retransmission that would fill the hole: the connection stalls. So the window is clamped once per
/// connection (<see cref="WindowClamp"/>), it stops growing while the arena is short (<see cref="UnderPressure"/>),
/// and out-of-order segments are then dropped and counted rather than held (Linux's tcp_prune_ofo_queue).
/// Pure: numbers in, numbers out.
/// </summary>
public static class ReceiveMemory
{
    /// <summary>A connection's window may cover at most this fraction (1/n) of the arena's pages.</summary>
    public const int ArenaShareDivisor = 4;

    /// <summary>The arena is short when fewer than 1/n of its pages are free.</summary>
    public const int ReserveDivisor = 8;

    /// <summary>
    /// The most a connection's receive window may promise: the configured <paramref name="receiveBuffer"/>,
    /// bounded by a quarter of the arena counted as one segment per page (<paramref name="arenaPages"/>,
    /// <paramref name="pageSize"/>), and by half the RX buffers the NIC posts (<paramref name="nicReceiveBuffers"/>,
    /// 0 when unknown): a whole window arriving at once, with the ACKs of the other direction, then always finds
    /// a posted buffer, so a lossless wire never drops. At least one <paramref name="mss"/>.
    /// </summary>
    public static int WindowClamp(int receiveBuffer, int mss, int pageSize, int arenaPages, int nicReceiveBuffers)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(mss);
        long perPage = Math.Min(mss, Math.Max(1, pageSize));
        long limit = receiveBuffer;
        if (arenaPages > 0)
        {
            limit = Math.Min(limit, arenaPages / ArenaShareDivisor * perPage);
        }

        if (nicReceiveBuffers > 0)
        {
            limit = Math.Min(limit, nicReceiveBuffers / 2 * (long)mss);
        }

        return (int)Math.Max(Math.Min(mss, receiveBuffer), limit);
    }

    /// <summary>
    /// True when the arena is short: fewer than 1/<see cref="ReserveDivisor"/> of <paramref name="arenaPages"/>
    /// are free. The window's right edge then stays where it is, and out-of-order data is not held.
    /// </summary>
    public static bool UnderPressure(int freePages, int arenaPages) => arenaPages > 0 && freePages < arenaPages / ReserveDivisor;
}
