namespace Edsos.Driver.Device;

/// <summary>
/// The Internet checksum as the NIC's offload engine computes it (RFC 1071): the ones'-complement sum
/// of big-endian 16-bit words, a trailing odd byte padded with zero, folded and complemented. The
/// device needs it for TSO and must not borrow the protocol layer's code (Driver does not reference
/// Protocol): the word sum is <see cref="OnesComplement"/>, which the protocol layer's accumulator uses too.
/// </summary>
internal static class DeviceChecksum
{
    /// <summary>
    /// Adds <paramref name="data"/> to <paramref name="sum"/> as 16-bit words counted from its first byte.
    /// Words are summed four bytes at a time into 64 bits (RFC 1071 2(B): the sum is independent of the
    /// word size once folded); a trailing odd byte is the high half of a zero-padded word.
    /// </summary>
    public static ulong Add(ulong sum, ReadOnlySpan<byte> data) => OnesComplement.AddWords(sum, data);

    /// <summary>Folds <paramref name="sum"/> to 16 bits with end-around carries and complements it: the value to store.</summary>
    public static ushort Finish(ulong sum) => (ushort)~OnesComplement.Fold(sum);
}
