using Edsos.Protocol;

namespace Edsos.Kpn;

/// <summary>
/// The result of a zero-copy receive: the datagram's own node, granted to the process read-only
/// (it may read it, and share it again by sending it; it must <c>Free</c> it when done), its length
/// and source. On failure <see cref="Buffer"/> is null and <see cref="Error"/> says why.
/// </summary>
/// <param name="Error">The errno; <see cref="Errno.None"/> on success.</param>
/// <param name="Buffer">The granted node; null on failure and for an empty datagram (Length 0).</param>
/// <param name="Length">The datagram's length; 0 on failure.</param>
/// <param name="From">The datagram's source; default on failure.</param>
public readonly record struct ZeroCopyRecv(Errno Error, UserBuffer? Buffer, int Length, Ipv4Endpoint From)
{
    /// <summary>True when <see cref="Error"/> is <see cref="Errno.None"/>.</summary>
    public bool IsOk => Error == Errno.None;

    /// <summary>A failure with <paramref name="error"/>.</summary>
    public static ZeroCopyRecv Fail(Errno error) => new(error, null, 0, default);
}
