using Edsos.Protocol;

namespace Edsos.Kpn;

/// <summary>
/// The result of <c>recvfrom</c>: the bytes copied into the caller's buffer (the datagram,
/// truncated to the buffer as UDP does) and the sender; -1 and <see cref="Error"/> on failure.
/// </summary>
/// <param name="Value">Bytes copied; -1 on failure.</param>
/// <param name="Error">The errno; <see cref="Errno.None"/> on success.</param>
/// <param name="From">The datagram's source; default on failure.</param>
public readonly record struct RecvResult(long Value, Errno Error, Ipv4Endpoint From)
{
    /// <summary>True when <see cref="Error"/> is <see cref="Errno.None"/>.</summary>
    public bool IsOk => Error == Errno.None;

    /// <summary>A failure: -1, <paramref name="error"/>, no source.</summary>
    public static RecvResult Fail(Errno error) => new(-1, error, default);
}
