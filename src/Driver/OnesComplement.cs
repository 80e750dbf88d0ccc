using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;

namespace Edsos.Driver;

/// <summary>
/// The RFC 1071 ones'-complement word sum, written once for both its users: the NIC's checksum offload
/// (<c>Device/DeviceChecksum</c>, TSO) and the stack's checksums (<c>Protocol.Wire.ChecksumAccumulator</c>, which
/// references this project; the device model never references the stack).
/// </summary>
public static class OnesComplement
{
    /// <summary>
    /// Adds <paramref name="data"/> to <paramref name="sum"/> as big-endian 16-bit words counted from its first byte,
    /// unfolded; a trailing odd byte is the high half of a word whose low half is zero (or comes next, for a caller that
    /// pairs it across spans). Long spans are summed by vector as little-endian 32-bit words, the folded result swapped
    /// back (the sum of byte-swapped words is the byte-swapped sum once folded, RFC 1071 2(B)); the rest as big-endian
    /// 32-bit words into 64 bits (word-size independence, 2(B): half the loop count, and no span .NET allows overflows).
    /// </summary>
    public static ulong AddWords(ulong sum, ReadOnlySpan<byte> data)
    {
        if (data.Length >= 64 && BitConverter.IsLittleEndian)
        {
            int bulk = data.Length & ~(Vector<byte>.Count - 1);
            var words = MemoryMarshal.Cast<byte, uint>(data[..bulk]);
            var low = Vector<ulong>.Zero;
            var high = Vector<ulong>.Zero;
            for (int i = 0; i < words.Length; i += Vector<uint>.Count)
            {
                Vector.Widen(new Vector<uint>(words[i..]), out var a, out var b);
                low += a;
                high += b;
            }

            sum += BinaryPrimitives.ReverseEndianness((ushort)Fold(Vector.Sum(low + high)));
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

    /// <summary>Folds <paramref name="sum"/> to 16 bits with end-around carries (not complemented).</summary>
    public static ulong Fold(ulong sum)
    {
        while ((sum >> 16) != 0)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return sum;
    }
}
