using Edsos.Protocol;

namespace Edsos.Kpn;

/// <summary>
/// The result of a syscall, errno style: <see cref="Value"/> (a descriptor, a byte count, an
/// option value, 0) on success; -1 and <see cref="Error"/> on failure.
/// </summary>
/// <param name="Value">The call's value; -1 on failure.</param>
/// <param name="Error">The errno; <see cref="Errno.None"/> on success.</param>
public readonly record struct SysResult(long Value, Errno Error)
{
    /// <summary>True when <see cref="Error"/> is <see cref="Errno.None"/>.</summary>
    public bool IsOk => Error == Errno.None;

    /// <summary>A success carrying <paramref name="value"/>.</summary>
    public static SysResult Ok(long value) => new(value, Errno.None);

    // Boxed successes by value, made on first use: a box of this readonly struct never changes, so one per byte count
    // serves every send reply the KPN tells (a reply travels as an object).
    private static readonly object?[] s_boxedOk = new object?[65536];

    /// <summary>
    /// <see cref="Ok"/>(<paramref name="value"/>) boxed, as a reply message: one shared box per value from 0 to 65535
    /// (every datagram's byte count), a fresh one above. Equal to a fresh box in every way but identity.
    /// </summary>
    public static object BoxedOk(long value) =>
        (ulong)value < (ulong)s_boxedOk.Length ? s_boxedOk[value] ??= Ok(value) : Ok(value);

    /// <summary>A failure: -1 and <paramref name="error"/>.</summary>
    public static SysResult Fail(Errno error) => new(-1, error);

    /// <summary>Formats as <c>value</c> or <c>-1 (EXXX)</c>.</summary>
    public override string ToString() => IsOk ? Value.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"-1 ({Error})";
}
