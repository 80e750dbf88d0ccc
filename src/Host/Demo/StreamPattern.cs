using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Edsos.Memory;

namespace Edsos.Host.Demo;

/// <summary>
/// The bytes of the TCP demo's stream: byte <c>k</c> of the stream is a function of <c>k</c> alone, so the
/// client can check every echoed byte wherever the stack cut the stream into segments and reads.
/// <para>
/// Filled and checked by vector: within a 256-byte block of the stream (offsets <c>256·b</c> to <c>256·b + 255</c>)
/// the byte at <c>256·b + j</c> is <c>table[j] ^ key(b)</c>, as the low byte of <c>31·k</c> depends on <c>j</c> only and
/// the other terms on <c>b</c> only. The benches fill and check a 64 KiB write per round, which one byte at a time took
/// longer than the stack's whole round.
/// </para>
/// </summary>
public static class StreamPattern
{
    // table[j] = low byte of 31·j ^ 0x5A, for j < 256.
    private static readonly byte[] s_table = BuildTable();

    /// <summary>The byte at stream offset <paramref name="offset"/>.</summary>
    public static byte At(long offset) => (byte)((offset * 31) ^ (offset >> 8) ^ ((offset >> 16) * 7) ^ 0x5A);

    /// <summary>Fills <paramref name="bytes"/> with the stream from <paramref name="offset"/> on.</summary>
    public static void Fill(Span<byte> bytes, long offset) => Fill(bytes, offset, vector: true);

    /// <summary>
    /// The index in <paramref name="segment"/> of its first byte that differs from the stream at
    /// <paramref name="offset"/> on, or -1 when all match.
    /// </summary>
    public static int FirstMismatch(ReadOnlySpan<byte> segment, long offset) => FirstMismatch(segment, offset, vector: true);

    /// <summary>Fill by vector or (<paramref name="vector"/> false, for tests) one byte at a time.</summary>
    internal static void Fill(Span<byte> bytes, long offset, bool vector)
    {
        for (int i = 0; i < bytes.Length;)
        {
            long at = offset + i;
            int j = (int)(at & 255);
            int n = Math.Min(256 - j, bytes.Length - i);
            byte key = Key(at >> 8);
            var target = bytes.Slice(i, n);
            int done = 0;
            if (vector && Vector256.IsHardwareAccelerated)
            {
                ref byte table = ref MemoryMarshal.GetArrayDataReference(s_table);
                ref byte destination = ref MemoryMarshal.GetReference(target);
                var keys = Vector256.Create(key);
                for (; done + 32 <= n; done += 32)
                {
                    (Vector256.LoadUnsafe(ref table, (nuint)(j + done)) ^ keys).StoreUnsafe(ref destination, (nuint)done);
                }
            }

            for (; done < n; done++)
            {
                target[done] = (byte)(s_table[j + done] ^ key);
            }

            i += n;
        }
    }

    /// <summary>First mismatch by vector or (<paramref name="vector"/> false, for tests) one byte at a time.</summary>
    internal static int FirstMismatch(ReadOnlySpan<byte> segment, long offset, bool vector)
    {
        for (int i = 0; i < segment.Length;)
        {
            long at = offset + i;
            int j = (int)(at & 255);
            int n = Math.Min(256 - j, segment.Length - i);
            byte key = Key(at >> 8);
            var source = segment.Slice(i, n);
            int done = 0;
            if (vector && Vector256.IsHardwareAccelerated)
            {
                ref byte table = ref MemoryMarshal.GetArrayDataReference(s_table);
                ref byte bytes = ref MemoryMarshal.GetReference(source);
                var keys = Vector256.Create(key);
                for (; done + 32 <= n; done += 32)
                {
                    uint equal = Vector256.Equals(Vector256.LoadUnsafe(ref table, (nuint)(j + done)) ^ keys, Vector256.LoadUnsafe(ref bytes, (nuint)done)).ExtractMostSignificantBits();
                    if (equal != uint.MaxValue)
                    {
                        return i + done + BitOperations.TrailingZeroCount(~equal);
                    }
                }
            }

            for (; done < n; done++)
            {
                if (source[done] != (byte)(s_table[j + done] ^ key))
                {
                    return i + done;
                }
            }

            i += n;
        }

        return -1;
    }

    /// <summary>What the terms other than <c>31·k</c> add to every byte of 256-byte block <paramref name="block"/> (k = 256·block + j).</summary>
    private static byte Key(long block) => (byte)(block ^ ((block >> 8) * 7));

    private static byte[] BuildTable()
    {
        // 32 bytes past the block so a vector load at any j below 256 stays inside the array (the loops never use them).
        var table = new byte[256 + 32];
        for (int j = 0; j < table.Length; j++)
        {
            table[j] = (byte)((j * 31) ^ 0x5A);
        }

        return table;
    }

    /// <summary>Writes segments of the stream in order, in place (<c>Libc.FillBuffer</c>); the state is the stream offset of the next one.</summary>
    public static readonly SegmentFiller<long> Write = static (ref long offset, Span<byte> segment) =>
    {
        Fill(segment, offset);
        offset += segment.Length;
    };

    /// <summary>
    /// Checks segments of the stream in order, remembering the first wrong byte's offset. With a period, the stream is
    /// writes that each carry the first <c>period</c> bytes of the pattern (the stream bench sends one block over and over):
    /// byte <c>k</c> is then <c>At(k mod period)</c>.
    /// </summary>
    public struct Verifier
    {
        private readonly long _period;

        /// <summary>A verifier whose first segment starts at stream offset <paramref name="offset"/>.</summary>
        public Verifier(long offset)
            : this(offset, 0)
        {
        }

        /// <summary>
        /// A verifier whose first segment starts at stream offset <paramref name="offset"/> of a stream that repeats its
        /// first <paramref name="period"/> bytes (0: it does not repeat).
        /// </summary>
        public Verifier(long offset, long period)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(period);
            Offset = offset;
            FirstBad = -1;
            _period = period;
        }

        /// <summary>The stream offset of the next segment.</summary>
        public long Offset { get; private set; }

        /// <summary>The offset of the first wrong byte, or -1.</summary>
        public long FirstBad { get; private set; }

        /// <summary>Checks <paramref name="segment"/>, the stream's bytes from <see cref="Offset"/> on.</summary>
        public void Check(ReadOnlySpan<byte> segment)
        {
            while (!segment.IsEmpty)
            {
                // Without a period the whole segment is one piece; with one, a piece ends where the block repeats.
                long within = _period == 0 ? Offset : Offset % _period;
                int n = _period == 0 ? segment.Length : (int)Math.Min(_period - within, segment.Length);
                if (FirstBad < 0 && FirstMismatch(segment[..n], within) is int bad and >= 0)
                {
                    FirstBad = Offset + bad;
                }

                Offset += n;
                segment = segment[n..];
            }
        }
    }
}
