using Edsos.Memory;

namespace Edsos.Protocol;

/// <summary>The one mapping from a failed memory operation on the data path to the errno a caller sees.</summary>
public static class MemoryErrno
{
    /// <summary>
    /// Maps <paramref name="error"/> to the errno a sender or receiver sees when a memory operation on its
    /// datagram failed: <see cref="MemoryError.None"/> → <see cref="Errno.None"/>; <see cref="MemoryError.OutOfMemory"/>
    /// → <see cref="Errno.ENOBUFS"/> (Linux: no skb could be allocated); <see cref="MemoryError.TsExited"/> →
    /// <see cref="Errno.ENETDOWN"/>; anything else (a revoked, stale or forged capability, a range past the node,
    /// missing rights, an unknown TS) → <see cref="Errno.EFAULT"/>. Never throws.
    /// </summary>
    /// <remarks>
    /// Why <see cref="Errno.ENETDOWN"/> for an exited TS: on the data path the TS that has exited is a stage the
    /// datagram must pass through (the transmit worker's, the driver's), never the sender's own. When the sender's
    /// own TS exits (seed 000 section 4.3) its CTRNs are lifted and every later access fails as an invalid GVA, which
    /// maps to <see cref="Errno.EFAULT"/>, and the sender is gone anyway. A stage of the stack that has gone away is,
    /// to the sender, a network that is down, which Linux reports as <see cref="Errno.ENETDOWN"/> (a send through an
    /// interface that is down); <see cref="Errno.EIO"/> would blame the caller's own I/O.
    /// </remarks>
    public static Errno From(MemoryError error) => error switch
    {
        MemoryError.None => Errno.None,
        MemoryError.OutOfMemory => Errno.ENOBUFS,
        MemoryError.TsExited => Errno.ENETDOWN,
        _ => Errno.EFAULT,
    };
}
