using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;

namespace Edsos.Driver.Device;

/// <summary>
/// The Internet checksum as the NIC's offload engine computes it (RFC 1071): the ones'-complement sum
/// of big-endian 16-bit words, a trailing odd byte padded with zero, folded and complemented. The
/// device needs it for TSO and must not borrow the protocol layer's code (Driver does not reference
/// Protocol), so it is here, small on purpose.
/// </summary>
internal static class DeviceChecksum
{
    /// <summary>
    /// Adds <paramref name="data"/> to <paramref name="sum"/> as 16-bit words counted from its first byte.
    /// Words are summed four bytes at a time into 64 bits (RFC 1071 2(B): the sum is independent of the
    /// word size once folded); a trailing odd byte is the high half of a zero-padded word.
    /// </summary>
    public static ulong Add(ulong sum, ReadOnlySpan<byte> data)
    {
        if (data.Length >= 64 && BitConverter.IsLittleEndian)
        {
            // Bulk: little-endian 32-bit words summed by vector into 64-bit lanes. The sum of byte-swapped words is the
            // byte-swapped sum once folded (RFC 1071 2(B)), so the folded result is swapped back and added.
            int bulk = data.Length & ~(Vector<byte>.Count - 1);
            ulong little = SumLittleEndian(data[..bulk]);
            sum += BinaryPrimitives.ReverseEndianness((ushort)Fold(little));
            data = data[bulk..];
        }

        while (data.Length >= 4)
        {
            sum += BinaryPrimitives.ReadUInt32BigEndian(data);
            data = data[4..];
        }

        if (data.Length >= 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data);
            data = data[2..];
        }

        if (data.Length == 1)
        {
            sum += (ulong)data[0] << 8;
        }

        return sum;
    }

    /// <summary>The unfolded sum of <paramref name="data"/> (a whole number of vectors) as little-endian 32-bit words.</summary>
    private static ulong SumLittleEndian(ReadOnlySpan<byte> data)
    {
        var words = MemoryMarshal.Cast<byte, uint>(data);
        var low = Vector<ulong>.Zero;
        var high = Vector<ulong>.Zero;
        for (int i = 0; i < words.Length; i += Vector<uint>.Count)
        {
            Vector.Widen(new Vector<uint>(words[i..]), out var a, out var b);
            low += a;
            high += b;
        }

        return Vector.Sum(low + high);
    }

    private static ulong Fold(ulong sum)
    {
        while ((sum >> 16) != 0)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return sum;
    }

    /// <summary>Folds <paramref name="sum"/> to 16 bits with end-around carries and complements it: the value to store.</summary>
    public static ushort Finish(ulong sum)
    {
        while ((sum >> 16) != 0)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)~sum;
    }
}
