using System.Buffers.Binary;

namespace Edsos.Protocol.Wire;

/// <summary>
/// Incremental RFC 1071 Internet checksum over a byte stream that arrives as several discontiguous
/// spans (a scatter list), so a checksum never needs the bytes copied together.
/// </summary>
/// <remarks>
/// The stream is summed as big-endian 16-bit words. A span that ends on an odd byte leaves the next
/// span starting in the low half of a word; the accumulator remembers that parity and pairs the bytes
/// across the boundary exactly as if the segments were contiguous. Deferred carries are kept in a
/// 64-bit sum and folded only in <see cref="Finish"/> (RFC 1071 section 2(C)). A default instance
/// is an empty sum. It is a mutable struct: pass it by <c>ref</c>, or copies will diverge.
/// </remarks>
public struct ChecksumAccumulator
{
    private ulong _sum;
    private bool _odd;

    /// <summary>Number of bytes added so far.</summary>
    public long ByteCount { get; private set; }

    /// <summary>Appends <paramref name="data"/> to the summed stream.</summary>
    public void Add(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        ByteCount += data.Length;
        ulong sum = _sum;
        if (_odd)
        {
            // The previous segment ended mid-word: this byte is that word's low half.
            sum += data[0];
            data = data[1..];
            _odd = false;
        }

        // The word sum itself is the one the NIC's offload uses; a trailing odd byte is the high half of a word whose
        // low half comes next (or is the zero pad RFC 1071 prescribes if nothing follows).
        sum = Edsos.Driver.OnesComplement.AddWords(sum, data);
        _odd = (data.Length & 1) != 0;
        _sum = sum;
    }

    /// <summary>Appends a 16-bit value as two big-endian bytes.</summary>
    public void AddUInt16(ushort value)
    {
        Span<byte> bytes = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, value);
        Add(bytes);
    }

    /// <summary>Appends a 32-bit value as four big-endian bytes.</summary>
    public void AddUInt32(uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        Add(bytes);
    }

    /// <summary>
    /// Appends the stream summed by <paramref name="other"/> after this one, as if its bytes had been
    /// added here. Lets a caller sum payload segments once and reuse the sum for several headers.
    /// </summary>
    public void Add(in ChecksumAccumulator other)
    {
        ulong folded = Fold(other._sum);
        if (_odd)
        {
            // Every byte of the other stream moves one position: RFC 1071 2(B) says the sum of a
            // byte-shifted stream is the byte-swapped sum.
            folded = (ushort)((folded << 8) | (folded >> 8));
        }

        _sum += folded;
        _odd ^= other._odd;
        ByteCount += other.ByteCount;
    }

    /// <summary>The ones'-complement sum folded to 16 bits, not yet complemented.</summary>
    public readonly ushort Sum => (ushort)Fold(_sum);

    /// <summary>The checksum: the ones' complement of <see cref="Sum"/>, ready to write into a header.
    /// Over data that already contains a correct checksum field this returns 0.</summary>
    public readonly ushort Finish() => (ushort)~Sum;

    private static ulong Fold(ulong sum) => Edsos.Driver.OnesComplement.Fold(sum);
}
