namespace Edsos.Host.Demo;

/// <summary>
/// The bytes of the TCP demo's stream: byte <c>k</c> of the stream is a function of <c>k</c> alone, so the
/// client can check every echoed byte wherever the stack cut the stream into segments and reads.
/// </summary>
public static class StreamPattern
{
    /// <summary>The byte at stream offset <paramref name="offset"/>.</summary>
    public static byte At(long offset) => (byte)((offset * 31) ^ (offset >> 8) ^ ((offset >> 16) * 7) ^ 0x5A);

    /// <summary>Fills <paramref name="bytes"/> with the stream from <paramref name="offset"/> on.</summary>
    public static void Fill(Span<byte> bytes, long offset)
    {
        for (int i = 0; i < bytes.Length; i++)
        {
            bytes[i] = At(offset + i);
        }
    }

    /// <summary>Checks segments in place (a <c>SegmentVisitor</c> state): the stream offset reached and the first wrong one.</summary>
    public struct Verifier
    {
        /// <summary>Starts checking at stream offset <paramref name="offset"/>.</summary>
        public Verifier(long offset)
        {
            Offset = offset;
            FirstBad = -1;
        }

        /// <summary>The next stream offset expected.</summary>
        public long Offset { get; private set; }

        /// <summary>The first offset whose byte was wrong, or −1.</summary>
        public long FirstBad { get; private set; }

        /// <summary>Checks one segment.</summary>
        public void Check(ReadOnlySpan<byte> segment)
        {
            for (int i = 0; i < segment.Length; i++)
            {
                if (FirstBad < 0 && segment[i] != At(Offset + i))
                {
                    FirstBad = Offset + i;
                }
            }

            Offset += segment.Length;
        }
    }
}
