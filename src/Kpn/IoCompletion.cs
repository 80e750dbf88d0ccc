using Edsos.Protocol;

namespace Edsos.Kpn;

/// <summary>
/// One reaped completion of an <see cref="IoRing"/> operation, errno style: <see cref="Result"/> (bytes sent or
/// received) on success, -1 and <see cref="Error"/> on failure. A zero-copy receive carries the datagram's node in
/// <see cref="Buffer"/>, granted read-only to the process (the app must <see cref="Libc.Free"/> it).
/// </summary>
/// <param name="UserData">The value the app gave the operation when it prepared it.</param>
/// <param name="Op">The operation.</param>
/// <param name="Result">Bytes sent or received; -1 on failure.</param>
/// <param name="Error">The errno; <see cref="Errno.None"/> on success.</param>
/// <param name="Buffer">A zero-copy receive's node; null otherwise, on failure and for an empty datagram.</param>
/// <param name="From">A receive's source; default otherwise.</param>
public readonly record struct IoCompletion(ulong UserData, IoOp Op, long Result, Errno Error, UserBuffer? Buffer, Ipv4Endpoint From)
{
    /// <summary>True when <see cref="Error"/> is <see cref="Errno.None"/>.</summary>
    public bool IsOk => Error == Errno.None;
}
